"""The rate and KPI engine: counts per team and month, from the raw field and survey data.

``team_months_compute`` returns the additive sums of SPEC §4 for a set of months and teams, ready to
store as snapshots (``kpis.services.snapshots_recompute`` does). The database counts, set-based for
all teams at once; kpis.engine.formulas does the arithmetic at read time.

The transformation rate needs, at the end of every month, the latest level of every (member,
behavior): on PostgreSQL one query gives each rating its validity interval (``LEAD`` over the
member's ratings of that behavior code, codes numbered once), spreads it over the month ends it
covers (``width_bucket`` + ``generate_series``, materialized so that the planner does not join
inside the per-rating loop), counts per member, month and dimension, then per team. Other
databases (the embedded SQLite default) take a slower path in Python that gives the same figures.

Ratings carry across model versions by behavior code: a month uses the behaviors of the version
active at its end, and a rating of code ``salue-30s`` made with an earlier version counts for the
behavior of that code.
"""

import contextlib
import datetime
from collections import defaultdict
from dataclasses import dataclass, field, fields

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from cxtracker.months import Month
from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
from deployment.models import Animation, Observation, Rating
from experience.models import Behavior, ExperienceModel

from ..models import SurveyResponse
from . import formulas

KPI_KEYS = ("journey", "segment", "channel", "trigger")


@dataclass(kw_only=True)
class Pairs:
    """The (member, behavior) pairs of active members at a month's end: how many, the points of
    their levels (Σ level − 1), and how many are assessed, known, mastered."""

    pairs: int = 0
    score_points: int = 0
    assessed: int = 0
    known: int = 0
    mastered: int = 0


@dataclass(kw_only=True)
class TeamMonth(Pairs):
    """A team's month: its deployment counts, and its pairs (TeamMonthSnapshot)."""

    active_members: int = 0
    coached_members: int = 0
    animations: int = 0
    cadence_weight: float = 0.0


@dataclass(kw_only=True)
class DimensionMonth(Pairs):
    """A team's pairs of one dimension at a month's end (TeamDimensionSnapshot)."""

    name: str
    position: int


# The additive sums of the snapshots, in one place: a team-month's, and those of its pairs.
MONTH_SUMS = tuple(f.name for f in fields(TeamMonth))
PAIR_SUMS = tuple(f.name for f in fields(Pairs))


@dataclass
class Computed:
    """What one computation produced, keyed by (team id, month start)."""

    teams: dict = field(default_factory=dict)  # (team, start) → TeamMonth
    dimensions: dict = field(default_factory=dict)  # (team, start, dimension code) → DimensionMonth
    kpis: list = field(default_factory=list)  # dicts: team_id, period_start, journey…, sums


@dataclass(frozen=True)
class MonthModel:
    month: Month
    end: datetime.datetime
    model_id: int | None
    behaviors: dict  # behavior code → (dimension code, dimension name, dimension position)


def month_models(*, org: Organization, months: list[Month]) -> list[MonthModel]:
    """Each month with the model version active at its end and that version's behaviors."""
    tz = org.tzinfo
    ends = [m.bounds(tz)[1] for m in months]
    # The last instant of the month: an activation at midnight on the 1st belongs to the new month.
    last_instants = [end - datetime.timedelta(microseconds=1) for end in ends]
    models = dict(zip(ends, _models_active_at(org=org, moments=last_instants).values(), strict=True))
    model_ids = {m.pk for m in models.values() if m is not None}
    behaviors: dict[int, dict] = defaultdict(dict)
    rows = (
        Behavior.objects.for_org(org)
        .filter(model_id__in=model_ids)
        .values_list("model_id", "code", "dimension__code", "dimension__name", "dimension__position")
    )
    for model_id, code, dim_code, dim_name, dim_position in rows:
        behaviors[model_id][code] = (dim_code, dim_name, dim_position)
    result = []
    for month, end in zip(months, ends, strict=True):
        model = models.get(end)
        result.append(MonthModel(month, end, model.pk if model else None, behaviors.get(model.pk, {}) if model else {}))
    return result


