"""The KPI explorer in a browser: an executive opens it from the menu, Plotly draws every chart with
its title, nothing scrolls sideways on a 375 px phone, a chart's CSV downloads; the comments page
filters by words; a manager reads only their team's comments. Screenshots at 1366 and 375 px."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from kpis.engine.recompute import snapshots_recompute
from kpis.models import SurveyResponse
from tests.factories import make_membership, make_org, make_tree, make_user

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
CHARTS = ("trend-nps", "trend-csat", "trend-ces", "journey", "segment", "channel", "trigger")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey(db):
    """Lille 1 (the manager's) and Marseille 1 answered last month and this one; Lille 1's "sav"
    answers are a low sample."""
    org = make_org("acme", "Acme Retail")
    tree = make_tree(org)
    manager = make_user("bob@example.com", password=PASSWORD)
    make_membership(manager, org, Role.MANAGER, units=[tree["T1"]])
    executive = make_user("erin@example.com", password=PASSWORD)
    make_membership(executive, org, Role.EXECUTIVE)
    current = Month.of(org.today())
    start = current.previous().bounds(org.tzinfo)[0]
    now = timezone.now()
    rows = []
    for i in range(80):
        team = tree["T1"] if i % 2 else tree["T3"]
        journey = "sav" if i % 8 == 1 else "achat"
        rows.append(
            SurveyResponse(
                organization=org,
                external_id=f"r{i}",
                unit=team,
                responded_at=min(start + datetime.timedelta(hours=9 * i), now - datetime.timedelta(minutes=i)),
                nps=(10, 9, 7, 3)[i % 4],
                csat=(5, 4, 3)[i % 3],
                ces=(7, 5, 2)[i % 3],
                journey=journey,
                segment=("fidele", "nouveau")[i % 2],
                channel=("magasin", "web")[i % 3 == 0],
                trigger=("event", "periodic")[i % 5 == 0],
                comment=f"{team.name}: accueil {i}" if i % 4 in (0, 1) else "",
            )
        )
    SurveyResponse.objects.bulk_create(rows)
    snapshots_recompute(org=org, months=[current.previous(), current])
    return {"org": org, "tree": tree}


@pytest.mark.parametrize("width", [1366, 375])
def test_executive_explores_the_customer_kpis(browser, live_server, login, survey, width):
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        login(page, live_server, "erin@example.com", PASSWORD)
        if width < 576:
            page.locator(".nav-toggle-label").click()
        page.get_by_role("link", name="Customer KPIs").click()
        page.wait_for_url("**/dashboards/kpis/")
        expect(page.locator("h1")).to_have_text("Customer KPIs · Acme Retail")
        for chart in CHARTS:
            expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
        expect(page.locator("#chart-trend-nps .gtitle")).to_have_text("NPS by month")
        expect(page.locator("#chart-journey .gtitle")).to_contain_text("NPS by journey")
        expect(page.locator("#chart-journey .ytitle")).to_have_text("Journey")
        # "sav" (10 answers) is a low sample: listed, greyed, with its n.
        expect(page.locator("#card-journey tbody tr", has_text="sav").locator("td.low-sample").first).to_contain_text(
            "n = 10"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.locator("#chart-journey").bounding_box()
        assert box["width"] <= width

        with page.expect_download() as download:
            page.locator("#card-journey .csv-link").click()
        assert download.value.suggested_filename.startswith("journey-acme-")
        lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("Journey,Code,NPS,NPS margin of error (95%),NPS responses (n)")
        assert [line.split(",")[1] for line in lines[1:]] == ["achat", "sav"]

        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"kpi-explorer-{width}.png", full_page=True)

        page.get_by_role("link", name="Customer comments").click()
        page.locator("input[name=q]").fill("Marseille 1: accueil")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator(".kx-verbatim").first).to_be_visible()
        expect(page.locator(".kx-verbatim mark").first).to_have_text("Marseille 1: accueil")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=SCREENSHOTS / f"kpi-comments-{width}.png", full_page=True)
    finally:
        context.close()


def test_manager_reads_only_their_teams_comments_on_a_phone(browser, live_server, login, survey):
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        login(page, live_server, "bob@example.com", PASSWORD)
        page.goto(live_server.url + reverse("dashboards:kpi-comments", kwargs={"org": "acme"}))
        expect(page.locator("h1")).to_have_text("Customer comments · All my teams")
        teams = page.locator(".kx-meta span").all_inner_texts()
        assert teams and set(teams) <= {"Lille 1", "achat", "sav", "magasin", "web"}
        assert "Marseille" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
