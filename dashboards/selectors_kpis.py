"""Reads of the KPI explorer: the survey sums of a set of teams over periods, overall or per value
of a breakdown; the breakdown values the organization's responses hold; the verbatim comments.

The figures are the engine's: months and quarters (and a span of months) sum the monthly
``TeamKpiSnapshot`` rows, weeks and crossed filters (a journey *and* a trigger) count the
responses, exactly as ``kpis.engine.reads.kpis_read`` does, and ``kpis.engine.formulas.survey_figures`` turns the
sums into figures. Unlike ``kpis_read`` the sums are read per value of a breakdown in one grouped
query, and they come back as sums, for the CSAT and CES margins.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek

from cxtracker.months import period_of
from cxtracker.tenancy.access import can_read_all, scope_filter, scoped_teams
from cxtracker.tenancy.models import Membership, Organization, OrgUnit
from kpis.engine import formulas
from kpis.engine.compute import kpi_aggregates
from kpis.models import SurveyResponse, TeamKpiSnapshot

BREAKDOWNS = ("journey", "segment", "channel", "trigger")
# Periods read from the monthly snapshots (a span of months is dashboards.selectors.MonthSpan).
SNAPSHOT_KINDS = frozenset({"month", "quarter", "span"})
_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
# NPS score bands (SPEC §4): promoters 9–10, passives 7–8, detractors 0–6.
BANDS = {"promoters": (9, 10), "passives": (7, 8), "detractors": (0, 6)}


def scope_team_ids(*, membership: Membership, unit: OrgUnit | None) -> list[int] | None:
    """The ids of the teams a view covers: the unit's teams within the membership's scope, or its
    whole scope; None for the whole organization (a role that reads everything, no unit)."""
    if unit is None and can_read_all(membership):
        return None
    teams = scoped_teams(membership)
    if unit is not None:
        teams = teams.filter(path__startswith=unit.path)
    return list(teams.values_list("pk", flat=True))


def survey_sums_read(
    *, org: Organization, teams: list[int] | None, periods: list, filters: dict | None = None, by: str | None = None
) -> dict:
    """(period, value) → the survey sums (``kpis.engine.formulas.KPI_SUMS``) of the teams (None: the
    organization's) over each period, restricted by ``filters`` ({journey|segment|channel|trigger:
    value}); ``value`` is the response's value of the breakdown ``by`` ("" when it was not given),
    or None without ``by``. Missing keys: no response."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if not periods or teams == []:
        return {}
    keys = set(filters) | ({by} if by else set())
    if periods[0].kind in SNAPSHOT_KINDS and len(keys) <= 1:
        return _snapshot_sums(org, teams, periods, filters, by)
    return _response_sums(org, teams, periods, filters, by)


def _snapshot_sums(org, teams, periods, filters, by) -> dict:
    period_of_month = {m.first_day: p for p in periods for m in p.months()}
    snaps = TeamKpiSnapshot.objects.for_org(org).filter(period_start__in=list(period_of_month))
    if teams is not None:
        snaps = snaps.filter(team_id__in=teams)
    breakdown = by or next(iter(filters), "")
    snaps = snaps.filter(breakdown=breakdown)
    if breakdown in filters:
        snaps = snaps.filter(value=filters[breakdown])
    group = ("period_start", "value") if by else ("period_start",)
    # Annotations may not take the names of the snapshot's own columns.
    rows = snaps.values(*group).annotate(**{f"sum_{k}": Sum(k) for k in formulas.KPI_SUMS}).order_by()
    result: dict = defaultdict(dict)
    for row in rows:
        acc = result[(period_of_month[row["period_start"]], row["value"] if by else None)]
        for k in formulas.KPI_SUMS:
            acc[k] = acc.get(k, 0) + (row[f"sum_{k}"] or 0)
    return dict(result)


def _response_sums(org, teams, periods, filters, by) -> dict:
    tz = org.tzinfo
    start, end = periods[0].bounds(tz)[0], periods[-1].bounds(tz)[1]
    responses = SurveyResponse.objects.for_org(org).filter(responded_at__gte=start, responded_at__lt=end, **filters)
    if teams is not None:
        responses = responses.filter(unit_id__in=teams)
    kind = periods[0].kind
    group = [by] if by else []
    if kind == "span":
        if len(periods) != 1:
            raise ValueError("spans are read one at a time")
    else:
        responses = responses.annotate(bucket=_TRUNC[kind]("responded_at", tzinfo=tz))
        group.append("bucket")
    if not group:
        # One span, no breakdown: one row of sums (``values()`` without fields would group by
        # every column, a row per response).
        totals = responses.aggregate(**kpi_aggregates())
        if not totals["nps_n"] and not totals["csat_n"] and not totals["ces_n"]:
            return {}
        return {(periods[0], None): {k: totals[k] or 0 for k in formulas.KPI_SUMS}}
    wanted = set(periods)
    result = {}
    for row in responses.values(*group).annotate(**kpi_aggregates()).order_by():
        if kind == "span":
            period = periods[0]
        else:
            bucket = row["bucket"]
            day = bucket.astimezone(tz).date() if isinstance(bucket, datetime.datetime) else bucket
            period = period_of(kind, day)
            if period not in wanted:
                continue
        result[(period, row[by] if by else None)] = {k: row[k] or 0 for k in formulas.KPI_SUMS}
    return result