def _models_active_at(*, org, moments):
    try:
        from experience.selectors import models_active_at
    except ImportError:  # the activation history is not there yet: the active version everywhere
        active = ExperienceModel.objects.for_org(org).filter(is_active=True).first()
        return dict.fromkeys(moments, active)
    return models_active_at(org=org, moments=moments)


def _team_list(org: Organization, team_ids) -> list[int]:
    teams = OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM)
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    return list(teams.values_list("pk", flat=True))


def _active_members(org: Organization, months: list[Month], team_list: list[int]):
    """The members active in some month, and month start → member id → team id: one query."""
    members = Member.objects.for_org(org).filter(team_id__in=team_list, active_from__lt=months[-1].end_day)
    members = members.filter(Q(active_to__isnull=True) | Q(active_to__gte=months[0].first_day))
    member_rows = list(members.values_list("pk", "team_id", "active_from", "active_to"))
    active: dict[datetime.date, dict[int, int]] = {m.first_day: {} for m in months}
    for pk, team_id, active_from, active_to in member_rows:
        for m in months:
            if active_from <= m.last_day and (active_to is None or active_to >= m.first_day):
                active[m.first_day][pk] = team_id
    return member_rows, active


def _deployment(org: Organization, months: list[Month], team_list: list[int], member_ids, active) -> dict:
    """(team id, month start) → TeamMonth with its deployment counts: active and coached members,
    animations, and the cadence weighted by the active members."""
    tz = org.tzinfo
    wanted = {m.first_day for m in months}
    start, end = months[0].bounds(tz)[0], months[-1].bounds(tz)[1]
    teams = {(team_id, m.first_day): TeamMonth() for team_id in team_list for m in months}
    for start_day, by_member in active.items():
        for team_id in by_member.values():
            teams[(team_id, start_day)].active_members += 1

    # Coached members: distinct (member, month) of the observations, kept when the member is active.
    coached = (
        Observation.objects.for_org(org)
        .filter(member_id__in=member_ids, observed_at__gte=start, observed_at__lt=end)
        .annotate(month=TruncMonth("observed_at", tzinfo=tz))
        .values_list("member_id", "month")
        .order_by()
        .distinct()
    )
    for member_id, month in coached:
        day = _month_day(month, tz)
        team_id = active.get(day, {}).get(member_id)
        if team_id is not None:
            teams[(team_id, day)].coached_members += 1

    animations = (
        Animation.objects.for_org(org)
        .filter(team_id__in=team_list, held_at__gte=start, held_at__lt=end)
        .annotate(month=TruncMonth("held_at", tzinfo=tz))
        .values("team_id", "month")
        .annotate(n=Count("id"))
        .values_list("team_id", "month", "n")
    )
    for team_id, month, n in animations:
        day = _month_day(month, tz)
        if day in wanted:
            teams[(team_id, day)].animations += n
    expected = org.expected_animations_per_month
    for tm in teams.values():
        tm.cadence_weight = tm.active_members * formulas.cadence(tm.animations, expected)
    return teams


def deployment_counts(*, org: Organization, months: list[Month], team_ids: list[int] | None = None) -> dict:
    """(team id, month start) → TeamMonth with the deployment counts only, counted now from the
    field data: the figures of a month in progress, as its snapshot will hold them."""
    months = sorted(set(months))
    team_list = _team_list(org, team_ids)
    if not months or not team_list:
        return {}
    member_rows, active = _active_members(org, months, team_list)
    return _deployment(org, months, team_list, [pk for pk, *_ in member_rows], active)


def team_months_compute(*, org: Organization, months: list[Month], team_ids: list[int] | None = None) -> Computed:
    """The snapshot sums of ``months`` for the organization's teams (or those of ``team_ids``)."""
    months = sorted(set(months))
    out = Computed()
    if not months:
        return out
    team_list = _team_list(org, team_ids)
    if not team_list:
        return out
    with _counting_session():
        _counts(org, months, team_ids, team_list, out)
    return out


