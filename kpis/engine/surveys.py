"""The customer KPIs of targets over periods (SPEC §4, §8 ``/kpis/``): survey sums, and the figures
``formulas`` makes of them. Customer figures, not member-derived: every figure carries its n and
nothing is hidden (a low sample is flagged, never dropped).

Months, quarters and spans of months sum the monthly ``TeamKpiSnapshot`` rows, which hold each
breakdown (journey, segment, channel, trigger) alone; weeks, and crossed breakdowns (a journey *and*
a trigger), count the responses. ``tree``: which teams a unit sums each month
(``targets.team_covers``): a response counts for the units above its team in its month's tree.
"""

import datetime
from collections import defaultdict

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek

from cxtracker.months import Month, period_of
from cxtracker.tenancy.models import Organization, Tree

from ..models import SurveyResponse, TeamKpiSnapshot
from . import formulas
from .compute import kpi_aggregates
from .rates import period_months, rolled_up_over, sum_into
from .targets import Target, cover_of_month, team_covers

BREAKDOWNS = ("journey", "segment", "channel", "trigger")
# Periods read from the monthly snapshots (a span of months is read as one period).
SNAPSHOT_KINDS = frozenset({"month", "quarter", "span"})
_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def _given(filters: dict | None) -> dict:
    return {k: v for k, v in (filters or {}).items() if v not in (None, "")}


def survey_sums(
    *,
    org: Organization,
    targets: list[Target],
    periods: list,
    filters: dict | None = None,
    by: str | None = None,
    tree: str = Tree.AS_IS,
) -> dict:
    """(target key, period, value) → the survey sums (``formulas.KPI_SUMS``) of the target over
    the period, restricted by ``filters`` ({breakdown: value}); ``value`` is the response's value of
    the breakdown ``by`` ("" when it was not given), None without ``by``. Missing keys: no
    response."""
    filters = _given(filters)
    if not periods or not targets:
        return {}
    months = sorted({m for p in periods for m in p.months()})
    covers = team_covers(org, targets, [m.first_day for m in months], tree)
    keys = set(filters) | ({by} if by else set())
    if periods[0].kind in SNAPSHOT_KINDS and len(keys) <= 1:
        return _from_snapshots(org, covers, periods, filters, by)
    return _from_responses(org, covers, periods, filters, by)


def _from_snapshots(org, covers, periods, filters, by) -> dict:
    months, by_period = period_months(periods)
    breakdown = by or next(iter(filters), "")
    where = {"breakdown": breakdown, **({"value": filters[breakdown]} if breakdown in filters else {})}
    rows = rolled_up_over(
        TeamKpiSnapshot,
        org,
        covers,
        [m.first_day for m in months],
        ("value",) if by else (),
        formulas.KPI_SUMS,
        where=where,
    )
    periods_of: dict = defaultdict(list)  # month start → the periods holding it
    for period, ms in by_period.items():
        for m in ms:
            periods_of[m.first_day].append(period)
    result: dict = {}
    for (key, start, *value), (sums, _count) in rows.items():
        for period in periods_of[start]:
            sum_into(result.setdefault((key, period, value[0] if by else None), {}), sums, formulas.KPI_SUMS)
    return result


def _from_responses(org, covers, periods, filters, by) -> dict:
    tz = org.tzinfo
    start, end = periods[0].bounds(tz)[0], periods[-1].bounds(tz)[1]
    teams = {team for _months, cover in covers for team in cover}
    responses = SurveyResponse.objects.for_org(org).filter(
        responded_at__gte=start, responded_at__lt=end, unit_id__in=list(teams), **filters
    )
    kind = periods[0].kind
    group = ["unit_id", *([by] if by else [])]
    cover_of = cover_of_month(covers)
    if len(covers) > 1:
        # Several trees: each response's month says which one it is counted in.
        responses = responses.annotate(month=TruncMonth("responded_at", tzinfo=tz))
        group.append("month")
    if kind == "span":
        if len(periods) != 1:
            raise ValueError("spans are read one at a time")
    else:
        responses = responses.annotate(bucket=_TRUNC[kind]("responded_at", tzinfo=tz))
        group.append("bucket")
    wanted = set(periods)
    result: dict = {}
    for row in responses.values(*group).annotate(**kpi_aggregates()).order_by():
        if kind == "span":
            period = periods[0]
        else:
            period = period_of(kind, _day(row["bucket"], tz))
            if period not in wanted:
                continue
        cover = covers[0][1] if len(covers) == 1 else cover_of.get(_day(row["month"], tz), {})
        for key in cover.get(row["unit_id"], ()):
            sum_into(result.setdefault((key, period, row[by] if by else None), {}), row, formulas.KPI_SUMS)
    return result


