"""A steering member opens their stakeholder's report from the navigation, on a desktop and on a
phone, picks a period, and downloads the PDF and the XLSX; a steering member of another
stakeholder gets the 404 page on it."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.steering import report_data

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    return report_data.build()


@pytest.mark.parametrize("width", [1366, 375])
def test_steering_member_opens_their_report_and_downloads_it(browser, live_server, login, world, width):
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        login(page, live_server, "steering_b@acme.example.com", report_data.PASSWORD)
        page.goto(live_server.url + reverse("org-home", kwargs={"org": "acme"}))
        if width < 768:
            page.locator("label.nav-toggle-label").click()
        page.locator("#nav-links").get_by_role("link", name="Reports").click()
        page.wait_for_url("**/steering/")
        expect(page.locator("#stakeholder-sh-b h2")).to_have_text("Beta")
        expect(page.locator("#stakeholder-sh-a")).to_have_count(0)
        page.locator("#stakeholder-sh-b a.latest-report").click()
        page.wait_for_url("**/steering/sh-b/*/")
        # The period picker submits itself.
        page.locator("select[name=period]").select_option("2026-03")
        page.wait_for_url("**/steering/sh-b/2026-03/")
        expect(page.locator("h1")).to_contain_text("Beta")
        sections = page.locator(".report-section > h2")
        expect(sections).to_have_text(["Flagship KPI", "For action", "For information"])
        codes = page.locator(".report-kpi").evaluate_all("cards => cards.map(c => c.dataset.code)")
        assert codes == ["nps", "csat", "transformation_rate", "nps.journey=achat", "ces", "deployment_rate", "revenue"]
        flagship = page.locator("#section-flagship .report-kpi")
        expect(flagship.locator(".report-value")).to_contain_text("25.0")
        expect(flagship.locator(".report-comparisons")).to_contain_text("March 2025")
        expect(page.locator("#section-flagship .chart .main-svg").first).to_be_visible()
        expect(page.locator(".report-summary li").first).to_contain_text("NPS rose by 75.0")
        # T1's rates are hidden from a steering member (a small neighbour, complementary suppression).
        expect(page.locator('.report-kpi[data-code="transformation_rate"] .report-value')).to_contain_text(
            "fewer than 5 people"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"steering-report-{width}.png", full_page=True)

        with page.expect_download(timeout=120_000) as download:
            page.locator("#download-pdf").click()
        assert download.value.suggested_filename == "report-sh-b-2026-03.pdf"
        pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
        text = "\n".join(p.extract_text() for p in pdf.pages)
        assert text.index("Flagship KPI") < text.index("For action") < text.index("For information")

        with page.expect_download() as download:
            page.locator("#download-xlsx").click()
        assert download.value.suggested_filename == "report-sh-b-2026-03.xlsx"
        book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert book.sheetnames[1:4] == ["Flagship KPI", "For action", "For information"]
        assert book["Flagship KPI"].cell(2, 5).value == 25.0
    finally:
        context.close()


def test_steering_member_of_another_stakeholder_gets_404(browser, live_server, login, world):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        login(page, live_server, "steering_a@acme.example.com", report_data.PASSWORD)
        url = reverse("steering:report", kwargs={"org": "acme", "code": "sh-b", "period": "2026-03"})
        response = page.goto(live_server.url + url)
        assert response.status == 404
        expect(page.get_by_text("Beta")).to_have_count(0)
        pdf = page.request.get(
            live_server.url
            + reverse("steering:report-pdf", kwargs={"org": "acme", "code": "sh-b", "period": "2026-03"})
        )
        assert pdf.status == 404
        # Their own stakeholder's report opens.
        own = reverse("steering:report", kwargs={"org": "acme", "code": "sh-a", "period": "2026-03"})
        assert page.goto(live_server.url + own).status == 200
        expect(page.locator("h1")).to_contain_text("Alpha")
        page.goto(live_server.url + url)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "steering-report-other-stakeholder-404.png", full_page=True)
    finally:
        context.close()