def survey_breakdowns_read(
    *, org: Organization, teams: list[int] | None, span, filters: dict | None = None, breakdowns=BREAKDOWNS
) -> dict[str, dict[str, dict]]:
    """breakdown → value → the survey sums of the teams over ``span`` (one period: a month or a
    span of months), restricted by ``filters``, for each of ``breakdowns``.

    The same figures as ``survey_sums_read(..., by=breakdown)`` for each breakdown, in at most two
    queries: the breakdowns the snapshots hold (no filter, or a filter on that same breakdown) in
    one, the crossed ones in one scan of the responses grouped by all of them at once."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    result: dict[str, dict[str, dict]] = {b: {} for b in breakdowns}
    if teams == []:
        return result
    from_snapshots = [b for b in breakdowns if set(filters) <= {b} and span.kind in SNAPSHOT_KINDS]
    crossed = [b for b in breakdowns if b not in from_snapshots]
    if from_snapshots:
        months = [m.first_day for m in span.months()]
        snaps = TeamKpiSnapshot.objects.for_org(org).filter(period_start__in=months, breakdown__in=from_snapshots)
        if teams is not None:
            snaps = snaps.filter(team_id__in=teams)
        for key, value in filters.items():
            snaps = snaps.filter(breakdown=key, value=value)
        rows = snaps.values("breakdown", "value").annotate(**{f"sum_{k}": Sum(k) for k in formulas.KPI_SUMS})
        for row in rows.order_by():
            result[row["breakdown"]][row["value"]] = {k: row[f"sum_{k}"] or 0 for k in formulas.KPI_SUMS}
    if crossed:
        tz = org.tzinfo
        start, end = span.bounds(tz)
        responses = SurveyResponse.objects.for_org(org).filter(responded_at__gte=start, responded_at__lt=end, **filters)
        if teams is not None:
            responses = responses.filter(unit_id__in=teams)
        for row in responses.values(*crossed).annotate(**kpi_aggregates()).order_by():
            for b in crossed:
                acc = result[b].setdefault(row[b], {})
                for k in formulas.KPI_SUMS:
                    acc[k] = acc.get(k, 0) + (row[k] or 0)
    return result


def survey_breakdown_values(*, org: Organization) -> dict[str, list[str]]:
    """breakdown → the values the organization's survey responses hold (given ones: not ""),
    sorted. Read from the engine's snapshots, one row per team, month and value, rather than from
    the millions of responses themselves."""
    rows = (
        TeamKpiSnapshot.objects.for_org(org)
        .filter(breakdown__in=BREAKDOWNS)
        .exclude(value="")
        .values_list("breakdown", "value")
        .distinct()
        .order_by()
    )
    values: dict[str, set] = {b: set() for b in BREAKDOWNS}
    for breakdown, value in rows:
        values[breakdown].add(value)
    return {b: sorted(v, key=str.casefold) for b, v in values.items()}


def survey_comments(
    *,
    membership: Membership,
    teams: list[int] | None,
    span,
    filters: dict | None = None,
    band: str = "",
    text: str = "",
):
    """The responses with a comment of the teams (None: the organization's) over the span,
    newest first; ``band`` one of ``BANDS`` (by NPS score), ``text`` a case-insensitive part of
    the comment. Whatever ``teams`` says, never outside the membership's scope."""
    org = membership.organization
    start, end = span.bounds(org.tzinfo)
    responses = (
        SurveyResponse.objects.for_org(org)
        .filter(scope_filter(membership, "unit__"))
        .filter(responded_at__gte=start, responded_at__lt=end)
        .exclude(comment="")
    )
    if teams is not None:
        responses = responses.filter(unit_id__in=teams)
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if filters:
        responses = responses.filter(**filters)
    if band:
        low, high = BANDS[band]
        responses = responses.filter(nps__gte=low, nps__lte=high)
    if text:
        responses = responses.filter(Q(comment__icontains=text))
    return (
        responses.select_related("unit")
        .only(
            "responded_at",
            "nps",
            "csat",
            "ces",
            "journey",
            "channel",
            "segment",
            "trigger",
            "comment",
            "unit__name",
            "unit__code",
        )
        .order_by("-responded_at", "-id")
    )
