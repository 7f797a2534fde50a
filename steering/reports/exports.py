"""The steering report as files: PDF (WeasyPrint, the charts as PNG images rendered by kaleido),
XLSX (openpyxl: a summary sheet, one sheet per section, the action plans; numbers as numbers) and
CSV. Each renders a ``steering.reports.contents.Report`` in the active language; nothing is cached (a
report reads the snapshots as they are now).

The PDF's charts come from one headless Chromium per process (Debian's /usr/bin/chromium, driven by
kaleido; ``renderer`` below), started by the process's first PDF (2–5 s) and kept for the next
ones, which then draw a chart in ~0.05 s: a warm PDF of the demo's monthly report takes under 1 s
(``bench/pdf.py``), half of it the charts, half WeasyPrint. The web workers and the Celery workers
(the report e-mails) each start their own on their first PDF.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import logging
import os
import threading
import time

import kaleido
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from cxtracker.tabular import csv_text, xlsx_append, xlsx_bytes
from steering.reports.contents import Report
from steering.reports.figures import report_charts
from steering.reports.text import hidden_label

logger = logging.getLogger(__name__)

# The PNG of a chart: its size beside the figures in the PDF, twice as many pixels for print.
CHART_WIDTH, CHART_HEIGHT, CHART_SCALE = 460, 210, 2
# Seconds: Chromium's start, one report's charts (also kaleido's limit for one chart), its close.
KALEIDO_TIMEOUT = 60
CLOSE_TIMEOUT = 10
# A browser no PDF has used for this long is closed (its ~230 MiB back); the next PDF starts one.
IDLE_CLOSE = 600


def filename(report: Report, extension: str) -> str:
    return f"report-{report.stakeholder.code}-{report.period}.{extension}"


# --- PDF -----------------------------------------------------------------------------------------


class _Kaleido(kaleido.Kaleido):
    """kaleido's browser without its page reload after every figure. Plotly.toImage draws each
    figure in a detached element that it purges, so the page stays as it was: the same PNG bytes,
    no growth over hundreds of figures, and no ~0.15 s of parsing plotly.js again per chart (three
    quarters of a chart's time)."""

    async def _return_kaleido_tab(self, tab) -> None:
        tab.js_logger.reset()  # what the reload did besides: the page's console log starts afresh
        await self.tabs_ready.put(tab)


class ChartRenderer:
    """The process's Chromium for the PDFs' charts: kaleido in an event loop on a thread of its
    own, started by the first ``draw`` and kept for the next ones.

    One report draws at a time (the lock; the browser has one tab). A browser that died since the
    last PDF is replaced before drawing; one that fails or overruns ``KALEIDO_TIMEOUT`` is closed,
    and a kept one is then replaced and the charts drawn again, once. The browser is closed after
    ``IDLE_CLOSE`` seconds without a PDF and at exit; a forked child (a web or Celery worker)
    starts its own. ``starts`` counts the browsers started; ``browser_pid`` is the running one's
    process (choreographer's wrapper, Chromium's parent)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._browser: _Kaleido | None = None
        self._idle: threading.Timer | None = None
        self._used_at = 0.0
        self._inherited: list[tuple] = []
        self.starts = 0
        atexit.register(self.close)
        os.register_at_fork(after_in_child=self._forget)

    @property
    def browser_pid(self) -> int | None:
        process = getattr(self._browser, "subprocess", None)
        return process.pid if process is not None and process.poll() is None else None

    def draw(self, figures: list[dict], opts: dict) -> list[bytes]:
        """Every figure as kaleido renders it with ``opts`` (format, width, height, scale)."""
        with self._lock:
            fresh = self._start()
            try:
                images = self._draw(figures, opts)
            except Exception:
                if fresh:
                    raise
                logger.warning("kaleido's Chromium failed; drawing again in a new one", exc_info=True)
                self._start()
                images = self._draw(figures, opts)
            self._used_at = time.monotonic()
            self._close_when_idle()
            return images

    def close(self) -> None:
        with self._lock:
            self._stop()

    # --- with the lock held ---

    def _start(self) -> bool:
        """Start a browser unless one runs; whether it started one."""
        if self._browser is not None and self.browser_pid is None:
            logger.warning("kaleido's Chromium has exited; starting a new one")
            self._stop()
        if self._browser is not None:
            return False
        started = time.monotonic()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=_serve, args=(self._loop,), name="kaleido", daemon=True)
        self._thread.start()
        self.starts += 1
        try:
            # No MathJax: kaleido would fetch it from a CDN, and no chart has formulas.
            self._browser = _run(self._loop, _new_browser(), timeout=CLOSE_TIMEOUT)
            _run(self._loop, self._browser.open(), timeout=KALEIDO_TIMEOUT)
        except BaseException:
            self._stop()
            raise
        logger.info("kaleido's Chromium started in %.1f s", time.monotonic() - started)
        return True

    def _draw(self, figures: list[dict], opts: dict) -> list[bytes]:
        try:
            return _run(self._loop, _calc_figs(self._browser, figures, opts), timeout=KALEIDO_TIMEOUT)
        except BaseException:
            self._stop()  # whatever state the page or the browser is in: the next PDF starts anew
            raise

    def _stop(self) -> None:
        """Close the browser (kill it if it will not close) and end its loop's thread."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        loop, thread, browser = self._loop, self._thread, self._browser
        self._loop = self._thread = self._browser = None
        if loop is None:
            return
        try:
            if browser is not None:
                _run(loop, browser.close(), timeout=CLOSE_TIMEOUT)
        except Exception:
            logger.warning("kaleido's Chromium did not close; killing it", exc_info=True)
            process = getattr(browser, "subprocess", None)
            if process is not None and process.poll() is None:
                process.kill()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_TIMEOUT)

    def _close_when_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = threading.Timer(IDLE_CLOSE, self._close_if_idle)
        self._idle.daemon = True
        self._idle.start()

    # --- without it ---

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._browser is not None and time.monotonic() - self._used_at >= IDLE_CLOSE:
                logger.info("kaleido's Chromium idle for %d s: closed", IDLE_CLOSE)
                self._stop()

    def _forget(self) -> None:
        """In a forked child: the browser and its thread are the parent's (the thread does not run
        here); this process starts its own. Their objects stay referenced: collected here, they
        would delete the parent's browser profile."""
        self._inherited.append((self._loop, self._thread, self._browser))
        self._lock = threading.Lock()
        self._loop = self._thread = self._browser = self._idle = None


