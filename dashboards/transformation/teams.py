"""The points of the board's scatter: every team of the unit's subtree over the span, its
transformation rate (protected for the reader) against its NPS."""

from __future__ import annotations

from cxtracker.tenancy.models import OrgUnit
from kpis.engine.rates import rates_read
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target

from .reads import BoardReads, kpi_figures


def team_points(reads: BoardReads, teams: list[OrgUnit], *, url_for) -> list[dict]:
    """One point per team, read team by team (the suppression's sizes are the board's)."""
    if not teams:
        return []
    org, span = reads.org, reads.span
    targets = [Target(team) for team in teams]
    rates = rates_read(
        org=org,
        reader=reads.reader,
        targets=targets,
        periods=[span],
        dimension_periods=[],
        sizes=reads.sizes,
        tree=reads.tree,
    )
    sums = survey_sums(org=org, targets=targets, periods=[span])
    points = []
    for team, row in zip(teams, rates, strict=True):
        k = kpi_figures(sums.get((team.pk, span, None), {}), min_sample=org.min_sample_size)
        points.append(
            {
                "name": team.name,
                "code": team.code,
                "url": url_for(team),
                "suppressed": row["suppressed"],
                "transformation_rate": row["transformation_rate"],
                "nps": k["nps"],
                "nps_n": k["nps_n"],
                "nps_low_sample": k["nps_low_sample"],
            }
        )
    return points
