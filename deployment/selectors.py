"""Reads of the field data: team month summaries, latest levels.

Everything is aggregated in the database, one query per figure for a whole list of teams or
members, never one per member (SPEC §7: 10,000 members, 6 million ratings a year).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber

from cxtracker.months import Month
from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
from kpis.engine import formulas
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.targets import Target

from .models import Animation, Observation, Rating

# ---------------------------------------------------------------------------------------------
# Months, in the organization's timezone (SPEC §4: periods are calendar months of the org).


# Parsing, stepping and bounds are cxtracker.months.Month's (``month.bounds(org.tzinfo)``).


def month_current(*, org: Organization) -> Month:
    """The organization's current month (its today, in its timezone)."""
    return Month.of(org.today())


def day_bounds(*, org: Organization, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = org.tzinfo
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)


# ---------------------------------------------------------------------------------------------
# Deployment rate of teams in a month (SPEC §4).


@dataclass(frozen=True)
class TeamMonth:
    team: OrgUnit
    active_members: int
    coached_members: int
    animations: int
    coverage: float | None
    cadence: float
    deployment_rate: float | None
    # Member-derived figures hidden from a reader above the managers (kpis.engine.protection).
    suppressed: bool = False


def team_month_summary(*, org: Organization, teams, month: Month) -> dict[int, TeamMonth]:
    """Coverage, cadence and deployment rate of each team in ``month``, keyed by team id.

    Three queries whatever the number of teams: active members, coached members, animations.
    """
    teams = list(teams)
    team_ids = [t.pk for t in teams]
    first, last = month.first_day, month.last_day
    start, end = month.bounds(org.tzinfo)
    active = Member.objects.for_org(org).filter(team_id__in=team_ids).active_between(first, last)
    active_counts = dict(active.values("team_id").annotate(n=Count("id")).values_list("team_id", "n"))
    coached_counts = dict(
        active.filter(observations__observed_at__gte=start, observations__observed_at__lt=end)
        .values("team_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("team_id", "n")
    )
    animation_counts = dict(
        Animation.objects.for_org(org)
        .filter(team_id__in=team_ids, held_at__gte=start, held_at__lt=end)
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    weight = float(org.rate_weight)
    summary = {}
    for team in teams:
        n_active = active_counts.get(team.pk, 0)
        n_coached = coached_counts.get(team.pk, 0)
        n_animations = animation_counts.get(team.pk, 0)
        cov = formulas.coverage(n_coached, n_active)
        cad = formulas.cadence(n_animations, org.expected_animations_per_month)
        summary[team.pk] = TeamMonth(
            team=team,
            active_members=n_active,
            coached_members=n_coached,
            animations=n_animations,
            coverage=cov,
            cadence=cad,
            deployment_rate=formulas.deployment_rate(cov, cad, weight),
        )
    return summary


# ---------------------------------------------------------------------------------------------
# Members' activity and levels.


@dataclass(frozen=True)
class MemberMonth:
    last_observed_at: datetime.datetime | None
    observations_in_month: int


def member_month_activity(*, org: Organization, members, month: Month) -> dict[int, MemberMonth]:
    """Per member id: the last observation ever (up to the end of the month) and the number of
    observations and coachings in the month. One query."""
    start, end = month.bounds(org.tzinfo)
    rows = (
        Observation.objects.for_org(org)
        .filter(member__in=members, observed_at__lt=end)
        .values("member_id")
        .annotate(last=Max("observed_at"), in_month=Count("id", filter=Q(observed_at__gte=start)))
    )
    return {r["member_id"]: MemberMonth(r["last"], r["in_month"]) for r in rows}


def latest_levels(*, members, behaviors, at: datetime.datetime | None = None) -> dict[tuple[int, int], int]:
    """The level of the latest rating of each (member id, behavior id) observed at or before ``at``
    (ties on observed_at: the last created wins). Pairs never rated are absent. One query."""
    ratings = Rating.objects.filter(member__in=members, behavior__in=behaviors)
    if at is not None:
        ratings = ratings.filter(observed_at__lte=at)
    ranked = ratings.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("member_id"), F("behavior_id")],
            order_by=[F("observed_at").desc(), F("id").desc()],
        )
    ).filter(rank=1)
    return {(m, b): level for m, b, level in ranked.values_list("member_id", "behavior_id", "level")}