def _run(loop: asyncio.AbstractEventLoop, coroutine, *, timeout: float):
    """Run ``coroutine`` on the renderer's loop (another thread's) for at most ``timeout`` seconds
    (cancelled there after that), and wait for it; a little longer should that loop be stuck."""
    future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, timeout), loop)
    try:
        return future.result(timeout + CLOSE_TIMEOUT)
    except TimeoutError:
        future.cancel()
        raise


async def _new_browser() -> _Kaleido:
    return _Kaleido(n=1, timeout=KALEIDO_TIMEOUT, mathjax=False)


async def _calc_figs(browser: _Kaleido, figures: list[dict], opts: dict) -> list[bytes]:
    return [await browser.calc_fig(figure, opts=opts) for figure in figures]


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """The renderer's thread: its loop until stopped, then what is left on it (kaleido's and
    choreographer's tasks) cancelled, and the loop closed."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


# The one renderer of the process.
renderer = ChartRenderer()


def _png_renders(figures: list[dict]) -> list[bytes]:
    """Every figure as PNG, by the process's browser."""
    return renderer.draw(figures, {"format": "png", "width": CHART_WIDTH, "height": CHART_HEIGHT, "scale": CHART_SCALE})


def _pdf_figure(figure: dict) -> dict:
    """A trend as the PDF draws it, beside the figures: past eight periods, one tick label in two
    (the report's period kept), each with its year where the year changes."""
    axis = figure.get("layout", {}).get("xaxis", {})
    values, texts = list(axis.get("tickvals") or []), list(axis.get("ticktext") or [])
    if len(values) <= 8:
        return figure
    shown, year = [], None
    for i, (value, text) in enumerate(zip(values, texts, strict=True)):
        if (len(values) - 1 - i) % 2:
            shown.append("")
            continue
        label, this_year = text.split("<br>")[0], str(value)[:4]
        shown.append(f"{label}<br>{this_year}" if this_year != year else label)
        year = this_year
    layout = {**figure["layout"], "xaxis": {**axis, "ticktext": shown}}
    return {**figure, "layout": layout}


