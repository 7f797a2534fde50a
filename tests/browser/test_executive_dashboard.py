"""An executive logs in, opens the transformation dashboard, drills from a region to a business unit
(a row of the units table) and to a team (a bar of the chart), comes back up by the breadcrumb and
downloads a chart's CSV, whose figures are the engine's; on a desktop and on a phone.

Every team has 6 members (the minimum group size is 5): nothing is suppressed, so the executive
sees every figure. Screenshots land in test-results/ (executive-dashboard-*.png).

    R  Nord
      B  Lille
        T1  Lille 1       6 members, level 3 on every behavior for four of them
        T2  Lille 2       6 members, level 2 for three of them
    R2 Sud
      B2 Marseille
        T3  Marseille 1   6 members, level 4 for five of them
"""

import csv
import datetime
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from cxtracker.charts import percent
from cxtracker.months import Month, MonthSpan
from cxtracker.tenancy.models import Role
from deployment.services import animation_create, observation_create
from experience.services import experience_model_create_from_json
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.recompute import snapshots_recompute
from kpis.engine.surveys import kpis_read
from kpis.engine.targets import Target
from kpis.ingest import survey_responses_ingest
from tests.api.conftest import MODEL_JSON
from tests.factories import make_member, make_membership, make_org, make_tree, make_user

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

TEAMS = ("T1", "T2", "T3")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _noon(org, month: Month, day: int = 10) -> datetime.datetime:
    return datetime.datetime(month.year, month.month, day, 12, tzinfo=org.tzinfo)


@pytest.fixture
def field(db):
    # The dashboard caches its answers on ids that a fresh test database repeats: none from a past run.
    cache.clear()
    org = make_org("acme", "Acme Retail")
    tree = make_tree(org)
    members = {code: [make_member(org, tree[code], code=f"{code}-{i}") for i in range(6)] for code in TEAMS}
    model = experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    behaviors = list(model.behaviors.all())
    coach = make_user("coach@example.com")
    make_membership(coach, org, Role.ADMIN)
    executive = make_user("erin@example.com", password=PASSWORD, first_name="Erin")
    make_membership(executive, org, Role.EXECUTIVE)

    current = Month.of(org.today())
    last_month, earlier = current.previous(), current.shift(-3)
    for code, observed, level in (("T1", 4, 3), ("T2", 3, 2), ("T3", 5, 4)):
        for i, member in enumerate(members[code][:observed]):
            # Half of them seen three months ago at level 2 first: the rate rises over the span.
            if i % 2 == 0:
                observation_create(
                    org=org,
                    member=member,
                    observer=coach,
                    observed_at=_noon(org, earlier),
                    kind="observation",
                    ratings=[(b, 2) for b in behaviors],
                )
            observation_create(
                org=org,
                member=member,
                observer=coach,
                observed_at=_noon(org, last_month, day=12),
                kind="coaching",
                ratings=[(b, level) for b in behaviors],
            )
        animation_create(org=org, team=tree[code], held_by=coach, held_at=_noon(org, last_month), kind="briefing")
    # 40 responses per team last month, NPS scores 10 (promoters) to 3 (detractors) in team-specific mixes.
    mixes = {"T1": (24, 10, 6), "T2": (14, 14, 12), "T3": (30, 6, 4)}
    items = []
    for code, (promoters, passives, detractors) in mixes.items():
        scores = [10] * promoters + [8] * passives + [3] * detractors
        for i, nps in enumerate(scores):
            moment = _noon(org, last_month, day=1 + i % 27)
            items.append(
                {
                    "external_id": f"{code}-r{i}",
                    "unit": code,
                    "responded_at": moment.isoformat(),
                    "nps": nps,
                    "csat": 5 if nps >= 9 else 3,
                    "ces": 6 if nps >= 9 else 4,
                }
            )
    assert survey_responses_ingest(org=org, items=items).created == len(items)
    snapshots_recompute(org=org, months=Month.range(current.shift(-11), current))
    return {"org": org, "tree": tree, "span": MonthSpan(current.shift(-11), current)}


def _unit_is(code):
    """A predicate on the page's URL: the dashboard of unit ``code`` (None: the organization's)."""

    def check(url: str) -> bool:
        parts = urlsplit(url)
        return parts.path.endswith("/dashboards/transformation/") and parse_qs(parts.query).get("unit") == (
            [code] if code else None
        )

    return check


def _bar_of(page, chart: str, label: str):
    """The centre of the bar drawn on the row ``label`` of a horizontal bar chart (the longest of
    the row's bars: the easiest to hit), in the viewport (scrolled into view)."""
    page.locator(chart).scroll_into_view_if_needed()
    tick = page.locator(f"{chart} .ytick text", has_text=label).first
    box = tick.bounding_box()
    row_y = box["y"] + box["height"] / 2
    best = None
    for bar in page.locator(f"{chart} .trace.bars .point path").all():
        b = bar.bounding_box()
        if not b or b["width"] < 2:
            continue
        if abs(b["y"] + b["height"] / 2 - row_y) <= b["height"] and (best is None or b["width"] > best["width"]):
            best = b
    assert best is not None, f"no bar for {label}"
    return best["x"] + best["width"] / 2, best["y"] + best["height"] / 2


