"""The engine's reads answer the same whatever the company of a target: many teams read at once as
each alone, the suppression's sizes read once for rates and teams' points, and dimensions for the
span only. The organization is tests/dashboards/test_transformation.py's ``world``."""

import pytest

from cxtracker.months import Month
from dashboards.selectors import unit_teams
from kpis.engine import formulas
from kpis.engine.formulas import KPI_SUMS
from kpis.engine.panel import team_month_outcomes
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader, Sizes
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target
from kpis.models import TeamKpiSnapshot
from tests.dashboards.test_transformation import PREVIOUS, SPAN, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", [None, "B", "T4"])
def test_many_team_targets_read_at_once_are_each_team_read_alone(world, org, code):  # noqa: F811
    unit = world[code] if code else None
    teams = unit_teams(org=org, unit=unit)
    together = survey_sums(org=org, targets=[Target(t) for t in teams], periods=[SPAN])
    for team in teams:
        alone = survey_sums(org=org, targets=[Target(team)], periods=[SPAN])
        assert together.get((team.pk, SPAN, None)) == alone.get((team.pk, SPAN, None))
    # T2 and T3 answered in October, T4 in September: their sums are not all zeros.
    assert sum(s["nps_n"] for s in together.values()) > 0


@pytest.mark.parametrize("protect", [True, False])
def test_rates_with_the_sizes_read_once_and_the_spans_dimensions_only(world, org, protect):  # noqa: F811
    targets = [Target(None), Target(world["R"]), Target(world["B"]), Target(world["T1"]), Target(world["T3"])]
    periods = [SPAN, PREVIOUS, *SPAN.months()]
    months = sorted({m for p in periods for m in p.months()})
    reader = Reader.protected() if protect else Reader.unrestricted()
    sizes = Sizes.from_snapshots(org, [m.first_day for m in months])
    full = rates_read(org=org, reader=reader, targets=targets, periods=periods)
    rows = rates_read(org=org, reader=reader, targets=targets, periods=periods, sizes=sizes, dimension_periods=[SPAN])
    assert len(rows) == len(full)
    for row, expected, period in zip(rows, full, periods * len(targets), strict=True):
        assert row == (expected if period == SPAN else {**expected, "dimensions": []})
    assert any(row["dimensions"] for row in rows), "the span's dimensions are there"
    assert any(row["suppressed"] for row in rows) is protect
    teams = unit_teams(org=org, unit=None)
    together = rates_read(org=org, reader=reader, targets=[Target(t) for t in teams], periods=[SPAN], sizes=sizes)
    for team, row in zip(teams, together, strict=True):
        assert row == rates_read(org=org, reader=reader, targets=[Target(team)], periods=[SPAN])[0]


@pytest.mark.parametrize("outcome", ["nps", "csat", "ces"])
def test_the_lag_panels_outcomes_are_the_engines_figures(world, org, outcome):  # noqa: F811
    """kpis.engine.panel.team_month_outcomes works each outcome out alone: as kpis.engine.formulas.kpis does."""
    frame = team_month_outcomes(org=org, outcome=outcome, first=PREVIOUS.first, last=SPAN.last)
    got = {(r.team_id, r.month): (r.value, r.n) for r in frame.itertuples()}
    expected = {}
    for row in TeamKpiSnapshot.objects.for_org(org).filter(breakdown="").values("team_id", "period_start", *KPI_SUMS):
        figures = formulas.kpis(row, min_sample=org.min_sample_size)
        if figures[outcome] is not None:
            expected[(row["team_id"], Month.of(row["period_start"]))] = (figures[outcome], figures[f"{outcome}_n"])
    assert got == expected and len(got) == 5  # T2 and T3 in July and October, T4 in September
