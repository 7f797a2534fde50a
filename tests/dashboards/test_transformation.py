"""The executive transformation dashboard: its figures are the engine's, small groups stay hidden,
filters live in the URL, bad filters are form errors.

The organization (minimum group size 5, minimum sample 30):

    R  Nord
      B  Lille
        T1  Lille 1       3 members  (small: hidden from the executive)
        T2  Lille 2       6 members  (its smallest sibling: hidden too, else T1 = B − T2 − T3)
        T3  Lille 3      10 members
    R2 Sud
      B2 Marseille
        T4  Marseille 1   8 members  (10 survey responses: a low sample)
        T5  Marseille 2   8 members

The span looked at is August–October 2026; the previous period is May–July 2026.
"""

import csv
import datetime
import io
import json
import re

import pytest
from django.urls import reverse

from cxtracker import charts
from cxtracker.months import Month, MonthSpan
from cxtracker.tenancy.models import Role, UnitKind
from dashboards.transformation import figures
from dashboards.transformation.summary import sort_rows
from deployment.services import animation_create, observation_create
from experience.services import experience_model_create_from_json
from kpis.engine.lag import lag_analysis
from kpis.engine.panel import lag_panel
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.recompute import snapshots_recompute
from kpis.engine.surveys import kpis_read, survey_sums
from kpis.engine.targets import Target
from kpis.models import Metric, MetricValue, SurveyResponse
from kpis.services import metrics_seed_defaults
from steering.models import ActionPlan
from tests.api.conftest import MODEL_JSON
from tests.factories import make_member, make_membership, make_unit, make_user

SPAN = MonthSpan(Month(2026, 8), Month(2026, 10))
PREVIOUS = MonthSpan(Month(2026, 5), Month(2026, 7))
FILTERS = {"from": "2026-08", "to": "2026-10"}
HIDDEN = "fewer than 5 people"
PARIS = datetime.timezone(datetime.timedelta(hours=2))


def _at(month: Month, day=15, hour=10):
    return datetime.datetime(month.year, month.month, day, hour, tzinfo=PARIS)


def _responses(org, team, month, scores, *, prefix):
    """Survey responses of ``team`` in ``month``: ``scores`` is a list of (nps, csat, ces)."""
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organization=org,
            external_id=f"{prefix}-{i}",
            unit=team,
            responded_at=_at(month, day=1 + i % 27),
            nps=nps,
            csat=csat,
            ces=ces,
        )
        for i, (nps, csat, ces) in enumerate(scores)
    )


# CSAT and CES the same in both periods (half 4s, half 3s; half 6s, half 4s): no change, p = 1.
def _mixed(nps_scores):
    return [(n, 4 if i % 2 else 3, 6 if i % 2 else 4) for i, n in enumerate(nps_scores)]