def dimension_mastery(levels: dict[tuple[int, int], int], behaviors, member_ids) -> dict[int, dict[int, float | None]]:
    """member id → dimension id → mean of the member's latest levels in that dimension
    (None when none of its behaviors was rated). Plain Python over ``latest_levels``."""
    by_dimension: dict[int, list[int]] = {}
    for b in behaviors:
        by_dimension.setdefault(b.dimension_id, []).append(b.pk)
    return {
        m: {d: formulas.mean_level(levels[(m, b)] for b in bs if (m, b) in levels) for d, bs in by_dimension.items()}
        for m in member_ids
    }


def member_observations(*, org: Organization, member):
    """A member's observations and coachings, newest first, with their observer and ratings."""
    return (
        Observation.objects.for_org(org)
        .filter(member=member)
        .select_related("observer", "model")
        .prefetch_related("ratings__behavior__dimension")
    )


def member_open_next_steps(*, org: Organization, member):
    """Agreed next steps not done yet, the soonest due first."""
    return (
        Observation.objects.for_org(org)
        .filter(member=member, next_step_done=False)
        .exclude(next_step="")
        .select_related("observer")
        .order_by(F("next_step_on").asc(nulls_last=True), "observed_at")
    )


def member_mastery_series(*, org: Organization, member) -> list[dict]:
    """The member's mastery after each observation, oldest first: the mean score (level − 1) / 3
    of the latest level of every behavior assessed so far, overall and per dimension name. A
    running state rather than each observation's own ratings, which cover a few behaviors only."""
    rows = (
        Rating.objects.for_org(org)
        .filter(member=member)
        .values_list("observation_id", "observed_at", "behavior_id", "behavior__dimension__name", "level")
        .order_by("observed_at", "observation_id", "id")
    )
    latest: dict[int, tuple[str, int]] = {}
    series: list[dict] = []
    for observation_id, observed_at, behavior_id, dimension, level in rows:
        latest[behavior_id] = (dimension, level)
        if series and series[-1]["observation_id"] == observation_id:
            series[-1]["state"] = dict(latest)
        else:
            series.append({"observation_id": observation_id, "observed_at": observed_at, "state": dict(latest)})
    points = []
    for point in series:
        by_dimension: dict[str, list[float]] = {}
        for dimension, level in point["state"].values():
            by_dimension.setdefault(dimension, []).append(formulas.level_score(level))
        scores = [v for values in by_dimension.values() for v in values]
        points.append(
            {
                "observed_at": point["observed_at"],
                "overall": sum(scores) / len(scores),
                "dimensions": {name: sum(vs) / len(vs) for name, vs in by_dimension.items()},
            }
        )
    return points


def team_animations(*, org: Organization, team):
    return (
        Animation.objects.for_org(org)
        .filter(team=team)
        .select_related("held_by")
        .prefetch_related("dimensions")
        .annotate(attendee_count=Count("attendees", distinct=True))
        .order_by("-held_at", "-id")
    )


# ---------------------------------------------------------------------------------------------
# Team figures for readers above the managers, and the manager's team dashboard: read from the
# engine's snapshots (kpis.engine), small groups protected (SPEC §4).


def team_month_summary_protected(*, org: Organization, teams, month: Month) -> dict[int, TeamMonth]:
    """``team_month_summary`` for a reader who does not see individuals: the engine's figures of
    the month (those of the executive dashboard), small teams' member-derived figures hidden with
    complementary suppression. A month not computed yet has no figures rather than live ones, whose
    small groups would not be protected."""
    teams = list(teams)
    rows = rates_read(org=org, reader=Reader.protected(), targets=[Target(t) for t in teams], periods=[month])
    summary = {}
    for team, row in zip(teams, rows, strict=True):
        summary[team.pk] = TeamMonth(
            team=team,
            active_members=row["active_members"] or 0,
            coached_members=row["coached_members"] or 0,
            animations=row["animations"] or 0,
            coverage=row["coverage"],
            cadence=row["cadence"] if row["cadence"] is not None else 0.0,
            deployment_rate=row["deployment_rate"],
            suppressed=row["suppressed"],
        )
    return summary


@dataclass(frozen=True)
class ComparisonLine:
    """One line of the team dashboard: the team, its business unit or the organization."""

    key: str  # "team", "business_unit", "organization"
    unit: OrgUnit | None
    rows: list[dict]  # rates_read rows, one per month


def team_comparison_rates(*, membership, team: OrgUnit, months: list[Month]) -> list[ComparisonLine]:
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
