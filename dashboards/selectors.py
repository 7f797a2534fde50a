from dataclasses import dataclass

from cxtracker.months import Month
from cxtracker.tenancy.access import scoped_teams
from cxtracker.tenancy.models import Membership, OrgUnit, UnitKind
from deployment.selectors import team_month_summary

from kpis.formulas import weighted_mean


@dataclass(frozen=True)
class Rollup:
    unit: OrgUnit | None
    teams: int
    active_members: int
    coached_members: int
    animations: int
    coverage: float | None
    cadence: float | None
    deployment_rate: float | None


def _rollup(unit, team_months) -> Rollup:
    weights = [(t, t.active_members) for t in team_months]
    return Rollup(
        unit=unit,
        teams=len(team_months),
        active_members=sum(t.active_members for t in team_months),
        coached_members=sum(t.coached_members for t in team_months),
        animations=sum(t.animations for t in team_months),
        coverage=weighted_mean((t.coverage, w) for t, w in weights),
        cadence=weighted_mean((t.cadence, w) for t, w in weights),
        deployment_rate=weighted_mean((t.deployment_rate, w) for t, w in weights),
    )


def deployment_overview(*, membership: Membership, month: Month) -> tuple[Rollup, list[Rollup]]:
    """The month's deployment over every team the membership sees, and per region."""
    org = membership.organization
    teams = list(scoped_teams(membership))
    summary = team_month_summary(org=org, teams=teams, month=month)
    regions = {u.pk: u for u in OrgUnit.objects.for_org(org).filter(kind=UnitKind.REGION).order_by("name")}
    by_region: dict[int, list] = {pk: [] for pk in regions}
    for team in teams:
        region_id = int(team.path.strip("/").split("/")[0])
        by_region.setdefault(region_id, []).append(summary[team.pk])
    rows = [_rollup(regions[pk], tms) for pk, tms in by_region.items() if pk in regions and tms]
    return _rollup(None, list(summary.values())), rows
