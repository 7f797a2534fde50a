"""Reads of the kpis app: its setup screens, and the rates and KPIs read from the snapshots."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek

from cxtracker.months import Month, period_of
from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind

from ..models import (
    MetricValue,
    SurveyResponse,
    TeamDimensionSnapshot,
    TeamKpiSnapshot,
    TeamMonthSnapshot,
)
from . import formulas, protection

# ---------------------------------------------------------------------------------------------
# Rates and KPIs, read from the snapshots (SPEC §4, §8). A unit's figures are the sums of its
# subtree's team snapshots; every ratio comes from kpis.engine.formulas.

MONTH_SUMS = (
    "active_members",
    "coached_members",
    "animations",
    "cadence_weight",
    "pairs",
    "score_points",
    "assessed",
    "known",
    "mastered",
)
PAIR_SUMS = ("pairs", "score_points", "assessed", "known", "mastered")


@dataclass(frozen=True)
class Target:
    """A unit to report on, or the whole organization (``unit`` None)."""

    unit: OrgUnit | None

    @property
    def key(self):
        return self.unit.pk if self.unit else None

    def covers(self, ancestor_ids: frozenset) -> bool:
        return self.unit is None or self.unit.pk in ancestor_ids

    def describe(self, org: Organization) -> dict:
        if self.unit is None:
            return {"unit": None, "unit_name": org.name, "kind": "organization"}
        return {"unit": self.unit.code, "unit_name": self.unit.name, "kind": self.unit.kind}


def _ancestors(org: Organization, targets) -> dict[int, frozenset]:
    """team id → the ids on its path (itself included), for the teams under the targets."""
    teams = OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM)
    if all(t.unit is not None for t in targets):
        q = Q()
        for t in targets:
            q |= Q(path__startswith=t.unit.path)
        teams = teams.filter(q)
    return {pk: frozenset(int(i) for i in path.strip("/").split("/")) for pk, path in teams.values_list("pk", "path")}


def _covering(ancestors: dict[int, frozenset], targets) -> dict[int, list]:
    """team id → the keys of the targets whose subtree holds it, once per such target (a target
    given twice counts twice, as it always has): each row is then added to its own targets only,
    instead of every target being tried on every row."""
    counts: dict = defaultdict(int)
    for t in targets:
        counts[t.key] += 1
    whole = [None] * counts.pop(None, 0)
    return {
        team_id: [key for key in path if key in counts for _ in range(counts[key])] + whole
        for team_id, path in ancestors.items()
    }


_WHOLE_ORG = -1  # the organization's target key (None) inside SQL


def _rolled_up(
    model, org, covering: dict, starts: list, groups: tuple, sum_fields: tuple, any_fields: tuple = (), where=None
):
    """The snapshot rows of ``model`` for the months ``starts``, each team's row added to each of
    the targets holding it (``covering``), summed by the database: (target key, month start,
    *groups, *any_fields) → ({field: sum}, rows summed). ``any_fields`` are the same on every
    row of a group (a dimension's name and position in a month): one of them is kept. ``where``:
    {field: value} the rows must also have (a survey snapshot's breakdown).

    One query whatever the number of targets; the (team, target) pairs travel as a VALUES list
    of integers (no parameter limit to meet). Sums of integer columns come back as ints."""
    from django.db import connection

    pairs = [
        (int(team_id), _WHOLE_ORG if key is None else int(key)) for team_id, keys in covering.items() for key in keys
    ]
    if not pairs or not starts:
        return {}
    meta = model._meta
    column = {name: meta.get_field(name).column for name in (*groups, *sum_fields, *any_fields)}
    qn = connection.ops.quote_name
    group_sql = "".join(f", s.{qn(column[g])}" for g in groups)
    any_sql = "".join(f", MIN(s.{qn(column[f])})" for f in any_fields)
    sum_sql = ", ".join(
        f"SUM(s.{qn(column[f])})"
        if meta.get_field(f).get_internal_type() == "FloatField"
        else f"CAST(SUM(s.{qn(column[f])}) AS BIGINT)"
        for f in sum_fields
    )
    values = ", ".join(f"({team}, {key})" for team, key in pairs)
    table, team, org_id, start = (
        qn(meta.db_table),
        qn(meta.get_field("team").column),
        qn(meta.get_field("organization").column),
        qn(meta.get_field("period_start").column),
    )
    months = ", ".join(["%s"] * len(starts))
    where = where or {}
    where_sql = "".join(f" AND s.{qn(meta.get_field(f).column)} = %s" for f in where)
    # Only integers and quoted column names are formatted in; the dates and values are parameters.
    sql = (
        f"WITH c(team_id, target) AS (VALUES {values}) "  # noqa: S608
        f"SELECT c.target, s.{start}{group_sql}{any_sql}, {sum_sql}, COUNT(*) "
        f"FROM {table} s JOIN c ON c.team_id = s.{team} "
        f"WHERE s.{org_id} = %s AND s.{start} IN ({months}){where_sql} "
        f"GROUP BY c.target, s.{start}{group_sql}"
    )
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [org.pk, *starts, *where.values()])
        width = 2 + len(groups) + len(any_fields)
        for row in cursor.fetchall():
            key = None if row[0] == _WHOLE_ORG else row[0]
            day = row[1] if isinstance(row[1], datetime.date) else datetime.date.fromisoformat(row[1])
            sums = dict(zip(sum_fields, row[width:-1], strict=True))
            result[(key, day, *row[2:width])] = (sums, row[-1])
    return result


def _rounded(figures: dict) -> dict:
    return {k: formulas.rounded(v) for k, v in figures.items()}


def _sum_into(acc: dict, row: dict, keys) -> None:
    for k in keys:
        acc[k] = acc.get(k, 0) + (row.get(k) or 0)


def _period_months(periods) -> tuple[list[Month], dict]:
    """All months the periods cover, and period → its months."""
    by_period = {p: p.months() for p in periods}
    months = sorted({m for ms in by_period.values() for m in ms})
    return months, by_period


MEMBER_DERIVED = (
    "coached_members",
    "coverage",
    "deployment_rate",
    "transformation_rate",
    "assessed_share",
    "known_share",
    "mastered_share",
)


def suppressed_units(*, org: Organization, months: list[Month]) -> dict:
    """month start → the unit ids (and ``None`` for the organization) whose member-derived figures
    are hidden from the roles above the managers that month (kpis.engine.protection)."""
    units = list(OrgUnit.objects.for_org(org).values_list("pk", "parent_id", "path", "kind"))
    parents = {pk: parent for pk, parent, _path, _kind in units}
    paths = {
        pk: [*(int(i) for i in path.strip("/").split("/")), protection.ROOT]
        for pk, _p, path, kind in units
        if kind == UnitKind.TEAM
    }
    sizes: dict = defaultdict(lambda: defaultdict(int))
    rows = TeamMonthSnapshot.objects.for_org(org).filter(period_start__in=[m.first_day for m in months])
    for team_id, start, active in rows.values_list("team_id", "period_start", "active_members"):
        month_sizes = sizes[start]
        for unit_id in paths.get(team_id, (protection.ROOT,)):
            month_sizes[unit_id] += active
    # Months of the same sizes hide the same groups (members come and go slowly): work each
    # distinct set of sizes out once.
    answers: dict = {}
    result = {}
    for m in months:
        month_sizes = sizes.get(m.first_day, {})
        key = frozenset(month_sizes.items())
        if key not in answers:
            answers[key] = protection.suppressed_groups(parents, month_sizes, org.min_group_size)
        result[m.first_day] = set(answers[key])
    return result


def _suppress(row: dict, org: Organization) -> dict:
    for key in MEMBER_DERIVED:
        row[key] = None
    row["dimensions"] = []
    row["suppressed"] = True
    return row


def rates_read(*, org: Organization, targets: list[Target], periods: list, protect: bool = False) -> list[dict]:
    """Deployment and transformation figures of each target and period (SPEC §8 ``/rates/``).

    A period of several months (a quarter) sums its months' deployment counts (member-months) and
    takes the transformation rate at its end, that of its last month. With ``protect`` (a reader
    above the managers), member-derived figures of small groups are hidden (kpis.engine.protection); a
    period hides a group hidden in any of its months.
    """
    return rates_rows(org=org, targets=targets, periods=periods, protect=protect)


def rates_rows(
    *,
    org: Organization,
    targets: list[Target],
    periods: list,
    protect: bool = False,
    hidden: dict | None = None,
    dimension_periods: list | None = None,
) -> list[dict]:
    """``rates_read``, with two shortcuts for a caller that reads more than these rows (the
    transformation dashboard): ``hidden``, the ``suppressed_units`` of (at least) the periods'
    months when it has read them already; ``dimension_periods``, the only periods whose
    dimensions it shows (the others answer ``"dimensions": []``; None: every period's)."""
    months, by_period = _period_months(periods)
    if not months or not targets:
        return []
    ancestors = _ancestors(org, targets)
    starts = [m.first_day for m in months]
    # Dimensions are reported at a period's end only: read those months alone.
    with_dimensions = set(periods if dimension_periods is None else dimension_periods)
    end_starts = sorted({ms[-1].first_day for p, ms in by_period.items() if p in with_dimensions})
    covering = _covering(ancestors, targets)
    sums: dict = {}  # (target key, month start) → sums
    teams_seen: dict = {}  # (target key, month start) → snapshot rows summed (0: none)
    for (key, start), (values, count) in _rolled_up(TeamMonthSnapshot, org, covering, starts, (), MONTH_SUMS).items():
        sums[(key, start)] = values
        teams_seen[(key, start)] = count
    dims: dict = defaultdict(dict)  # (target key, month start) → code → sums
    dim_rows = _rolled_up(
        TeamDimensionSnapshot,
        org,
        covering,
        end_starts,
        ("dimension_code",),
        PAIR_SUMS,
        ("dimension_name", "dimension_position"),
    )
    for (key, start, code, name, position), (values, _count) in dim_rows.items():
        dims[(key, start)][code] = {"code": code, "name": name, "position": position, **values}
    weight = float(org.rate_weight)
    expected = org.expected_animations_per_month
    if not protect:
        hidden = {}
    elif hidden is None:
        hidden = suppressed_units(org=org, months=months)
    result = []
    for t in targets:
        for period in periods:
            period_months = by_period[period]
            is_hidden = any(t.key in hidden.get(m.first_day, ()) for m in period_months)
            dep: dict = {}
            for m in period_months:
                _sum_into(
                    dep, sums.get((t.key, m.first_day), {}), ("active_members", "coached_members", "cadence_weight")
                )
            end_key = (t.key, period_months[-1].first_day)
            end_sums = sums.get(end_key, {})
            computed = bool(teams_seen.get(end_key)) or any(teams_seen.get((t.key, m.first_day)) for m in period_months)
            figures = formulas.deployment(dep, weight=weight)
            animations = sum(sums.get((t.key, m.first_day), {}).get("animations", 0) for m in period_months)
            if t.unit is not None and t.unit.kind == UnitKind.TEAM and computed:
                # A team's cadence stands without active members: its animations against the target.
                figures["cadence"] = sum(
                    formulas.cadence(sums.get((t.key, m.first_day), {}).get("animations", 0), expected)
                    for m in period_months
                ) / len(period_months)
            mastery = formulas.mastery(end_sums)
            dimensions = (
                sorted(dims.get(end_key, {}).values(), key=lambda d: (d["position"], d["code"]))
                if period in with_dimensions
                else []
            )
            row = {
                **t.describe(org),
                "period": str(period),
                "active_members": end_sums.get("active_members", 0) if computed else None,
                "coached_members": dep.get("coached_members", 0) if computed else None,
                "animations": animations if computed else None,
                **{k: formulas.rounded(v) for k, v in figures.items()},
                **{k: formulas.rounded(v) for k, v in mastery.items()},
                "dimensions": [
                    {
                        "code": d["code"],
                        "name": d["name"],
                        **{k: formulas.rounded(v) for k, v in formulas.mastery(d).items()},
                    }
                    for d in dimensions
                ],
                "suppressed": False,
            }
            result.append(_suppress(row, org) if is_hidden else row)
    return result


KPI_FILTERS = ("journey", "segment", "channel", "trigger")


def kpis_read(*, org: Organization, targets: list[Target], periods: list, filters: dict | None = None) -> list[dict]:
    """NPS, CSAT and CES of each target and period with n, margins and low-sample flags (SPEC §8
    ``/kpis/``). Months and quarters sum the monthly snapshots; weeks, and crossed filters (two
    breakdowns at once), count the responses on demand."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if not periods or not targets:
        return []
    ancestors = _ancestors(org, targets)
    on_demand = periods[0].kind == "week" or len(filters) > 1
    rows = (
        _kpi_rows_raw(org, ancestors, periods, filters)
        if on_demand
        else _kpi_rows_snap(org, ancestors, periods, filters)
    )
    sums: dict = defaultdict(dict)  # (target key, period) → sums
    for team_id, period, row in rows:
        for t in targets:
            if t.covers(ancestors[team_id]):
                _sum_into(sums[(t.key, period)], row, formulas.KPI_SUMS)
    result = []
    for t in targets:
        for period in periods:
            figures = formulas.kpis(sums.get((t.key, period), {}), min_sample=org.min_sample_size)
            result.append(
                {
                    **t.describe(org),
                    "period": str(period),
                    **{k: formulas.rounded(v) if isinstance(v, float) else v for k, v in figures.items()},
                }
            )
    return result


def _kpi_rows_snap(org, ancestors, periods, filters):
    _months, by_period = _period_months(periods)
    period_of_month = {m.first_day: p for p, ms in by_period.items() for m in ms}
    snaps = TeamKpiSnapshot.objects.for_org(org).filter(
        period_start__in=list(period_of_month), team_id__in=list(ancestors)
    )
    if filters:
        ((key, value),) = filters.items()
        snaps = snaps.filter(breakdown=key, value=value)
    else:
        snaps = snaps.filter(breakdown="")
    for row in snaps.values("team_id", "period_start", *formulas.KPI_SUMS):
        yield row["team_id"], period_of_month[row["period_start"]], row


def _kpi_rows_raw(org, ancestors, periods, filters):
    from .compute import kpi_aggregates

    tz = org.tzinfo
    start, end = periods[0].bounds(tz)[0], periods[-1].bounds(tz)[1]
    kind = periods[0].kind
    trunc = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}[kind]
    responses = SurveyResponse.objects.for_org(org).filter(
        responded_at__gte=start, responded_at__lt=end, unit_id__in=list(ancestors), **filters
    )
    wanted = set(periods)
    rows = (
        responses.annotate(bucket=trunc("responded_at", tzinfo=tz))
        .values("unit_id", "bucket")
        .annotate(**kpi_aggregates())
        .order_by()
    )
    for row in rows:
        bucket = row["bucket"]
        day = bucket.astimezone(tz).date() if isinstance(bucket, datetime.datetime) else bucket
        period = period_of(kind, day)
        if period in wanted:
            yield row["unit_id"], period, row


# ---------------------------------------------------------------------------------------------
# Team-month panels for the lag analysis.


def team_month_rates(*, org: Organization, first: Month, last: Month, unit: OrgUnit | None = None):
    """One row per team and month: team_id, team_code, month (Month), active_members,
    transformation_rate (None without pairs), deployment_rate."""
    import pandas as pd

    snaps = TeamMonthSnapshot.objects.for_org(org).filter(
        period_start__gte=first.first_day, period_start__lte=last.first_day
    )
    if unit is not None:
        snaps = snaps.filter(team__path__startswith=unit.path)
    weight = float(org.rate_weight)
    records = []
    months: dict = {}  # period start → Month: one per month, not one per row
    rows = snaps.values_list("team_id", "team__code", "period_start", *MONTH_SUMS).order_by("team_id", "period_start")
    for team_id, team_code, start, *values in rows:
        row = dict(zip(MONTH_SUMS, values, strict=True))
        month = months.get(start) or months.setdefault(start, Month.of(start))
        records.append(
            {
                "team_id": team_id,
                "team_code": team_code,
                "month": month,
                "active_members": row["active_members"],
                "transformation_rate": formulas.transformation_rate(row["score_points"], row["pairs"]),
                "deployment_rate": formulas.deployment(row, weight=weight)["deployment_rate"],
            }
        )
    return pd.DataFrame.from_records(
        records, columns=["team_id", "team_code", "month", "active_members", "transformation_rate", "deployment_rate"]
    )


SURVEY_OUTCOMES = ("nps", "csat", "ces")
# Each survey outcome as kpis.engine.formulas.kpis works it out: its figure and its n, from the sums.
_OUTCOME_SUMS = {
    "nps": (("promoters", "detractors", "nps_n"), lambda p, d, n: (formulas.nps(p, d, n), n)),
    "csat": (("csat_top2", "csat_n"), lambda top2, n: (formulas.csat(top2, n), n)),
    "ces": (("ces_sum", "ces_n"), lambda total, n: (formulas.mean(total, n), n)),
}


def team_month_outcomes(*, org: Organization, outcome: str, first: Month, last: Month, unit: OrgUnit | None = None):
    """One row per team and month with an outcome: team_id, month (Month), value, n (None for a
    business metric). ``outcome`` is nps, csat, ces or a metric code of the organization."""
    import pandas as pd

    columns = ["team_id", "month", "value", "n"]
    records = []
    if outcome in SURVEY_OUTCOMES:
        snaps = TeamKpiSnapshot.objects.for_org(org).filter(
            breakdown="", period_start__gte=first.first_day, period_start__lte=last.first_day
        )
        if unit is not None:
            snaps = snaps.filter(team__path__startswith=unit.path)
        fields, figure = _OUTCOME_SUMS[outcome]
        months: dict = {}  # period start → Month
        for team_id, start, *sums in snaps.values_list("team_id", "period_start", *fields):
            value, n = figure(*(int(v or 0) for v in sums))
            if value is not None:
                month = months.get(start) or months.setdefault(start, Month.of(start))
                records.append({"team_id": team_id, "month": month, "value": value, "n": n})
    else:
        values = MetricValue.objects.for_org(org).filter(
            metric__code=outcome,
            unit__kind=UnitKind.TEAM,
            period_start__gte=first.first_day,
            period_start__lte=last.first_day,
        )
        if unit is not None:
            values = values.filter(unit__path__startswith=unit.path)
        for team_id, period_start, value in values.values_list("unit_id", "period_start", "value"):
            records.append({"team_id": team_id, "month": Month.of(period_start), "value": value, "n": None})
    return pd.DataFrame.from_records(records, columns=columns)