@contextlib.contextmanager
def _counting_session():
    """A transaction whose settings suit the engine's few large queries on PostgreSQL (LOCAL: for
    this transaction only): no JIT compilation, which the planner would choose on its
    overestimate of the spread (``generate_series``: 1,000 rows a call) and which costs more than
    the run wins back; and 2 million survey responses sorted in memory rather than on disk."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '128MB'")
        yield


def _counts(org: Organization, months: list[Month], team_ids, team_list: list[int], out: Computed) -> None:
    tz = org.tzinfo
    wanted = {m.first_day for m in months}
    start, end = months[0].bounds(tz)[0], months[-1].bounds(tz)[1]
    mms = month_models(org=org, months=months)
    member_rows, active = _active_members(org, months, team_list)
    out.teams = _deployment(org, months, team_list, [pk for pk, *_ in member_rows], active)

    # Mastery: pairs of active members × the month's behaviors, then the rated ones.
    for mm in mms:
        day = mm.month.first_day
        per_dimension: dict[str, int] = defaultdict(int)
        meta: dict[str, tuple[str, int]] = {}
        for dim_code, dim_name, dim_position in mm.behaviors.values():
            per_dimension[dim_code] += 1
            meta[dim_code] = (dim_name, dim_position)
        for team_id in team_list:
            n_active = out.teams[(team_id, day)].active_members
            out.teams[(team_id, day)].pairs = n_active * len(mm.behaviors)
            for dim_code, n_behaviors in per_dimension.items():
                name, position = meta[dim_code]
                out.dimensions[(team_id, day, dim_code)] = DimensionMonth(
                    name=name, position=position, pairs=n_active * n_behaviors
                )
    rated = _rated_pg(org, mms, team_ids) if connection.vendor == "postgresql" else _rated_python(org, mms, active)
    for team_id, day, dim_code, assessed, points, known, mastered in rated:
        dm = out.dimensions.get((team_id, day, dim_code))
        tm = out.teams.get((team_id, day))
        if dm is None or tm is None:
            continue
        for target in (dm, tm):
            target.assessed += assessed
            target.score_points += points
            target.known += known
            target.mastered += mastered

    out.kpis = _kpi_rows(org, team_list, team_ids, start, end, wanted)


def _month_day(value, tz) -> datetime.date:
    """A TruncMonth result (aware datetime, or date on some backends) as the month's first day."""
    if isinstance(value, datetime.datetime):
        value = value.astimezone(tz).date() if value.tzinfo else value.date()
    return value.replace(day=1)


_RATED_SQL = """
WITH codes AS MATERIALIZED (
    SELECT id, dense_rank() OVER (ORDER BY code) AS code_no
    FROM experience_behavior WHERE organization_id = %(org)s
),
mb AS MATERIALIZED (
    SELECT t.i, c.code_no, d.code AS dim_code
    FROM unnest(%(models)s::bigint[]) WITH ORDINALITY AS t(model_id, i)
    JOIN experience_behavior b ON b.model_id = t.model_id
    JOIN codes c ON c.id = b.id
    JOIN experience_dimension d ON d.id = b.dimension_id
),
spread AS MATERIALIZED (
    SELECT r.member_id, r.code_no, r.level, gs.i
    FROM (
        SELECT r.member_id, c.code_no, r.level, r.observed_at,
               LEAD(r.observed_at) OVER (PARTITION BY r.member_id, c.code_no ORDER BY r.observed_at, r.id) AS next_at
        FROM deployment_rating r JOIN codes c ON c.id = r.behavior_id
        WHERE r.organization_id = %(org)s AND r.observed_at < %(max_end)s {member_filter}
    ) r,
    generate_series(
        width_bucket(r.observed_at, %(ends)s::timestamptz[]) + 1,
        COALESCE(width_bucket(r.next_at, %(ends)s::timestamptz[]), %(n)s)
    ) AS gs(i)
),
per_member AS (
    SELECT s.member_id, s.i, mb.dim_code,
           count(*) AS assessed, sum(s.level - 1) AS points,
           count(*) FILTER (WHERE s.level >= 2) AS known, count(*) FILTER (WHERE s.level = 4) AS mastered
    FROM spread s JOIN mb ON mb.i = s.i AND mb.code_no = s.code_no
    GROUP BY 1, 2, 3
)
SELECT mem.team_id, t.period_start, p.dim_code,
       sum(p.assessed)::int, sum(p.points)::int, sum(p.known)::int, sum(p.mastered)::int
FROM per_member p
JOIN unnest(%(starts)s::date[]) WITH ORDINALITY AS t(period_start, i) ON t.i = p.i
JOIN tenancy_member mem ON mem.id = p.member_id
WHERE mem.active_from < (t.period_start + interval '1 month')::date
  AND (mem.active_to IS NULL OR mem.active_to >= t.period_start) {team_filter}
GROUP BY 1, 2, 3
"""


