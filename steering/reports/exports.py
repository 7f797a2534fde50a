"""The steering report as files: PDF (WeasyPrint, the charts as PNG images rendered by kaleido),
XLSX (openpyxl: a summary sheet, one sheet per section, the action plans; numbers as numbers) and
CSV. Each renders a ``steering.reports.contents.Report`` in the active language; nothing is cached (a
report reads the snapshots as they are now).

A PDF costs a few seconds: kaleido starts one headless Chromium (Debian's /usr/bin/chromium, ~5 s
on a busy machine) and draws every chart of the report in that one session (~0.3 s each).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from concurrent.futures import ThreadPoolExecutor

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
KALEIDO_TIMEOUT = 60


def filename(report: Report, extension: str) -> str:
    return f"report-{report.stakeholder.code}-{report.period}.{extension}"


# --- PDF -----------------------------------------------------------------------------------------


def _png_renders(figures: list[dict]) -> list[bytes]:
    """Every figure as PNG, in one kaleido (Chromium) session."""
    import kaleido

    async def run():
        # No MathJax: kaleido would fetch it from a CDN, and no chart has formulas.
        async with kaleido.Kaleido(n=1, timeout=KALEIDO_TIMEOUT, mathjax=False) as k:
            opts = {"format": "png", "width": CHART_WIDTH, "height": CHART_HEIGHT, "scale": CHART_SCALE}
            return [await k.calc_fig(fig, opts=opts) for fig in figures]

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())
    # Called from async code (a test's event loop): run the session in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


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
