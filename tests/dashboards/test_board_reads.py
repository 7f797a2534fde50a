"""The transformation dashboard's own reads answer what the engine's general reads answer: the teams'
survey sums in one query, the suppression read once for rates and teams' points, and dimensions
for the span only. The organization is tests/dashboards/test_transformation.py's ``world``."""

import pytest

from cxtracker.months import Month
from dashboards.selectors import kpi_sums_read, team_kpi_sums_read, team_transformation_read, unit_teams
from kpis.engine import formulas
from kpis.engine.formulas import KPI_SUMS
from kpis.engine.reads import Target, rates_read, rates_rows, suppressed_units, team_month_outcomes
from kpis.models import TeamKpiSnapshot
from tests.dashboards.test_transformation import PREVIOUS, SPAN, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", [None, "B", "T4"])
def test_team_survey_sums_are_those_of_each_team_as_a_target(world, org, code):  # noqa: F811
    unit = world[code] if code else None
    teams = unit_teams(org=org, unit=unit)
    expected = kpi_sums_read(org=org, targets=[Target(t) for t in teams], periods=[SPAN])
    assert team_kpi_sums_read(org=org, teams=teams, span=SPAN) == {t.pk: expected[(t.pk, SPAN)] for t in teams}
    # T2 and T3 answered in October, T4 in September: their sums are not all zeros.
    assert sum(s["nps_n"] for s in team_kpi_sums_read(org=org, teams=teams, span=SPAN).values()) > 0


@pytest.mark.parametrize("protect", [True, False])
def test_rates_with_the_suppression_read_once_and_the_spans_dimensions_only(world, org, protect):  # noqa: F811
    targets = [Target(None), Target(world["R"]), Target(world["B"]), Target(world["T1"]), Target(world["T3"])]
    periods = [SPAN, PREVIOUS, *SPAN.months()]
    months = sorted({m for p in periods for m in p.months()})
    hidden = suppressed_units(org=org, months=months)
    full = rates_read(org=org, targets=targets, periods=periods, protect=protect)
    rows = rates_rows(
        org=org, targets=targets, periods=periods, protect=protect, hidden=hidden, dimension_periods=[SPAN]
    )
    assert len(rows) == len(full)
    for row, expected, period in zip(rows, full, periods * len(targets), strict=True):
        assert row == (expected if period == SPAN else {**expected, "dimensions": []})
    assert any(row["dimensions"] for row in rows), "the span's dimensions are there"
    assert any(row["suppressed"] for row in rows) is protect
    for unit in (None, world["B"]):
        alone = team_transformation_read(org=org, unit=unit, span=SPAN, protect=protect)
        assert team_transformation_read(org=org, unit=unit, span=SPAN, protect=protect, hidden=hidden) == alone


@pytest.mark.parametrize("outcome", ["nps", "csat", "ces"])
def test_the_lag_panels_outcomes_are_the_engines_figures(world, org, outcome):  # noqa: F811
    """kpis.engine.reads.team_month_outcomes works each outcome out alone: as kpis.engine.formulas.kpis does."""
    frame = team_month_outcomes(org=org, outcome=outcome, first=PREVIOUS.first, last=SPAN.last)
    got = {(r.team_id, r.month): (r.value, r.n) for r in frame.itertuples()}
    expected = {}
    for row in TeamKpiSnapshot.objects.for_org(org).filter(breakdown="").values("team_id", "period_start", *KPI_SUMS):
        figures = formulas.kpis(row, min_sample=org.min_sample_size)
        if figures[outcome] is not None:
            expected[(row["team_id"], Month.of(row["period_start"]))] = (figures[outcome], figures[f"{outcome}_n"])
    assert got == expected and len(got) == 5  # T2 and T3 in July and October, T4 in September