def _rated_pg(org, mms: list[MonthModel], team_ids):
    """(team, month start, dimension code, assessed, Σ(level − 1), known, mastered) of the rated
    pairs of active members at each month end, in one query."""
    mms = [mm for mm in mms if mm.model_id is not None]
    if not mms:
        return []
    params = {
        "org": org.pk,
        "ends": [mm.end for mm in mms],
        "starts": [mm.month.first_day for mm in mms],
        "models": [mm.model_id for mm in mms],
        "max_end": mms[-1].end,
        "n": len(mms),
    }
    member_filter = team_filter = ""
    if team_ids is not None:
        params["teams"] = list(team_ids)
        member_filter = (
            "AND r.member_id IN (SELECT id FROM tenancy_member WHERE organization_id = %(org)s"
            " AND team_id = ANY(%(teams)s))"
        )
        team_filter = "AND mem.team_id = ANY(%(teams)s)"
    sql = _RATED_SQL.format(member_filter=member_filter, team_filter=team_filter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _rated_python(org, mms: list[MonthModel], active):
    """The same counts as ``_rated_pg``, in Python (SQLite): every rating of the active members,
    in (observed_at, id) order, replayed month end by month end."""
    member_ids = {pk for by_member in active.values() for pk in by_member}
    if not member_ids or not any(mm.model_id for mm in mms):
        return []
    ratings = (
        Rating.objects.for_org(org)
        .filter(member_id__in=member_ids, observed_at__lt=mms[-1].end)
        .order_by("observed_at", "id")
        .values_list("member_id", "behavior__code", "level", "observed_at")
    )
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    latest: dict[tuple[int, str], int] = {}
    ratings = iter(ratings)
    pending = next(ratings, None)
    for mm in mms:
        while pending is not None and pending[3] < mm.end:
            member_id, code, level, _at = pending
            latest[(member_id, code)] = level
            pending = next(ratings, None)
        day = mm.month.first_day
        by_member = active.get(day, {})
        for (member_id, code), level in latest.items():
            team_id = by_member.get(member_id)
            behavior = mm.behaviors.get(code)
            if team_id is None or behavior is None:
                continue
            c = counts[(team_id, day, behavior[0])]
            c[0] += 1
            c[1] += level - 1
            c[2] += level >= 2
            c[3] += level == 4
    return [(t, d, dim, *c) for (t, d, dim), c in counts.items()]


_KPI_SQL = """
WITH cells AS (
    SELECT unit_id, width_bucket(responded_at, %(starts)s::timestamptz[]) AS i, journey, segment, channel, trigger,
           count(*) FILTER (WHERE nps >= 9) AS promoters, count(*) FILTER (WHERE nps <= 6) AS detractors,
           count(nps) AS nps_n, count(csat) AS csat_n, count(*) FILTER (WHERE csat >= 4) AS csat_top2,
           coalesce(sum(csat), 0) AS csat_sum, coalesce(sum(csat * csat), 0) AS csat_sq_sum, count(ces) AS ces_n,
           coalesce(sum(ces), 0) AS ces_sum, coalesce(sum(ces * ces), 0) AS ces_sq_sum,
           count(*) FILTER (WHERE ces >= 5) AS ces_easy
    FROM kpis_surveyresponse
    WHERE organization_id = %(org)s AND responded_at >= %(start)s AND responded_at < %(end)s {team_filter}
    GROUP BY 1, 2, 3, 4, 5, 6
)
SELECT unit_id, i, GROUPING(journey), GROUPING(segment), GROUPING(channel), GROUPING(trigger),
       journey, segment, channel, trigger,
       sum(promoters)::bigint, sum(detractors)::bigint, sum(nps_n)::bigint, sum(csat_n)::bigint,
       sum(csat_top2)::bigint, sum(csat_sum)::bigint, sum(csat_sq_sum)::bigint, sum(ces_n)::bigint,
       sum(ces_sum)::bigint, sum(ces_sq_sum)::bigint, sum(ces_easy)::bigint
FROM cells
GROUP BY GROUPING SETS ((unit_id, i), (unit_id, i, journey), (unit_id, i, segment), (unit_id, i, channel),
                        (unit_id, i, trigger))
"""


def _kpi_rows_pg(org, team_ids, start, end, wanted) -> list[dict]:
    """The same rows as ``_kpi_rows``, in one scan of the responses: their sums per cell (team,
    month and the four keys), then each breakdown summed from the cells (GROUPING SETS sorts the
    cells, not the responses, once per breakdown). The month is found by ``width_bucket`` over the
    months' starts rather than a time-zone conversion per row."""
    months = Month.range(Month.of(start, org.tzinfo), Month.of(end - datetime.timedelta(microseconds=1), org.tzinfo))
    params = {"org": org.pk, "start": start, "end": end, "starts": [m.bounds(org.tzinfo)[0] for m in months]}
    team_filter = ""
    if team_ids is not None:
        params["teams"] = list(team_ids)
        team_filter = "AND unit_id = ANY(%(teams)s)"
    result = []
    with connection.cursor() as cursor:
        cursor.execute(_KPI_SQL.format(team_filter=team_filter), params)
        for team_id, i, *grouping_and_sums in cursor.fetchall():
            flags, values, sums = grouping_and_sums[:4], grouping_and_sums[4:8], grouping_and_sums[8:]
            day = months[i - 1].first_day
            if day not in wanted:
                continue
            breakdown = next((k for k, flag in zip(KPI_KEYS, flags, strict=True) if not flag), "")
            value = values[KPI_KEYS.index(breakdown)] if breakdown else ""
            entry = dict(zip(formulas.KPI_SUMS, (int(v) for v in sums), strict=True))
            entry.update(team_id=team_id, period_start=day, breakdown=breakdown, value=value)
            result.append(entry)
    return result


def _kpi_rows(org, team_list, team_ids, start, end, wanted) -> list[dict]:
    """Survey counts per team and month: of all responses, then per value of each breakdown
    (journey, segment, channel, trigger). One grouped query each (one in all on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return _kpi_rows_pg(org, team_ids, start, end, wanted)
    tz = org.tzinfo
    responses = SurveyResponse.objects.for_org(org).filter(responded_at__gte=start, responded_at__lt=end)
    if team_ids is not None:
        responses = responses.filter(unit_id__in=team_list)
    responses = responses.annotate(month=TruncMonth("responded_at", tzinfo=tz))
    result = []
    for breakdown in ("", *KPI_KEYS):
        keys = ("unit_id", "month", breakdown) if breakdown else ("unit_id", "month")
        for row in responses.values(*keys).annotate(**kpi_aggregates()).order_by():
            day = _month_day(row.pop("month"), tz)
            if day not in wanted:
                continue
            entry = {k: row[k] or 0 for k in formulas.KPI_SUMS}
            entry.update(
                team_id=row["unit_id"],
                period_start=day,
                breakdown=breakdown,
                value=row[breakdown] if breakdown else "",
            )
            result.append(entry)
    return result


def kpi_aggregates() -> dict:
    """The survey sums of kpis.engine.formulas.KPI_SUMS as ORM aggregates over SurveyResponse rows."""
    return {
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
        "nps_n": Count("nps"),
        "csat_n": Count("csat"),
        "csat_top2": Count("id", filter=Q(csat__gte=4)),
        "csat_sum": Sum("csat"),
        "csat_sq_sum": Sum(F("csat") * F("csat")),
        "ces_n": Count("ces"),
        "ces_sum": Sum("ces"),
        "ces_sq_sum": Sum(F("ces") * F("ces")),
        "ces_easy": Count("id", filter=Q(ces__gte=5)),
    }