def chart_images(report: Report, *, language: str) -> dict[str, str]:
    """code → a data: URI of the KPI's trend chart (KPIs without figures have none)."""
    charts = {code: chart for code, chart in report_charts(report, language=language).items() if chart.figure}
    if not charts:
        return {}
    started = time.monotonic()
    pngs = _png_renders([_pdf_figure(chart.figure) for chart in charts.values()])
    logger.info("kaleido drew %d charts in %.1f s", len(pngs), time.monotonic() - started)
    return {
        code: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for code, png in zip(charts, pngs, strict=True)
    }


def pdf_render(report: Report) -> bytes:
    """The report as a PDF, in the active language: flagship, for action, for information."""
    from weasyprint import HTML

    started = time.monotonic()
    html = render_to_string(
        "steering/reports/report_pdf.html",
        {
            "report": report,
            "images": chart_images(report, language=report.language),
            "hidden": hidden_label(report.org),
            "generated_at": timezone.localtime(timezone.now(), report.org.tzinfo),
        },
    )
    pdf = HTML(string=html).write_pdf()
    logger.info("report %s %s: PDF in %.1f s", report.stakeholder.code, report.period, time.monotonic() - started)
    return pdf


# --- rows shared by the XLSX and the CSV -------------------------------------------------------


def _figure_columns(*, unit: bool) -> list[str]:
    """The columns of a figure, in a KPI's row and in a trend's: where it is, its value (and, for a
    KPI, its unit), n, margin and flags."""
    head = [_("Section"), _("KPI"), _("Code"), _("Period"), _("Value")]
    return [
        *head,
        *([_("Unit")] if unit else []),
        "n",
        _("95% margin of error"),
        _("Low sample"),
        _("Hidden (small group)"),
    ]


def kpi_columns() -> list[str]:
    return [
        *_figure_columns(unit=True),
        _("Previous period"),
        _("Previous value"),
        _("Change vs previous"),
        _("p-value vs previous"),
        _("Significant vs previous (Benjamini-Hochberg 5%)"),
        _("Same period a year before"),
        _("Value a year before"),
        _("Change vs a year before"),
        _("p-value vs a year before"),
        _("Significant vs a year before (Benjamini-Hochberg 5%)"),
        _("Hot (after an event)"),
        _("Hot n"),
        _("Cold (periodic)"),
        _("Cold n"),
        _("Related action plans"),
        _("Note"),
    ]


def _unit_label(kpi) -> str:
    return _("share (0–1)") if kpi.is_share else kpi.unit


def kpi_row(section_title: str, kpi) -> list:
    prev, year = kpi.previous, kpi.year_ago
    hot = cold = None
    if kpi.hot_cold:
        hot, cold = kpi.hot_cold
    return [
        section_title,
        kpi.label,
        kpi.code,
        kpi.period,
        None if kpi.suppressed else kpi.value,
        _unit_label(kpi),
        kpi.n,
        kpi.margin,
        kpi.low_sample if kpi.kind == "survey" else None,
        kpi.suppressed,
        prev.period if prev else None,
        None if prev is None or prev.suppressed else prev.value,
        prev.change if prev else None,
        prev.p_value if prev else None,
        prev.significant if prev and prev.p_value is not None else None,
        year.period if year else None,
        None if year is None or year.suppressed else year.value,
        year.change if year else None,
        year.p_value if year else None,
        year.significant if year and year.p_value is not None else None,
        hot.value if hot else None,
        hot.n if hot else None,
        cold.value if cold else None,
        cold.n if cold else None,
        len(kpi.plans),
        kpi.note,
    ]


def trend_columns() -> list[str]:
    return _figure_columns(unit=False)


def trend_rows(section_title: str, kpi) -> list[list]:
    return [
        [
            section_title,
            kpi.label,
            kpi.code,
            p.period,
            None if p.suppressed else p.value,
            p.n,
            p.margin,
            p.low_sample if kpi.kind == "survey" else None,
            p.suppressed,
        ]
        for p in kpi.trend
    ]


