"""GET /api/v1/analysis/lag/: the within-team lag analysis through HTTP, on snapshots holding a
simulated confounded panel (tests/kpis/test_lag.py), its bad input, and tenant isolation."""

import datetime
import math

import numpy as np
import pytest

from cxtracker.months import Month
from cxtracker.tenancy.models import Role, UnitKind
from deployment.services import observation_create
from kpis.engine.panel import lag_panel
from kpis.engine.recompute import snapshots_recompute
from kpis.models import Metric, MetricValue, TeamKpiSnapshot, TeamMonthSnapshot
from tests.api.conftest import Api, make_api_key
from tests.factories import make_membership, make_unit, make_user
from tests.kpis.test_lag import TRUE_SLOPE, confounded_panel, pooled_slope

URL = "/api/v1/analysis/lag/"
START = Month(2024, 1)  # month 0 of the simulated panel; 24 months to 2025-12
WINDOW = {"from": "2024-01", "to": "2025-12"}
PAIRS = 3000  # (member, behavior) pairs per team-month: the rate to 1/9000


def _month(t: int) -> Month:
    return START.shift(int(t))


def _nps_counts(nps: float, n: int) -> tuple[int, int]:
    """Promoters and detractors of n responses whose NPS is as close to ``nps`` as n allows."""
    diff = max(-n, min(n, round(nps * n / 100)))
    rest = (n - abs(diff)) // 4
    return max(diff, 0) + rest, max(-diff, 0) + rest


@pytest.fixture
def simulated(org):
    """40 teams (20 under B-A, 20 under B-B) whose snapshots hold the confounded panel: rates
    in TeamMonthSnapshot, NPS counts in TeamKpiSnapshot."""
    panel = confounded_panel()
    region = make_unit(org, UnitKind.REGION, code="R-L")
    bus = {"A": make_unit(org, UnitKind.BUSINESS_UNIT, region, code="B-A"), "B": None}
    bus["B"] = make_unit(org, UnitKind.BUSINESS_UNIT, region, code="B-B")
    teams = {
        code: make_unit(org, UnitKind.TEAM, bus["A" if i < 20 else "B"], code=f"L-{code}")
        for i, code in enumerate(sorted(panel["team"].unique()))
    }
    rates, kpis = [], []
    for row in panel.itertuples():
        day = _month(row.month).first_day
        team = teams[row.team]
        rates.append(
            TeamMonthSnapshot(
                organization=org,
                team=team,
                period_start=day,
                active_members=10,
                pairs=PAIRS,
                score_points=round(row.rate * 3 * PAIRS),
            )
        )
        promoters, detractors = _nps_counts(row.outcome, int(row.n))
        kpis.append(
            TeamKpiSnapshot(
                organization=org,
                team=team,
                period_start=day,
                promoters=promoters,
                detractors=detractors,
                nps_n=int(row.n),
            )
        )
    TeamMonthSnapshot.objects.bulk_create(rates)
    TeamKpiSnapshot.objects.bulk_create(kpis)
    return {"panel": panel, "teams": teams, "bus": bus}


def _expected_n(panel, min_n=30, first=6, last=21):
    """Team-months with every lag (months 6…21 of 0…23 for lags −2…6) and n ≥ min_n."""
    return int(((panel["month"] >= first) & (panel["month"] <= last) & (panel["n"] >= min_n)).sum())


def _entry(body, lag):
    return next(e for e in body["curve"] if e["lag"] == lag)


def test_endpoint_finds_lag_2_where_the_pooled_slope_is_fooled(api, simulated):
    response = api.get(URL, {"outcome": "nps", "max_lag": 6, **WINDOW})
    assert response.status_code == 200, response.content
    body = response.json()

    assert body["best_lag"] == 2
    assert body["reason"] == "effect"
    assert body["ci_low"] < TRUE_SLOPE < body["ci_high"]
    assert body["slope_unit"] == "outcome"
    assert (body["teams"], body["n"]) == (40, _expected_n(simulated["panel"]))
    for lead in (-2, -1):
        assert _entry(body, lead)["ci_low"] < 0 < _entry(body, lead)["ci_high"]
    assert body["lead_test_p_value"] > 0.05
    assert body["cumulative"]["ci_low"] < TRUE_SLOPE < body["cumulative"]["ci_high"]
    assert [e["lag"] for e in body["curve"]] == list(range(-2, 7))
    assert _entry(body, 2)["pooled_r"] > 2 * _entry(body, 2)["r"] > 0

    _slope, low, high = pooled_slope(simulated["panel"])
    assert not low <= TRUE_SLOPE <= high

    assert (body["first_month"], body["last_month"], body["max_lag"]) == ("2024-01", "2025-12", 6)
    assert body["sentence"].startswith(
        f"Mastery shows up in NPS after 2 months: +{body['slope']:.1f} NPS points per +10 points of transformation "
        f"(95% CI {body['ci_low']:.1f} to {body['ci_high']:.1f}; 40 teams, {body['n']} team-months)."
    )
    assert body["sentence"].endswith("This is an association within teams, not a proof of causation.")