@pytest.fixture
def world(org):
    r = make_unit(org, UnitKind.REGION, code="R", name="Nord")
    b = make_unit(org, UnitKind.BUSINESS_UNIT, r, code="B", name="Lille")
    r2 = make_unit(org, UnitKind.REGION, code="R2", name="Sud")
    b2 = make_unit(org, UnitKind.BUSINESS_UNIT, r2, code="B2", name="Marseille")
    teams = {
        "T1": make_unit(org, UnitKind.TEAM, b, code="T1", name="Lille 1"),
        "T2": make_unit(org, UnitKind.TEAM, b, code="T2", name="Lille 2"),
        "T3": make_unit(org, UnitKind.TEAM, b, code="T3", name="Lille 3"),
        "T4": make_unit(org, UnitKind.TEAM, b2, code="T4", name="Marseille 1"),
        "T5": make_unit(org, UnitKind.TEAM, b2, code="T5", name="Marseille 2"),
    }
    sizes = {"T1": 3, "T2": 6, "T3": 10, "T4": 8, "T5": 8}
    members = {
        code: [make_member(org, teams[code], code=f"{code}-M{i}") for i in range(n)] for code, n in sizes.items()
    }
    model = experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    behaviors = {b.code: b for b in model.behaviors.all()}
    observer = make_user("observer@example.com")
    make_membership(observer, org, Role.ADMIN)
    # T1 (small) masters everything: a figure the executive must never see.
    for member in members["T1"]:
        observation_create(
            org=org,
            member=member,
            observer=observer,
            observed_at=_at(Month(2026, 9)),
            kind="coaching",
            ratings=[(b, 4) for b in behaviors.values()],
        )
    for code, level in (("T2", 2), ("T3", 3), ("T4", 2)):
        for member in members[code][:4]:
            observation_create(
                org=org,
                member=member,
                observer=observer,
                observed_at=_at(Month(2026, 9)),
                kind="observation",
                ratings=[(behaviors["salue-30s"], level), (behaviors["reformule"], level)],
            )
    for month in (Month(2026, 9), Month(2026, 10)):
        animation_create(org=org, team=teams["T3"], held_by=observer, held_at=_at(month), kind="briefing")
    # T2: NPS 25 in July (20 promoters, 10 passives, 10 detractors), 60 in October (28, 8, 4).
    _responses(org, teams["T2"], Month(2026, 7), _mixed([10] * 20 + [7] * 10 + [3] * 10), prefix="t2-jul")
    _responses(org, teams["T2"], Month(2026, 10), _mixed([10] * 28 + [7] * 8 + [3] * 4), prefix="t2-oct")
    # T3: NPS −25 in July (10, 10, 20), 65 in October (30, 6, 4).
    _responses(org, teams["T3"], Month(2026, 7), _mixed([9] * 10 + [8] * 10 + [0] * 20), prefix="t3-jul")
    _responses(org, teams["T3"], Month(2026, 10), _mixed([9] * 30 + [8] * 6 + [0] * 4), prefix="t3-oct")
    # T4: 10 responses in September, a low sample.
    _responses(org, teams["T4"], Month(2026, 9), _mixed([10] * 6 + [5] * 4), prefix="t4-sep")
    metrics_seed_defaults(org=org)
    revenue = Metric.objects.for_org(org).get(code="revenue")
    for month, t3, t4 in ((Month(2026, 8), 1000.0, 3000.0), (Month(2026, 9), 1500.0, 3500.0)):
        MetricValue.objects.create(
            organization=org, metric=revenue, unit=teams["T3"], period_start=month.first_day, value=t3
        )
        MetricValue.objects.create(
            organization=org, metric=revenue, unit=teams["T4"], period_start=month.first_day, value=t4
        )
    snapshots_recompute(org=org, months=Month.range(Month(2026, 5), Month(2026, 10)))
    return {"org": org, "R": r, "B": b, "R2": r2, "B2": b2, **teams}