def plan_columns() -> list[str]:
    return [
        _("KPI"),
        _("Code"),
        _("Action plan"),
        _("External id"),
        _("Unit"),
        _("Owner"),
        _("Status"),
        _("Start"),
        _("Due"),
        _("Completed on"),
        _("Overdue"),
    ]


def plan_rows(report: Report) -> list[list]:
    return [
        [
            kpi.label,
            kpi.code,
            p.title,
            p.external_id,
            p.unit_code,
            p.owner,
            p.status_label,
            p.start_on,
            p.due_on,
            p.done_on,
            p.overdue,
        ]
        for kpi in report.kpis
        for p in kpi.plans
    ]


# --- XLSX ----------------------------------------------------------------------------------------


def xlsx_render(report: Report) -> bytes:
    """A summary sheet, one sheet per section (its KPIs, then their trends) and the action plans.
    Numbers are numbers: rates as shares with a percentage format, p-values as they are; yes/no
    as booleans; empty cells where there is no figure; text as text, even a plan title that
    starts with "=" (cxtracker.tabular.xlsx_append)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    xlsx_append(summary, [report.stakeholder.name])
    summary["A1"].font = Font(bold=True, size=14)
    xlsx_append(summary, [_("Period"), report.period_label, str(report.period)])
    xlsx_append(summary, [_("Units in scope"), report.scope_label])
    if report.protect:
        xlsx_append(
            summary,
            [
                _("Small groups"),
                _("Rates of groups with fewer than %(n)d people are hidden.") % {"n": report.org.min_group_size},
            ],
        )
    xlsx_append(summary, [])
    xlsx_append(summary, [_("What changed")])
    summary.cell(summary.max_row, 1).font = bold
    for sentence in report.summary:
        xlsx_append(summary, [sentence])
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 60

    share_format = "0.0%"
    for section in report.sections:
        sheet = book.create_sheet(section.title[:31])
        xlsx_append(sheet, kpi_columns())
        for cell in sheet[1]:
            cell.font = bold
        for kpi in section.kpis:
            xlsx_append(sheet, kpi_row(section.title, kpi))
            if kpi.is_share:
                row = sheet.max_row
                for column in (5, 12, 13, 17, 18):
                    sheet.cell(row, column).number_format = share_format
        sheet.freeze_panes = "C2"
        xlsx_append(sheet, [])
        xlsx_append(sheet, [_("Trend")])
        sheet.cell(sheet.max_row, 1).font = bold
        xlsx_append(sheet, trend_columns())
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for kpi in section.kpis:
            for row in trend_rows(section.title, kpi):
                xlsx_append(sheet, row)
                if kpi.is_share:
                    sheet.cell(sheet.max_row, 5).number_format = share_format
        for i, width in enumerate((16, 30, 24, 10, 12, 12, 8, 12), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width

    plans = book.create_sheet(_("Action plans")[:31])
    xlsx_append(plans, plan_columns())
    for cell in plans[1]:
        cell.font = bold
    for row in plan_rows(report):
        xlsx_append(plans, row)
    for i, width in enumerate((28, 22, 40, 12, 14, 24, 14, 12, 12, 12, 10), start=1):
        plans.column_dimensions[get_column_letter(i)].width = width

    return xlsx_bytes(book)


# --- CSV -----------------------------------------------------------------------------------------


def csv_render(report: Report, *, language: str) -> str:
    """One row per KPI and trend period (the report's period last, with its comparisons), in the
    reader's convention: semicolons and decimal commas in French."""
    columns = kpi_columns()
    rows = []
    for section in report.sections:
        for kpi in section.kpis:
            base = kpi_row(section.title, kpi)
            for point in kpi.trend[:-1]:
                row = [None] * len(columns)
                row[:4] = [section.title, kpi.label, kpi.code, point.period]
                row[4] = None if point.suppressed else point.value
                row[5] = base[5]
                row[6:10] = [
                    point.n,
                    point.margin,
                    point.low_sample if kpi.kind == "survey" else None,
                    point.suppressed,
                ]
                rows.append(row)
            rows.append(base)
    return csv_text(columns, rows, language=language)
