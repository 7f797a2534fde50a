from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

from django.db.models import Q, Sum

from cxtracker.months import Month, _Period
from cxtracker.tenancy.access import scoped_teams, sees_individuals
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, UnitKind
from deployment.selectors import team_month_summary
from kpis.engine import formulas, protection
from kpis.engine import reads as kpi_selectors
from kpis.engine.formulas import weighted_mean
from kpis.engine.reads import Target
from kpis.models import Metric, MetricValue, TeamKpiSnapshot


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
    hidden: bool = False


def _hide(rollup: Rollup) -> Rollup:
    """The rollup without its member-derived figures (SPEC §4: small groups above the managers)."""
    return dataclasses.replace(rollup, coached_members=None, coverage=None, deployment_rate=None, hidden=True)


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
    total = _rollup(None, list(summary.values()))
    if sees_individuals(membership):
        return total, rows
    # Above the managers, small groups are hidden with their complements (kpis.engine.protection), on
    # this month's live counts.
    units = OrgUnit.objects.for_org(org).values_list("pk", "parent_id")
    sizes: dict = defaultdict(int)
    for team in teams:
        for unit_id in [*(int(i) for i in team.path.strip("/").split("/")), protection.ROOT]:
            sizes[unit_id] += summary[team.pk].active_members
    hidden = protection.suppressed_groups(dict(units), sizes, org.min_group_size)
    rows = [_hide(row) if row.unit.pk in hidden else row for row in rows]
    return (_hide(total) if protection.ROOT in hidden else total), rows


# ---------------------------------------------------------------------------------------------
# The executive transformation dashboard's reads: a span of months, the survey sums behind the
# significance tests, the units around the one looked at, a business metric's monthly values.


@dataclass(frozen=True, eq=True)
class MonthSpan(_Period):
    """The months ``first``…``last`` read as one period: what the dashboard's filters choose.

    The engine's reads take it like a quarter: deployment over its member-months, transformation
    at its end, survey KPIs summed over its months. ``previous()`` is the span of the same length
    just before, the one each change is measured against."""

    first: Month
    last: Month

    kind: ClassVar[str] = "span"

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError("a span ends after it starts")

    @property
    def first_day(self) -> datetime.date:
        return self.first.first_day

    def __len__(self) -> int:
        return self.last - self.first + 1

    def next(self) -> MonthSpan:
        return MonthSpan(self.last.next(), self.last.shift(len(self)))

    def previous(self) -> MonthSpan:
        return MonthSpan(self.first.shift(-len(self)), self.first.previous())

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}/{self.last}"


def kpi_sums_read(*, org: Organization, targets: list[Target], periods: list) -> dict:
    """(target key, period) → the survey sums (``kpis.engine.formulas.KPI_SUMS``) of the target's subtree
    over the period, zeros without responses: what ``kpis.engine.stats`` tests a change on.

    The same snapshots as ``kpis.engine.reads.kpis_read`` (all responses, no breakdown), read once
    per month; periods may overlap (a span and each of its months)."""
    months = sorted({m for p in periods for m in p.months()})
    if not months or not targets:
        return {}
    ancestors = kpi_selectors._ancestors(org, targets)
    # Summed by the database per target and month (the snapshots of all responses, no breakdown).
    covering = kpi_selectors._covering(ancestors, list({t.key: t for t in targets}.values()))
    rolled = kpi_selectors._rolled_up(
        TeamKpiSnapshot, org, covering, [m.first_day for m in months], (), formulas.KPI_SUMS, where={"breakdown": ""}
    )
    by_month = {(key, Month.of(start)): values for (key, start), (values, _count) in rolled.items()}
    result = {}
    for t in targets:
        for period in periods:
            acc = dict.fromkeys(formulas.KPI_SUMS, 0)
            for m in period.months():
                kpi_selectors._sum_into(acc, by_month.get((t.key, m), {}), formulas.KPI_SUMS)
            result[(t.key, period)] = acc
    return result


def team_kpi_sums_read(*, org: Organization, teams: list[OrgUnit], span: MonthSpan) -> dict:
    """team id → the survey sums of the team over the span, zeros without responses: what
    ``kpi_sums_read(targets=<each team>, periods=[span])`` answers, summed by the database in one
    query instead of rolling every team up as a target of its own."""
    result = {t.pk: dict.fromkeys(formulas.KPI_SUMS, 0) for t in teams}
    if not result:
        return result
    rows = (
        TeamKpiSnapshot.objects.for_org(org)
        .filter(breakdown="", period_start__in=[m.first_day for m in span.months()], team_id__in=list(result))
        .values("team_id")
        .annotate(**{f"total_{k}": Sum(k) for k in formulas.KPI_SUMS})
        .order_by()
    )
    for row in rows:
        result[row["team_id"]] = {k: row[f"total_{k}"] or 0 for k in formulas.KPI_SUMS}
    return result