def test_low_sample_team_months_follow_the_organization_setting(api, org, simulated):
    org.min_sample_size = 100
    org.save(update_fields=["min_sample_size"])
    body = api.get(URL, {"outcome": "nps", **WINDOW}).json()
    assert body["n"] == _expected_n(simulated["panel"], min_n=100)


def test_unit_keeps_its_subtree(api, simulated):
    body = api.get(URL, {"outcome": "nps", "unit": "B-A", **WINDOW}).json()
    assert body["teams"] == 20
    panel = simulated["panel"]
    assert body["n"] == _expected_n(panel[panel["team"] < "T20"])


def test_window_bounds_the_outcome_months(api, simulated):
    """Outcomes of 2024-10…2025-03 only; their lags still reach back to 2024-04."""
    body = api.get(URL, {"outcome": "nps", "max_lag": 6, "from": "2024-10", "to": "2025-03"}).json()
    assert body["n"] == _expected_n(simulated["panel"], first=9, last=14)
    assert body["months"] == 6


def test_a_manager_sees_the_teams_of_their_scope(client, org, simulated):
    user = make_user("manager-b@example.com")
    make_membership(user, org, Role.MANAGER, units=[simulated["bus"]["B"]])
    client.force_login(user)
    body = Api(client).get(URL, {"outcome": "nps", **WINDOW}).json()
    assert body["teams"] == 20
    # A unit outside the scope is unknown to them.
    response = Api(client).get(URL, {"outcome": "nps", "unit": "B-A", **WINDOW})
    assert response.status_code == 400
    assert "unit" in response.json()


def test_read_only_key_may_ask(read_api, simulated):
    assert read_api.get(URL, {"outcome": "nps", **WINDOW}).status_code == 200


# --- business metrics: logs for positive values, points for a % ------------------------------


def _metric_values(org, simulated, metric, values):
    MetricValue.objects.bulk_create(
        MetricValue(
            organization=org,
            metric=metric,
            unit=simulated["teams"][row.team],
            period_start=_month(row.month).first_day,
            value=float(value),
        )
        for row, value in zip(simulated["panel"].itertuples(), values, strict=True)
    )


def test_positive_metric_is_fitted_in_logs_and_answers_in_percent(api, org, simulated):
    """Average basket: +2% per +10 points of transformation, three months later."""
    basket = Metric.objects.create(
        organization=org, code="average_basket", name="Average basket", category="business", unit_of_measure="€"
    )
    panel = simulated["panel"]
    rate = panel.set_index(["team", "month"])["rate"]
    rate_lag3 = np.array(
        [rate.get((team, month - 3), 0.0) for team, month in zip(panel["team"], panel["month"], strict=True)]
    )
    team_level = panel.groupby("team")["rate"].transform("mean").to_numpy()
    noise = np.random.default_rng(3).normal(0, 0.01, len(panel))
    _metric_values(org, simulated, basket, 40 * np.exp(2 * team_level + 10 * math.log(1.02) * rate_lag3 + noise))

    body = api.get(URL, {"outcome": "average_basket", **WINDOW}).json()
    assert body["log_outcome"] is True
    assert body["slope_unit"] == "percent"
    assert body["best_lag"] == 3
    assert body["ci_low"] < 2.0 < body["ci_high"]
    # Unweighted, no sample-size filter: every team-month with its lags.
    assert body["n"] == 40 * 16
    assert "% per +10 points of transformation" in body["sentence"]


def test_a_percentage_metric_or_one_with_a_zero_is_not_logged(api, org, simulated):
    retention = Metric.objects.create(
        organization=org, code="retention", name="Retention", category="business", unit_of_measure="%"
    )
    contacts = Metric.objects.create(
        organization=org, code="contacts", name="Contacts", category="operational", unit_of_measure="count"
    )
    panel = simulated["panel"]
    _metric_values(org, simulated, retention, 50 + panel["rate"] * 10)
    _metric_values(org, simulated, contacts, panel["month"] * 3)  # month 0 has 0 contacts
    for code in ("retention", "contacts"):
        body = api.get(URL, {"outcome": code, **WINDOW}).json()
        assert (body["log_outcome"], body["slope_unit"]) == (False, "outcome"), code


# --- too little data, bad input, other tenants ------------------------------------------------


