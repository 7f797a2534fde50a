"""A manager opens their team dashboard from their home, on a desktop and on a phone, and downloads a
chart's data; an executive opening a member page gets the 404 page (SPEC §4)."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from deployment.services import observation_create
from experience.models import Behavior
from kpis.engine.recompute import snapshots_recompute
from kpis.models import SurveyResponse
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member, make_membership, make_org, make_tree, make_user

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def field(db):
    """Lille 1 (6 members, the manager's) and Lille 2 (6): Léa observed last month and this one."""
    org = make_org("acme", "Acme Retail")
    tree = make_tree(org)
    make_experience_model(org, dimensions=(("accueil", 2), ("conseil", 2)))
    lea = make_member(org, tree["T1"], code="E0001", name="Léa Martin")
    for team in ("T1", "T2", "T3"):
        for i in range(5 if team == "T1" else 6):
            make_member(org, tree[team], code=f"{team}-{i}", name=f"Someone {team} {i}")
    manager = make_user("bob@example.com", password=PASSWORD, first_name="Bob")
    make_membership(manager, org, Role.MANAGER, units=[tree["T1"]])
    executive = make_user("erin@example.com", password=PASSWORD, first_name="Erin")
    make_membership(executive, org, Role.EXECUTIVE)
    behaviors = {b.code: b for b in Behavior.objects.filter(organization=org)}
    now = timezone.now()
    current = Month.of(org.today())
    for at, code, level in (
        (now - datetime.timedelta(days=35), "accueil-1", 2),
        (max(now - datetime.timedelta(hours=1), current.bounds(org.tzinfo)[0]), "conseil-1", 3),
    ):
        observation_create(
            org=org, member=lea, observer=manager, observed_at=at, kind="observation", ratings={behaviors[code]: level}
        )
    # A few survey responses last month (a low sample: drawn hollow).
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organization=org,
            external_id=f"r{i}",
            unit=tree["T1"],
            responded_at=now - datetime.timedelta(days=35),
            nps=score,
            csat=4,
            ces=5,
        )
        for i, score in enumerate([10, 9, 9, 7, 3])
    )
    snapshots_recompute(org=org, months=Month.range(current.shift(-11), current))
    return {"org": org, "lea": lea}


@pytest.mark.parametrize("width", [1366, 375])
def test_manager_opens_their_team_dashboard(browser, live_server, login, field, width):
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        login(page, live_server, "bob@example.com", PASSWORD)
        page.goto(live_server.url + reverse("org-home", kwargs={"org": "acme"}))
        page.locator("#team-T1").get_by_role("button", name="Dashboard").click()
        page.wait_for_url("**/dashboards/teams/T1/dashboard/")
        expect(page.locator("h1")).to_have_text("Lille 1")
        # Plotly drew each chart on the page, with its title.
        for chart, title in (
            ("#deployment-chart", "Deployment rate"),
            ("#transformation-chart", "Transformation rate"),
            ("#dimension-chart", "Dimensions"),
            ("#nps-chart", "NPS of the team"),
            ("#ces-chart", "CES of the team"),
        ):
            expect(page.locator(f"{chart} .main-svg").first).to_be_visible()
            expect(page.locator(f"{chart} .gtitle")).to_contain_text(title)
        expect(page.locator("#transformation-chart .legendtext")).to_have_text(["Lille 1", "Lille", "Organization"])
        expect(page.locator("#kpis .tile").first).to_contain_text("low sample")
        # Nothing overflows sideways, the phone included.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        chart_box = page.locator("#transformation-chart").bounding_box()
        assert chart_box["width"] <= width and chart_box["width"] >= width * 0.8

        with page.expect_download() as download:
            page.locator("#rates figcaption a").nth(1).click()
        assert download.value.suggested_filename == "T1-transformation.csv"
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert text.splitlines()[0].startswith("month,line,unit_code,unit_name,active_members,transformation_rate")

        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"team-dashboard-{width}.png", full_page=True)
    finally:
        context.close()


def test_executive_opening_a_member_page_gets_404(browser, live_server, login, field):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        login(page, live_server, "erin@example.com", PASSWORD)
        url = live_server.url + reverse("deployment:member-detail", kwargs={"org": "acme", "code": "E0001"})
        response = page.goto(url)
        assert response.status == 404
        expect(page.get_by_text("Léa Martin")).to_have_count(0)
        # The team page shows the team, not its members.
        page.goto(live_server.url + reverse("dashboards:team-detail", kwargs={"org": "acme", "code": "T1"}))
        expect(page.locator("h1")).to_have_text("Lille 1")
        expect(page.get_by_text("Léa Martin")).to_have_count(0)
        expect(page.locator(".individuals-hidden")).to_be_visible()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "executive-team-page-1366.png", full_page=True)
    finally:
        context.close()