def unit_children(*, org: Organization, unit: OrgUnit | None) -> list[OrgUnit]:
    """The units one level down: the regions under the organization, else the unit's children."""
    units = OrgUnit.objects.for_org(org)
    units = units.filter(parent__isnull=True) if unit is None else units.filter(parent=unit)
    return list(units.order_by("name", "code"))


def unit_teams(*, org: Organization, unit: OrgUnit | None) -> list[OrgUnit]:
    """The teams of the unit's subtree (of the organization for None)."""
    teams = OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM)
    if unit is not None:
        teams = teams.filter(path__startswith=unit.path)
    return list(teams.order_by("name", "code"))


def unit_ancestors(*, org: Organization, unit: OrgUnit) -> list[OrgUnit]:
    """The units above ``unit``, from the top of the tree down (the breadcrumb)."""
    ids = [int(i) for i in unit.path.strip("/").split("/")][:-1]
    by_id = OrgUnit.objects.for_org(org).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class MetricPoint:
    value: float
    teams: int  # 0: the unit's own value; else the number of teams averaged


def metric_values_read(*, org: Organization, metric: Metric, targets: list[Target], months: list[Month]) -> dict:
    """(target key, month) → MetricPoint of a business metric.

    A unit's own value when the organization records one for it; otherwise the mean of its
    teams' values. The metric says nothing of how it adds up (revenue adds, an average basket or
    a retention rate does not): the mean per team is right for every kind, and the chart says so.
    """
    if not months or not targets:
        return {}
    ancestors = kpi_selectors._ancestors(org, targets)
    unit_ids = {t.key for t in targets if t.key is not None}
    values = MetricValue.objects.for_org(org).filter(metric=metric, period_start__in=[m.first_day for m in months])
    values = values.filter(Q(unit_id__in=list(ancestors)) | Q(unit_id__in=unit_ids))
    own: dict = {}
    team_values: dict = defaultdict(list)  # (target key, month) → team values
    keys = {t.key for t in targets}
    for unit_id, start, value in values.values_list("unit_id", "period_start", "value"):
        month = Month.of(start)
        if unit_id in unit_ids:
            own[(unit_id, month)] = value
        if unit_id in ancestors:
            covering = ancestors[unit_id] & keys
            for key in [*covering, None] if None in keys else covering:
                team_values[(key, month)].append(value)
    result = {}
    for t in targets:
        for m in months:
            if (t.key, m) in own:
                result[(t.key, m)] = MetricPoint(own[(t.key, m)], 0)
            elif team_values.get((t.key, m)):
                vals = team_values[(t.key, m)]
                result[(t.key, m)] = MetricPoint(sum(vals) / len(vals), len(vals))
    return result


def team_transformation_read(
    *, org: Organization, unit: OrgUnit | None, span: MonthSpan, protect: bool, hidden: dict | None = None
) -> dict:
    """team id → (transformation rate at the end of the span, suppressed) for every team of the
    unit's subtree with a snapshot: what ``rates_read(targets=<each team>, periods=[span],
    protect=...)`` answers, read in two queries instead of rolling every team up as a target of
    its own (``rates_read`` walks its rows once per target).

    A team is hidden when it is hidden in any month of the span, as ``rates_read`` does.
    ``hidden``: ``suppressed_units`` of the span's months, read already by the caller."""
    frame = kpi_selectors.team_month_rates(org=org, first=span.last, last=span.last, unit=unit)
    hidden_ids: set = set()
    if protect:
        # ``hidden``: suppressed_units of (at least) the span's months, when the caller has it.
        by_month = hidden if hidden is not None else kpi_selectors.suppressed_units(org=org, months=span.months())
        for m in span.months():
            hidden_ids |= by_month.get(m.first_day, set())
    result = {}
    for team_id, rate in zip(frame["team_id"].tolist(), frame["transformation_rate"].tolist(), strict=True):
        if team_id in hidden_ids:
            result[team_id] = (None, True)
        else:
            result[team_id] = (formulas.rounded(None if rate is None or rate != rate else rate), False)
    return result