def test_no_data_answers_with_a_reason(api, org):
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["best_lag"], body["reason"], body["n"], body["teams"], body["curve"]) == (
        None,
        "no_data",
        0,
        0,
        [],
    )
    assert body["sentence"].startswith("Not enough data yet to measure a lag on NPS")
    # Defaults: NPS, lags up to 6, the 24 months to the current one.
    current = Month.of(org.today())
    assert (body["outcome"], body["max_lag"], body["last_month"]) == ("nps", 6, str(current))
    assert body["first_month"] == str(current.shift(-23))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"outcome": "revenue-of-nobody"}, "outcome"),
        ({"outcome": ""}, None),  # empty: the default (nps)
        ({"max_lag": "13"}, "max_lag"),
        ({"max_lag": "-1"}, "max_lag"),
        ({"max_lag": "2.5"}, "max_lag"),
        ({"max_lag": "six"}, "max_lag"),
        ({"from": "2024-13"}, "from"),
        ({"from": "2024-01-05"}, "from"),
        ({"to": "last month"}, "to"),
        ({"from": "2025-06", "to": "2025-05"}, "to"),
        ({"from": "2010-01", "to": "2025-12"}, "from"),  # more than 120 months
        ({"unit": "NOPE"}, "unit"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, org, params, field):
    response = api.get(URL, params)
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_another_organizations_key_sees_none_of_this_data(outsider_api, org, simulated):
    """The outsider's organization has the same team codes (make_tree) but no figures: it sees
    nothing; this organization's units and metrics do not exist for it."""
    Metric.objects.create(organization=org, code="basket_only_here", name="Basket", category="business")
    body = outsider_api.get(URL, {"outcome": "nps", **WINDOW}).json()
    assert (body["teams"], body["n"], body["reason"], body["best_lag"]) == (0, 0, "no_data", None)
    for params, field in (({"unit": "B-A"}, "unit"), ({"outcome": "basket_only_here"}, "outcome")):
        response = outsider_api.get(URL, {**params, **WINDOW})
        assert response.status_code == 400
        assert list(response.json()) == [field]


def test_a_session_of_another_organization_sees_nothing(client, simulated, outsider):
    client.force_login(outsider)
    body = Api(client).get(URL, {"outcome": "nps", **WINDOW}).json()
    assert (body["teams"], body["n"]) == (0, 0)


def test_schema_documents_the_endpoint(client, org):
    schema = Api(client, make_api_key(org)).get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"outcome", "max_lag", "unit", "from", "to"}
    ok = operation["responses"]["200"]["content"]["application/json"]
    assert ok["examples"]
    assert "400" in operation["responses"]


# --- end to end: the engine's snapshots are the panel ------------------------------------------


def test_the_panel_is_read_from_the_engines_snapshots(api, org, field):
    """Léa (T1, with Hugo; 3 behaviors) masters one behavior on 10 March; T1 gets three NPS
    answers in March (10, 10, 0). T1's rate is 0 in February and (4 − 1) / 3 / 6 pairs = 1/6 from
    March on; its March NPS is 100 × (2 − 1) / 3, n = 3. T2 and T3 stay at 0, without answers."""
    behavior = field["model"].behaviors.get(code="salue-30s")
    observation_create(
        org=org,
        member=field["members"]["lea"],
        observer=None,
        observed_at=datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC),
        kind="coaching",
        ratings=[(behavior, 4)],
    )
    answers = [
        {"external_id": f"e2e-{i}", "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": nps}
        for i, nps in enumerate((10, 10, 0))
    ]
    assert api.post("/api/v1/survey-responses/", answers).json()["created"] == 3
    snapshots_recompute(org=org, months=Month.range(Month(2026, 2), Month(2026, 5)))

    panel = lag_panel(org=org, outcome="nps", unit=None, first=Month(2026, 3), last=Month(2026, 3), max_lag=1)
    rows = {
        (code, str(month)): (round(rate, 4), None if math.isnan(outcome) else round(outcome, 4), n)
        for code, month, rate, outcome, n in zip(
            panel["team"].map({u.pk: u.code for u in field["tree"].values()}),
            panel["month"],
            panel["rate"],
            panel["outcome"].astype(float),
            panel["n"],
            strict=True,
        )
    }
    expected = {("T1", "2026-02"): (0.0, None, None), ("T1", "2026-03"): (0.1667, 33.3333, 3)}
    expected |= {("T1", m): (0.1667, None, None) for m in ("2026-04", "2026-05")}
    expected |= {(t, m): (0.0, None, None) for t in ("T2", "T3") for m in ("2026-02", "2026-03", "2026-04", "2026-05")}
    assert {k: (r, o, None if n is None or math.isnan(n) else int(n)) for k, (r, o, n) in rows.items()} == expected

    # Through the endpoint: 3 answers are under the minimum sample (30), so nothing is left; with a
    # minimum of 3, one team-month with its lead and lag months. An answer with its reason either way.
    params = {"outcome": "nps", "max_lag": 1, "from": "2026-03", "to": "2026-03"}
    body = api.get(URL, params).json()
    assert (body["reason"], body["n"], body["teams"], body["best_lag"]) == ("no_data", 0, 0, None)
    org.min_sample_size = 3
    org.save(update_fields=["min_sample_size"])
    body = api.get(URL, params).json()
    assert (body["reason"], body["n"], body["teams"], body["best_lag"]) == ("too_few_teams", 1, 1, None)