def _day(value, tz) -> datetime.date:
    """The local day of a truncated moment (a date already on SQLite)."""
    return value.astimezone(tz).date() if isinstance(value, datetime.datetime) else value


def kpis_read(
    *,
    org: Organization,
    targets: list[Target],
    periods: list,
    filters: dict | None = None,
    tree: str = Tree.AS_IS,
) -> list[dict]:
    """NPS, CSAT and CES of each target and period with n, margins and low-sample flags."""
    sums = survey_sums(org=org, targets=targets, periods=periods, filters=filters, tree=tree)
    result = []
    for t in targets:
        for period in periods:
            figures = formulas.kpis(sums.get((t.key, period, None), {}), min_sample=org.min_sample_size)
            result.append(
                {
                    **t.describe(org),
                    "period": str(period),
                    **{k: formulas.rounded(v) if isinstance(v, float) else v for k, v in figures.items()},
                }
            )
    return result


def survey_breakdowns(
    *,
    org: Organization,
    target: Target,
    span,
    filters: dict | None = None,
    breakdowns=BREAKDOWNS,
    tree: str = Tree.AS_IS,
) -> dict[str, dict[str, dict]]:
    """breakdown → value → the survey sums of the target over ``span`` (one period), restricted by
    ``filters``, for each of ``breakdowns``: what ``survey_sums(..., by=breakdown)`` answers for
    each, in at most two queries (the breakdowns the snapshots hold alone in one, the crossed ones
    in one scan of the responses grouped by all of them at once)."""
    filters = _given(filters)
    result: dict[str, dict[str, dict]] = {b: {} for b in breakdowns}
    months = span.months()
    # (months, their teams) of each tree the span is read with; None: every team.
    selections = [
        (ms, None if not target.units else list(cover))
        for ms, cover in team_covers(org, [target], [m.first_day for m in months], tree)
    ]
    selections = [(ms, teams) for ms, teams in selections if teams != []]
    if not selections:
        return result
    from_snapshots = [b for b in breakdowns if set(filters) <= {b} and span.kind in SNAPSHOT_KINDS]
    crossed = [b for b in breakdowns if b not in from_snapshots]
    if from_snapshots:
        snaps = TeamKpiSnapshot.objects.for_org(org).filter(
            _selected(selections, lambda ms: {"period_start__in": ms}, "team_id__in"), breakdown__in=from_snapshots
        )
        for key, value in filters.items():
            snaps = snaps.filter(breakdown=key, value=value)
        rows = snaps.values("breakdown", "value").annotate(**{f"sum_{k}": Sum(k) for k in formulas.KPI_SUMS})
        for row in rows.order_by():
            result[row["breakdown"]][row["value"]] = {k: row[f"sum_{k}"] or 0 for k in formulas.KPI_SUMS}
    if crossed:
        start, end = span.bounds(org.tzinfo)
        tz = org.tzinfo

        def moments(ms):
            # The responses of those months within the span (a span may start or end mid-month).
            first, last = Month.of(ms[0]).bounds(tz)[0], Month.of(ms[-1]).bounds(tz)[1]
            return {"responded_at__gte": max(first, start), "responded_at__lt": min(last, end)}

        responses = SurveyResponse.objects.for_org(org).filter(_selected(selections, moments, "unit_id__in"), **filters)
        for row in responses.values(*crossed).annotate(**kpi_aggregates()).order_by():
            for b in crossed:
                sum_into(result[b].setdefault(row[b], {}), row, formulas.KPI_SUMS)
    return result


def _selected(selections, when, teams_lookup: str) -> Q:
    """Rows of the selections' months (``when(months)``: the lookups) and teams."""
    q = Q(pk__in=[])
    for months, teams in selections:
        q |= Q(**when(months), **({teams_lookup: teams} if teams is not None else {}))
    return q


def survey_breakdown_values(*, org: Organization) -> dict[str, list[str]]:
    """breakdown → the values the organization's survey responses hold (given ones: not ""),
    sorted. Read from the snapshots, one row per team, month and value, rather than from the
    millions of responses themselves."""
    rows = (
        TeamKpiSnapshot.objects.for_org(org)
        .filter(breakdown__in=BREAKDOWNS)
        .exclude(value="")
        .values_list("breakdown", "value")
        .distinct()
        .order_by()
    )
    values: dict[str, set] = defaultdict(set)
    for breakdown, value in rows:
        values[breakdown].add(value)
    return {b: sorted(values[b], key=str.casefold) for b in BREAKDOWNS}