def _url(org, **params):
    return reverse("dashboards:transformation", kwargs={"org": org.slug}) + (
        "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    )


def _figure(response, name) -> dict:
    match = re.search(
        rf'<script id="figure-{name}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, f"no {name} figure on the page"

    def strict(constant):
        raise AssertionError(f"{constant} in the {name} figure: the browser's JSON.parse refuses it")

    return json.loads(match.group(1), parse_constant=strict)


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    delimiter = ";" if response["Content-Language"] == "fr" else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def layout_title(fig, axis) -> str:
    return fig["layout"][axis]["title"]["text"]


def _csv_get(client, org, **params):
    """A CSV of the logged-in user, in English (the catalogue translates "fewer than 5 people")."""
    return _csv(client.get(_url(org, **params), HTTP_ACCEPT_LANGUAGE="en"))


def _get(client, user, org, lang="en", **params):
    client.force_login(user)
    return client.get(_url(org, **params), HTTP_ACCEPT_LANGUAGE=lang)


# --- who sees it -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "executive", "steering"])
def test_read_all_roles_open_the_dashboard(client, world, request, role):
    user = request.getfixturevalue(role)
    response = _get(client, user, world["org"], **FILTERS)
    assert response.status_code == 200
    assert "Deployment and transformation over time" in response.content.decode()


def test_a_manager_is_sent_to_their_team_page(client, world, org):
    manager = make_user("mgr@example.com")
    make_membership(manager, org, Role.MANAGER, units=[world["T3"]])
    response = _get(client, manager, org)
    assert response.status_code == 302
    assert response.url == reverse("dashboards:team-detail", kwargs={"org": org.slug, "code": "T3"})


def test_the_nav_links_to_the_dashboard_for_an_executive(client, world, executive, org):
    client.force_login(executive)
    body = client.get(reverse("org-home", kwargs={"org": org.slug}), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("dashboards:transformation", kwargs={"org": org.slug}) in body


# --- the figures are the engine's ------------------------------------------------------------


def test_tiles_are_the_engines_figures_over_the_span(client, world, executive, org):
    response = _get(client, executive, org, **FILTERS)
    tiles = {t["key"]: t for t in response.context["board"].tiles}
    [cur, prev] = rates_read(org=org, targets=[Target(None)], periods=[SPAN, PREVIOUS], reader=Reader.protected())
    assert tiles["deployment_rate"]["value"] == round(100 * cur["deployment_rate"], 2)
    assert tiles["transformation_rate"]["value"] == round(100 * cur["transformation_rate"], 2)
    assert tiles["transformation_rate"]["delta"] == round(
        100 * (cur["transformation_rate"] - prev["transformation_rate"]), 2
    )
    assert "p_value" not in tiles["deployment_rate"], "rates are a census: no test"
    [kpis] = kpis_read(org=org, targets=[Target(None)], periods=[SPAN])
    # October: T2 40 (28 P, 4 D), T3 40 (30 P, 4 D); September: T4 10 (6 P, 4 D).
    # NPS = 100 × (64 − 12) / 90 = 57.7778.
    assert kpis["nps"] == 57.7778
    assert tiles["nps"]["value"] == kpis["nps"]
    assert tiles["nps"]["n"] == 90
    assert tiles["nps"]["margin"] == kpis["nps_margin_of_error"]
    # July: 80 responses, 30 P and 30 D: NPS 0 → +57.8, far beyond the noise.
    assert tiles["nps"]["delta"] == 57.78
    assert tiles["nps"]["significant"] is True
    assert tiles["csat"]["value"] == kpis["csat"] and tiles["ces"]["value"] == kpis["ces"]
    # 64 P and 12 D of 90: 196 × √((0.71111 + 0.13333 − 0.57778²) / 90) = 196 × √(0.51062 / 90) = 14.763.
    assert tiles["nps"]["margin"] == 14.7633
    body = response.content.decode()
    assert "57.8" in body and "±&nbsp;14.8" in body


def test_trend_chart_is_the_engines_monthly_figures(client, world, executive, org):
    response = _get(client, executive, org, **FILTERS)
    fig = _figure(response, "trend")
    months = SPAN.months()
    rates = rates_read(org=org, targets=[Target(None)], periods=months, reader=Reader.protected())
    kpis = kpis_read(org=org, targets=[Target(None)], periods=months)
    traces = {t["name"]: t for t in fig["data"]}
    assert traces["Deployment rate"]["x"] == ["2026-08-01", "2026-09-01", "2026-10-01"]
    assert traces["Deployment rate"]["y"] == [round(100 * r["deployment_rate"], 2) for r in rates]
    assert traces["Transformation rate"]["y"] == [round(100 * r["transformation_rate"], 2) for r in rates]
    assert traces["NPS"]["y"] == [k["nps"] for k in kpis]
    assert traces["NPS"]["yaxis"] == "y2"
    # September holds only T4's 10 responses: drawn hollow and grey, with its n, not left out.
    assert traces["NPS"]["marker"]["symbol"][1] == "circle-open"
    assert traces["NPS"]["customdata"][1][0] == 10
    # Revenue of the organization: the mean of its teams' values, (1000 + 3000) / 2 and (1500 + 3500) / 2.
    revenue = Metric.objects.for_org(org).get(code="revenue").name
    assert traces[revenue]["y"] == [2000.0, 2500.0, None]
    assert traces[revenue]["yaxis"] == "y3"
    assert "mean per team" in layout_title(fig, "yaxis3")
    layout = fig["layout"]
    assert layout["title"]["text"] == "Deployment and transformation over time"
    assert layout["xaxis"]["title"]["text"] == "Month"
    assert layout["yaxis"]["title"]["text"] == "Rate (%)"
    assert layout["separators"] == ".,"


def test_action_plans_are_drawn_on_the_trend(client, world, executive, org):
    plan = {"organization": org, "start_on": datetime.date(2026, 9, 5), "due_on": datetime.date(2099, 3, 31)}
    ActionPlan.objects.create(**plan, title="Greet within 30 s", unit=world["T3"], status="in_progress")
    ActionPlan.objects.create(**plan, title="Dropped idea", unit=world["T3"], status="dropped")
    ActionPlan.objects.create(**plan, title="Marseille plan", unit=world["T4"], status="planned")
    response = _get(client, executive, org, unit="B", **FILTERS)
    fig = _figure(response, "trend")
    [plans] = [t for t in fig["data"] if t["name"] == "Action plans"]
    assert plans["x"] == ["2026-09-05"]
    assert plans["customdata"] == [["Greet within 30 s", "Lille 3", "In progress", "2099-03-31"]]
    assert [s["x0"] for s in fig["layout"]["shapes"]] == ["2026-09-05"]


def test_in_french_titles_months_and_decimal_commas(client, world, executive, org):
    response = _get(client, executive, org, lang="fr", **FILTERS)
    fig = _figure(response, "trend")
    assert fig["layout"]["separators"] == ",\u00a0"
    assert fig["layout"]["xaxis"]["tickformat"] == "%b %Y"  # month names from the registered fr locale
    body = response.content.decode()
    assert "plotly-locale-fr.js" in body and "vendor/plotly/plotly.min.js" in body
    assert "57,8" in body
    rows = _csv(client.get(_url(org, csv="trend", **FILTERS), HTTP_ACCEPT_LANGUAGE="fr"))
    assert rows[1][0] == "2026-08"
    assert "," in rows[1][3], "decimal comma in a French CSV"


def test_units_table_and_bars_are_the_engines_figures(client, world, admin, org):
    response = _get(client, admin, org, **FILTERS)
    table = response.context["board"].table
    assert [r["code"] for r in table] == ["R", "R2"]
    rates = rates_read(
        reader=Reader.unrestricted(), org=org, targets=[Target(world["R"]), Target(world["R2"])], periods=[SPAN]
    )
    kpis = kpis_read(org=org, targets=[Target(world["R"]), Target(world["R2"])], periods=[SPAN])
    for row, rate, kpi in zip(table, rates, kpis, strict=True):
        assert row["transformation_rate"] == rate["transformation_rate"]
        assert row["deployment_rate"] == rate["deployment_rate"]
        assert row["nps"] == kpi["nps"] and row["nps_n"] == kpi["nps_n"]
    fig = _figure(response, "children")
    bars = {t["name"]: t for t in fig["data"]}
    # Plotly draws the first category at the bottom: the table's order reversed.
    assert bars["Transformation rate"]["y"] == ["Sud", "Nord"]
    assert bars["Transformation rate"]["x"] == [round(100 * r["transformation_rate"], 2) for r in reversed(rates)]
    # A click on a bar drills down.
    assert bars["Transformation rate"]["customdata"][1] == _url(
        org, unit="R", **FILTERS, metric="revenue", mastery="mastered", lag="nps"
    )


def test_heatmap_is_the_engines_shares_by_dimension(client, world, admin, org):
    response = _get(client, admin, org, unit="B", mastery="known", **FILTERS)
    fig = _figure(response, "heatmap")
    [heat] = fig["data"]
    assert heat["x"] == ["Lille 1", "Lille 2", "Lille 3"]
    assert heat["y"] == ["Accueil", "Conseil"]
    rows = rates_read(
        reader=Reader.unrestricted(), org=org, targets=[Target(world[c]) for c in ("T1", "T2", "T3")], periods=[SPAN]
    )
    expected = [
        [round(100 * {d["code"]: d for d in r["dimensions"]}[dim]["known_share"], 2) for r in rows]
        for dim in ("accueil", "conseil")
    ]
    assert heat["z"] == expected
    # T1's three members know everything (level 4 everywhere): 100 %, what the admin may see.
    assert expected[0][0] == 100.0
    assert fig["layout"]["title"]["text"] == "Known share by dimension"


def test_scatter_is_each_teams_transformation_and_nps(client, world, admin, org):
    response = _get(client, admin, org, **FILTERS)
    fig = _figure(response, "scatter")
    teams = [world[c] for c in ("T1", "T2", "T3", "T4", "T5")]
    rates = {
        r["unit"]: r
        for r in rates_read(reader=Reader.unrestricted(), org=org, targets=[Target(t) for t in teams], periods=[SPAN])
    }
    kpis = {k["unit"]: k for k in kpis_read(org=org, targets=[Target(t) for t in teams], periods=[SPAN])}
    points = {}
    for trace in fig["data"]:
        for name, x, y in zip(trace["text"], trace["x"], trace["y"], strict=True):
            points[name] = (x, y, trace["marker"]["symbol"])
    # T1 and T5 have no response: no point. T4's 10 responses: hollow.
    assert set(points) == {"Lille 2", "Lille 3", "Marseille 1"}
    for code, name in (("T2", "Lille 2"), ("T3", "Lille 3"), ("T4", "Marseille 1")):
        assert points[name][:2] == (round(100 * rates[code]["transformation_rate"], 2), kpis[code]["nps"])
    assert points["Marseille 1"][2] == "circle-open"
    assert points["Lille 3"][2] == "circle"


def test_lag_chart_is_the_engines_analysis_and_sentence(client, world, executive, org):
    response = _get(client, executive, org, lang="en", **FILTERS)
    chart = response.context["board"].lag_chart
    # The same outcome months as the API's default window: 24 months ending with the span.
    api = client.get(
        "/api/v1/analysis/lag/", {"outcome": "nps", "from": "2024-11", "to": "2026-10"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert chart.note == api["sentence"]
    panel = lag_panel(org=org, outcome="nps", unit=None, first=Month(2024, 11), last=Month(2026, 10), max_lag=6)
    result = lag_analysis(panel, max_lag=6, weighted=True, log_outcome=False, higher_is_better=True, min_n=30)
    assert [row[:2] for row in chart.rows] == [[e["lag"], e["slope"]] for e in result["curve"]]
    assert api["sentence"] in response.content.decode()


def test_lag_chart_draws_the_curve_with_its_intervals():
    curve = [
        {"lag": k, "slope": s, "ci_low": s - 1, "ci_high": s + 1, "p_value": 0.5, "r": 0.1, "pooled_r": 0.2, "n": 40}
        for k, s in zip(range(-2, 3), [0.1, -0.2, 0.5, 3.0, 1.0], strict=True)
    ]
    chart = figures.lag_chart(
        result={"curve": curve, "best_lag": 1},
        sentence="Mastery shows up.",
        outcome_label="NPS",
        unit_label="NPS points",
        language="en",
    )
    [trace] = chart.figure["data"]
    assert trace["x"] == [-2, -1, 0, 1, 2]
    assert trace["y"] == [0.1, -0.2, 0.5, 3.0, 1.0]
    assert trace["error_y"]["array"] == pytest.approx([1.0] * 5)
    assert trace["error_y"]["arrayminus"] == pytest.approx([1.0] * 5)
    # Leads (the placebo) grey, the best lag highlighted.
    assert trace["marker"]["color"][:2] == [charts.LOW_SAMPLE_COLOR] * 2
    assert trace["marker"]["color"][3] == charts.NPS_COLOR
    assert chart.note == "Mastery shows up."


# --- significance, corrected for the table -----------------------------------------------------


def test_table_marks_are_benjamini_hochberg_corrected(client, world, admin, org):
    response = _get(client, admin, org, unit="B", **FILTERS)
    rows = {r["code"]: r for r in response.context["board"].table}
    # T3: NPS −25 → 65 on 40 + 40 responses: z ≈ 6, significant after correction.
    assert rows["T3"]["nps_change"] == 90.0
    assert rows["T3"]["nps_significant"] is True
    # T2: NPS 25 → 60. Variances 100² × (0.75 − 0.25²) / 40 = 171.875 and 100² × (0.8 − 0.6²) / 40
    # = 110; z = 35 / √281.875 = 2.0847, p = 0.0371: significant alone...
    assert rows["T2"]["nps_change"] == 35.0
    assert rows["T2"]["nps_p"] == pytest.approx(0.0371, abs=1e-4)
    # ... but not among the table's 6 tests (T1 has no response): rank 2 needs p ≤ 2 × 0.05 / 6 = 0.0167.
    assert rows["T2"]["nps_significant"] is False
    # CSAT and CES did not move: p = 1, no mark.
    assert rows["T3"]["csat_change"] == 0.0 and rows["T3"]["csat_p"] == pytest.approx(1.0)
    assert rows["T3"]["csat_significant"] is False
    body = response.content.decode()
    assert "▲ +90.0" in body and "▲ +35.0" not in body


def test_survey_sums_sum_a_span_and_its_months(world, org):
    months = SPAN.months()
    sums = survey_sums(org=org, targets=[Target(world["B"]), Target(None)], periods=[SPAN, *months])
    assert sums[(world["B"].pk, SPAN, None)]["nps_n"] == 80
    assert sums[(world["B"].pk, Month(2026, 10), None)]["promoters"] == 58
    assert sums[(None, SPAN, None)]["nps_n"] == 90
    assert sums[(None, Month(2026, 9), None)]["detractors"] == 4
    assert (None, Month(2026, 8), None) not in sums  # no response that month


# --- protection of the people observed -------------------------------------------------------


def test_a_small_team_and_its_complementary_sibling_are_hidden_from_the_executive(client, world, executive, org):
    response = _get(client, executive, org, unit="B", **FILTERS)
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.context["board"].table}
    assert rows["T1"]["suppressed"] and rows["T2"]["suppressed"] and not rows["T3"]["suppressed"]
    assert rows["T1"]["transformation_rate"] is None and rows["T1"]["transformation_spark"] is None
    body = response.content.decode()
    table = body[body.index('class="children-table"') : body.index("</table>")]
    for name in ("Lille 1", "Lille 2"):
        row = table[table.index(f">{name}</a>") :].split("</tr>")[0]
        assert HIDDEN in row, f"{name} shows its figures"
    row = table[table.index(">Lille 3</a>") :].split("</tr>")[0]
    assert HIDDEN not in row
    # Survey KPIs are about customers: still shown for the small team's sibling.
    assert rows["T2"]["nps"] == 60.0
    # Charts: no bar, no heatmap cell, no point, the reason written on them.
    bars = _figure(response, "children")
    for trace in bars["data"]:
        values = dict(zip(trace["y"], trace["x"], strict=True))
        assert values["Lille 1"] is None and values["Lille 2"] is None and values["Lille 3"] is not None
    assert {a["text"] for a in bars["layout"]["annotations"]} == {HIDDEN}
    heat, grey = _figure(response, "heatmap")["data"]
    assert [row[:2] for row in heat["z"]] == [[None, None], [None, None]]
    assert grey["text"][0][:2] == [HIDDEN, HIDDEN]
    assert response.context["charts"]["heatmap"].note == f"Grey: {HIDDEN}."
    scatter_names = {name for t in _figure(response, "scatter")["data"] for name in t["text"]}
    assert "Lille 2" not in scatter_names and "Lille 3" in scatter_names
    # The CSVs say it too, never the figure.
    rows_csv = {r[1]: r for r in _csv_get(client, org, unit="B", csv="children", **FILTERS)}
    assert rows_csv["T1"][3:7] == [HIDDEN] * 4
    assert rows_csv["T2"][3:7] == [HIDDEN] * 4
    assert rows_csv["T3"][3] not in ("", HIDDEN)
    heat_csv = _csv_get(client, org, unit="B", csv="heatmap", **FILTERS)
    assert [r for r in heat_csv if r[1] == "T1"] == [["Lille 1", "T1", "", HIDDEN, HIDDEN]]
    scatter_csv = {r[1]: r for r in _csv_get(client, org, unit="B", csv="scatter", **FILTERS)}
    assert scatter_csv["T1"][2] == HIDDEN and scatter_csv["T2"][2] == HIDDEN


def test_a_small_teams_own_page_hides_its_rates_in_tiles_trend_and_csv(client, world, executive, org):
    response = _get(client, executive, org, unit="T1", **FILTERS)
    tiles = {t["key"]: t for t in response.context["board"].tiles}
    assert tiles["transformation_rate"]["suppressed"] and tiles["transformation_rate"]["value"] is None
    assert tiles["deployment_rate"]["delta"] is None
    body = response.content.decode()
    tile = body[body.index('id="tile-transformation_rate"') :].split("</article>")[0]
    assert HIDDEN in tile
    trend = {t["name"]: t for t in _figure(response, "trend")["data"]}
    assert trend["Transformation rate"]["y"] == [None, None, None]
    rows = _csv_get(client, org, unit="T1", csv="trend", **FILTERS)
    assert [r[2:4] for r in rows[1:]] == [[HIDDEN, HIDDEN]] * 3


def test_a_team_small_in_one_month_is_hidden_in_every_month_of_the_span(client, world, executive, org):
    # T6: 3 members in August and September, 5 from October: the span hides it (as rates_read
    # does), and so does the chart for October, the span's end, which the tiles withhold.
    t6 = make_unit(org, UnitKind.TEAM, world["B2"], code="T6", name="Marseille 3")
    for i in range(3):
        make_member(org, t6, code=f"T6-M{i}")
    for i in range(3, 5):
        make_member(org, t6, code=f"T6-M{i}", active_from=datetime.date(2026, 10, 1))
    snapshots_recompute(org=org, months=SPAN.months())
    [october] = rates_read(org=org, targets=[Target(t6)], periods=[Month(2026, 10)], reader=Reader.protected())
    assert not october["suppressed"] and october["transformation_rate"] == 0.0
    response = _get(client, executive, org, unit="T6", **FILTERS)
    trend = {t["name"]: t for t in _figure(response, "trend")["data"]}
    assert trend["Transformation rate"]["y"] == [None, None, None]
    assert trend["Deployment rate"]["y"] == [None, None, None]
    rows = _csv_get(client, org, unit="T6", csv="trend", **FILTERS)
    assert rows[3][2:4] == [HIDDEN, HIDDEN]


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_the_teams_points_are_rates_read_team_by_team(client, world, org, executive, admin, role):
    user, reader = (executive, Reader.protected()) if role == "executive" else (admin, Reader.unrestricted())
    codes = ("T1", "T2", "T3", "T4", "T5")
    rows = rates_read(org=org, reader=reader, targets=[Target(world[c]) for c in codes], periods=[SPAN])
    expected = {r["unit"]: (r["transformation_rate"], r["suppressed"]) for r in rows}
    points = _get(client, user, org, **FILTERS).context["board"].team_points
    assert {p["code"]: (p["transformation_rate"], p["suppressed"]) for p in points if p["code"] in codes} == expected
    assert expected["T1"] == ((None, True) if role == "executive" else (1.0, False))
    points = _get(client, user, org, unit="B2", **FILTERS).context["board"].team_points
    assert {p["code"] for p in points} == {"T4", "T5"}


def test_the_admin_sees_the_small_team(client, world, admin, org):
    response = _get(client, admin, org, unit="B", **FILTERS)
    rows = {r["code"]: r for r in response.context["board"].table}
    [t1] = rates_read(reader=Reader.unrestricted(), org=org, targets=[Target(world["T1"])], periods=[SPAN])
    assert not rows["T1"]["suppressed"]
    # 3 members × 3 behaviors all at level 4: a transformation rate of 1.
    assert rows["T1"]["transformation_rate"] == t1["transformation_rate"] == 1.0


# --- filters, drill-down, breadcrumb --------------------------------------------------------------


def test_defaults_are_the_last_twelve_months_of_the_organization(client, world, executive, org):
    response = _get(client, executive, org)
    board = response.context["board"]
    current = Month.of(org.today())
    assert board.unit is None
    assert (board.span.first, board.span.last) == (current.shift(-11), current)


def test_rows_drill_down_and_the_breadcrumb_goes_back_up(client, world, executive, org):
    common = {**FILTERS, "metric": "revenue", "mastery": "mastered", "lag": "nps"}
    response = _get(client, executive, org, **FILTERS)
    body = response.content.decode()
    assert f'href="{_url(org, unit="R", **common)}"'.replace("&", "&amp;") in body
    response = _get(client, executive, org, unit="R", **FILTERS)
    assert [r["code"] for r in response.context["board"].table] == ["B"]
    response = _get(client, executive, org, unit="T3", **FILTERS)
    crumbs = response.context["breadcrumb"]
    assert [name for name, _url_ in crumbs] == ["Acme Retail", "Nord", "Lille"]
    assert crumbs[0][1] == _url(org, **common)
    assert crumbs[2][1] == _url(org, unit="B", **common)
    # A team has no units below: its own column, and a link to its team page.
    assert [r["code"] for r in response.context["board"].table] == ["T3"]
    assert reverse("dashboards:team-detail", kwargs={"org": org.slug, "code": "T3"}) in response.content.decode()


def test_sorting_by_a_column_works_without_javascript(client, world, admin, org):
    response = _get(client, admin, org, unit="B", sort="-nps", **FILTERS)
    assert [r["code"] for r in response.context["board"].table] == ["T3", "T2", "T1"]
    response = _get(client, admin, org, unit="B", sort="transformation", **FILTERS)
    assert [r["code"] for r in response.context["board"].table] == ["T2", "T3", "T1"]
    # The header of the sorted column reverses it.
    assert "sort=-transformation" in response.content.decode()


def _option_form(body: str, name: str) -> tuple[dict, list[str]]:
    """The hidden filters and the options of the chart form that sets ``name``."""
    form = re.search(rf'<form[^>]*class="inline-option">((?:(?!</form>).)*<select name="{name}".*?)</form>', body, re.S)
    assert form, f"no form for {name}"
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(1)))
    return hidden, re.findall(r'<option value="([^"]*)"', form.group(1))


def test_each_charts_form_changes_its_filter_and_keeps_the_others(client, world, admin, org):
    body = _get(client, admin, org, unit="B", sort="-nps", lag="csat", **FILTERS).content.decode()
    common = {"unit": "B", "from": "2026-08", "to": "2026-10", "sort": "-nps"}
    hidden, options = _option_form(body, "mastery")
    assert hidden == {**common, "metric": "revenue", "lag": "csat"} and options == ["mastered", "known"]
    hidden, options = _option_form(body, "lag")
    assert hidden == {**common, "metric": "revenue", "mastery": "mastered"} and options[:3] == ["nps", "csat", "ces"]
    hidden, options = _option_form(body, "metric")
    assert hidden == {**common, "mastery": "mastered", "lag": "csat"} and "revenue" in options
    assert re.search(r'<option value="csat" selected>', body)


def test_sort_rows_puts_missing_and_hidden_figures_last():
    rows = [
        {"name": "A", "code": "A", "suppressed": True, "transformation_rate": None, "nps": 10.0},
        {"name": "B", "code": "B", "suppressed": False, "transformation_rate": 0.5, "nps": None},
        {"name": "C", "code": "C", "suppressed": False, "transformation_rate": 0.2, "nps": 30.0},
    ]
    assert [r["code"] for r in sort_rows(rows, "-transformation")] == ["B", "C", "A"]
    assert [r["code"] for r in sort_rows(rows, "transformation")] == ["C", "B", "A"]
    assert [r["code"] for r in sort_rows(rows, "nps")] == ["A", "C", "B"]
    assert [r["code"] for r in sort_rows(rows, "-name")] == ["C", "B", "A"]


def test_metric_choice_changes_the_third_axis(client, world, executive, org):
    MetricValue.objects.create(
        organization=org,
        metric=Metric.objects.for_org(org).get(code="retention_rate"),
        unit=world["T3"],
        period_start=datetime.date(2026, 10, 1),
        value=71.5,
    )
    response = _get(client, executive, org, metric="retention_rate", **FILTERS)
    traces = {t.get("yaxis"): t for t in _figure(response, "trend")["data"]}
    assert traces["y3"]["y"] == [None, None, 71.5]
    assert traces["y3"]["name"] == Metric.objects.for_org(org).get(code="retention_rate").name


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unit": "NOPE"}, "unit"),
        ({"from": "2026-13"}, "from_"),
        ({"from": "march"}, "from_"),
        ({"from": "2026-10", "to": "2026-08"}, "to"),
        ({"to": "2999-01"}, "to"),
        ({"from": "2010-01", "to": "2026-10"}, "from_"),
        ({"sort": "salary"}, "sort"),
        ({"csv": "everything"}, "csv"),
        ({"metric": "nope"}, "metric"),
    ],
)
def test_bad_filters_are_a_form_error_not_a_500(client, world, executive, org, params, field):
    response = _get(client, executive, org, **params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    if field == "unit":
        assert "Unknown unit code: NOPE." in response.content.decode()
    assert "These filters are not valid" in response.content.decode()


def test_another_organizations_unit_is_unknown(client, world, executive, org, other_org):
    make_unit(other_org, UnitKind.REGION, code="GLOBEX-R", name="Globex region")
    response = _get(client, executive, org, unit="GLOBEX-R")
    assert response.status_code == 400
    assert "Globex region" not in response.content.decode()


def test_outsider_gets_404(client, world, outsider, org):
    client.force_login(outsider)
    assert client.get(_url(org)).status_code == 404
    assert client.get(_url(org, csv="trend")).status_code == 404


def test_months_without_data_give_an_empty_state_not_zeros(client, world, executive, org):
    response = _get(client, executive, org, **{"from": "2024-01", "to": "2024-03"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "No data from January 2024 to March 2024." in body
    assert 'id="figure-trend"' not in body and "0.0 %" not in body


def test_csv_of_every_chart_keeps_the_filters(client, world, executive, org):
    for chart in ("trend", "children", "heatmap", "scatter", "lag"):
        response = _get(client, executive, org, unit="B", csv=chart, **FILTERS)
        assert response.status_code == 200, chart
        assert f"{chart}-B-2026-08-2026-10.csv" in response["Content-Disposition"]
        assert len(_csv(response)) >= 1
    rows = _csv(_get(client, executive, org, unit="B", csv="trend", **FILTERS))
    assert [r[0] for r in rows[1:]] == ["2026-08", "2026-09", "2026-10"]
