"""Reads of the team pages: the engine's figures (kpis.engine) for the membership that reads them,
under the one protection policy (kpis.engine.readers), and the members' mean levels per dimension.

The month summaries are counted live (``rates_read(live=True)``): a month in progress shows an
observation logged a minute ago, whoever reads it, and its small groups are hidden on the live
sizes as the snapshots' are on theirs. The team dashboard's twelve months are the snapshots'.
"""

from dataclasses import dataclass

from cxtracker.months import Month
from cxtracker.tenancy.models import Membership, OrgUnit, UnitKind
from kpis.engine.formulas import mean_level
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.surveys import kpis_read
from kpis.engine.targets import Target

# The team dashboard's span, up to the current month.
MONTHS = 12


def team_month_rates(*, membership: Membership, teams, month: Month) -> dict[int, dict]:
    """team id → its ``rates_read`` row for ``month``, counted live from the field data, as the
    membership may see it: a manager sees their own teams whole, an admin every team; above the
    managers a small team's member-derived figures (and their complements) are None and the row
    ``suppressed``. One read for all the teams of a page."""
    teams = list(teams)
    rows = rates_read(
        org=membership.organization,
        reader=Reader.of(membership),
        targets=[Target(team) for team in teams],
        periods=[month],
        live=True,
    )
    return {team.pk: row for team, row in zip(teams, rows, strict=True)}


def dimension_mastery(levels: dict[tuple[int, int], int], behaviors, member_ids) -> dict[int, dict[int, float | None]]:
    """member id → dimension id → mean of the member's latest levels in that dimension
    (None when none of its behaviors was rated). Plain Python over ``deployment.selectors.latest_levels``."""
    by_dimension: dict[int, list[int]] = {}
    for b in behaviors:
        by_dimension.setdefault(b.dimension_id, []).append(b.pk)
    return {
        m: {d: mean_level(levels[(m, b)] for b in bs if (m, b) in levels) for d, bs in by_dimension.items()}
        for m in member_ids
    }


# ---------------------------------------------------------------------------------------------
# The manager's team dashboard


@dataclass(frozen=True)
class ComparisonLine:
    """One line of the team dashboard: the team, its business unit or the organization."""

    key: str  # "team", "business_unit", "organization"
    unit: OrgUnit | None
    rows: list[dict]  # rates_read rows, one per month


def team_comparison_rates(*, membership: Membership, team: OrgUnit, months: list[Month]) -> list[ComparisonLine]:
    """The team's rates per month beside its business unit's and the organization's, read together
    as the membership may see them (kpis.engine.readers: a line the reader does not see whole is
    protected, and hidden too when what is left of it once the reader's own teams and the lines
    beside it are taken out is a small group)."""
    org = membership.organization
    units = [("team", team)]
    if team.parent_id and team.parent.kind == UnitKind.BUSINESS_UNIT:
        units.append(("business_unit", team.parent))
    units.append(("organization", None))
    rows = rates_read(org=org, reader=Reader.of(membership), targets=[Target(u) for _k, u in units], periods=months)
    width = len(months)
    return [ComparisonLine(key, unit, rows[i * width : (i + 1) * width]) for i, (key, unit) in enumerate(units)]


@dataclass(frozen=True)
class TeamDashboard:
    team: OrgUnit
    months: list[Month]
    lines: list[ComparisonLine]  # team, its business unit (if any), the organization
    kpis: list[dict]  # kpis_read rows of the team, one per month
    dimensions_month: Month | None  # the latest month with per-dimension figures
    dimensions: list[dict]  # that month's dimensions, the lowest transformation rate first

    @property
    def team_rows(self) -> list[dict]:
        return self.lines[0].rows

    @property
    def has_rates(self) -> bool:
        return any(r["active_members"] is not None for r in self.team_rows)

    @property
    def has_kpis(self) -> bool:
        return any(r["nps_n"] or r["csat_n"] or r["ces_n"] for r in self.kpis)

    @property
    def has_suppressed(self) -> bool:
        return any(r["suppressed"] for line in self.lines for r in line.rows)

    @property
    def latest_kpis(self) -> dict | None:
        """The latest month with a survey response."""
        return next((r for r in reversed(self.kpis) if r["nps_n"] or r["csat_n"] or r["ces_n"]), None)


def team_dashboard(*, membership: Membership, team: OrgUnit, last: Month) -> TeamDashboard:
    """The team's last ``MONTHS`` months up to ``last``."""
    months = Month.range(last.shift(-(MONTHS - 1)), last)
    lines = team_comparison_rates(membership=membership, team=team, months=months)
    kpis = kpis_read(org=membership.organization, targets=[Target(team)], periods=months)
    latest = next((r for r in reversed(lines[0].rows) if r["dimensions"]), None)
    dimensions = []
    if latest is not None:
        # Lowest first: what holds the team back. Unassessed dimensions (no pairs) last.
        dimensions = sorted(
            latest["dimensions"],
            key=lambda d: (d["transformation_rate"] is None, d["transformation_rate"] or 0, d["name"]),
        )
    return TeamDashboard(
        team=team,
        months=months,
        lines=lines,
        kpis=kpis,
        dimensions_month=Month.parse(latest["period"]) if latest else None,
        dimensions=dimensions,
    )