@pytest.mark.parametrize("width", [1366, 375])
def test_executive_drills_down_and_back_and_downloads_a_csv(browser, live_server, login, field, width):
    org, tree, span = field["org"], field["tree"], field["span"]
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        login(page, live_server, "erin@example.com", PASSWORD)
        dashboard = live_server.url + reverse("dashboards:transformation", kwargs={"org": org.slug})
        page.goto(dashboard)
        expect(page.locator("h1")).to_have_text("Transformation")
        expect(page.locator(".children-table tbody th")).to_have_text(["Nord", "Sud"])
        # Plotly drew the charts.
        for chart in ("#chart-trend", "#chart-children", "#chart-heatmap", "#chart-scatter"):
            expect(page.locator(f"{chart} .main-svg").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"executive-dashboard-{width}.png", full_page=True)

        # Region → business unit: a click on the row (a figure of it, not its link).
        page.locator(".children-table tbody tr", has_text="Nord").locator("td").first.click()
        page.wait_for_url(_unit_is("R"))
        expect(page.locator("h1")).to_have_text("Transformation · Nord")
        expect(page.locator(".children-table tbody th")).to_have_text(["Lille"])
        page.locator(".children-table tbody tr", has_text="Lille").locator("td").nth(1).click()
        page.wait_for_url(_unit_is("B"))
        expect(page.locator("h1")).to_have_text("Transformation · Lille")
        expect(page.locator(".children-table tbody th")).to_have_text(["Lille 1", "Lille 2"])

        # Business unit → team: a click on Lille 1's bar.
        expect(page.locator("#chart-children .trace.bars .point path").first).to_be_visible()
        x, y = _bar_of(page, "#chart-children", "Lille 1")
        page.mouse.move(x, y)
        with page.expect_navigation():
            page.mouse.click(x, y)
        assert _unit_is("T1")(page.url)
        expect(page.locator("h1")).to_have_text("Transformation · Lille 1")
        crumbs = page.locator("nav.breadcrumb li")
        expect(crumbs).to_have_text(["Acme Retail", "Nord", "Lille", "Lille 1"])
        page.screenshot(path=SCREENSHOTS / f"executive-dashboard-team-{width}.png", full_page=True)

        # Back up by the breadcrumb: to the region, then to the organization.
        crumbs.get_by_role("link", name="Nord").click()
        page.wait_for_url(_unit_is("R"))
        expect(page.locator("h1")).to_have_text("Transformation · Nord")
        expect(page.locator("nav.breadcrumb li")).to_have_text(["Acme Retail", "Nord"])
        page.locator("nav.breadcrumb").get_by_role("link", name="Acme Retail").click()
        page.wait_for_url(_unit_is(None))
        expect(page.locator("h1")).to_have_text("Transformation")

        # The units chart's CSV: one row per region, the engine's figures.
        with page.expect_download() as download:
            page.locator("#card-children .csv-link").click()
        assert download.value.suggested_filename == f"children-{org.slug}-{span.first}-{span.last}.csv"
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    finally:
        context.close()

    header, *lines = rows
    assert header[:7] == [
        "Unit",
        "Code",
        "Active members",
        "Deployment rate (%)",
        "Transformation rate (%)",
        "Deployment change (pts)",
        "Transformation change (pts)",
    ]
    assert header[7:9] == ["NPS", "NPS responses (n)"]
    by_code = {line[1]: dict(zip(header, line, strict=True)) for line in lines}
    assert sorted(by_code) == ["R", "R2"]
    targets = [Target(tree["R"]), Target(tree["R2"])]
    north, south = rates_read(org=org, targets=targets, periods=[span], reader=Reader.protected())
    kpis_north, kpis_south = kpis_read(org=org, targets=targets, periods=[span])
    for code, rates, kpis in (("R", north, kpis_north), ("R2", south, kpis_south)):
        assert not rates["suppressed"]
        assert float(by_code[code]["Transformation rate (%)"]) == percent(rates["transformation_rate"])
        assert float(by_code[code]["Deployment rate (%)"]) == percent(rates["deployment_rate"])
        assert int(by_code[code]["Active members"]) == rates["active_members"]
        assert float(by_code[code]["NPS"]) == kpis["nps"]
        assert int(by_code[code]["NPS responses (n)"]) == kpis["nps_n"]
    # By hand: Sud holds Marseille 1 alone; at the end of the span 5 of its 6 members are at level
    # 4 on the 3 behaviors, the sixth at level 1: (5 × 3 × 3) / 3 / 18 = 0.8333; NPS (30 − 4) / 40.
    assert by_code["R2"]["Transformation rate (%)"] == "83.33"
    assert by_code["R2"]["NPS"] == "65.0"
    assert by_code["R2"]["NPS responses (n)"] == "40"
