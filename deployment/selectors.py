"""Reads of the field data that are not the engine's figures: members' activity and latest levels,
a member's observations, mastery series and open next steps, a team's animations. (The figures of
teams, live or from the snapshots, are the engine's: kpis.engine, read by the team pages in
dashboards.teams.)

Everything is aggregated in the database, one query for a whole list of members, never one per
member (SPEC §7: 10,000 members, 6 million ratings a year).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization
from experience.models import Level

from .models import Animation, Observation, Rating


def month_current(*, org: Organization) -> Month:
    """The organization's current month (its today, in its timezone: SPEC §4's periods)."""
    return Month.of(org.today())


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
            by_dimension.setdefault(dimension, []).append(Level(level).score())
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
