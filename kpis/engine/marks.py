"""Dirty marks: which team-months must be recomputed (SPEC §6), and when.

A mark is a row written in the writer's transaction, so it exists exactly when the data does. A
mark names a team (its snapshots only) or none (every team of the organization), and holds when it
falls due: the first write after a recomputation plus the debounce. Writes within the debounce ride
on the same due time. The write services below the engine do not import it: they send
``cxtracker.tenancy.signals.figures_changed`` and the receiver here writes the marks, then tells the
recomputation once the writer commits (``kpis.engine.background.recompute_soon``). Nothing is held in
memory or in the broker: the sweep recomputes every organization with a mark due, whatever
happened to the process that wrote it (broker down, worker killed), and the nightly catch-up
every mark left behind.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q
from django.dispatch import receiver
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, OrgUnit
from cxtracker.tenancy.signals import figures_changed
from deployment.models import Animation, Observation

from ..models import ComputedPeriod, DirtyPeriod, SurveyResponse


def month_of(org: Organization, day: datetime.date | datetime.datetime) -> Month:
    """The month holding ``day`` in the organization's timezone."""
    return Month.of(day, org.tzinfo)


def _team_ids(teams) -> list[int] | None:
    if teams is None:
        return None
    return sorted({t.pk if isinstance(t, OrgUnit) else int(t) for t in teams if t is not None})


def periods_mark_dirty(
    *,
    org: Organization,
    days: Iterable[datetime.date | datetime.datetime],
    teams: Iterable[OrgUnit | int] | None = None,
    cascade: bool = False,
) -> None:
    """Mark the months holding ``days`` for recomputation and schedule it once the caller commits.

    ``teams``: the teams whose snapshots changed (None: every team). ``cascade``: every later month
    up to the current one too, for what carries forward (a rating counts at the end of its month
    and of every month after it until a newer one; a member's activity range).
    """
    months = {month_of(org, day) for day in days}
    team_ids = _team_ids(teams)
    if not months or team_ids == []:
        return
    if cascade:
        current = Month.of(org.today())
        months |= set(Month.range(min(months), current))
    now = timezone.now()
    due = now + datetime.timedelta(seconds=debounce_seconds())
    starts = sorted(m.first_day for m in months)
    if connection.vendor == "postgresql":
        _upsert_marks_pg(org, starts, team_ids, now, due)
    else:
        team_slots = [None] if team_ids is None else team_ids
        DirtyPeriod.objects.bulk_create(
            [
                DirtyPeriod(organization=org, period_start=start, team_id=team_id, marked_at=now, due_at=due)
                for start in starts
                for team_id in team_slots
            ],
            ignore_conflicts=True,
        )
        # The rows that existed already get the new time, so that a recomputation that read them
        # before this write does not clear them (see marks_clear); they keep their due time.
        existing = DirtyPeriod.objects.for_org(org).filter(period_start__in=starts)
        existing = existing.filter(team__isnull=True) if team_ids is None else existing.filter(team_id__in=team_ids)
        existing.update(marked_at=now)
    organization_id = org.pk
    from .background import recompute_soon  # the recomputation reads these marks

    transaction.on_commit(lambda: recompute_soon(organization_id=organization_id, due=due))


def debounce_seconds() -> int:
    """How long after a write its recomputation falls due: a burst of writes is recomputed once."""
    return settings.RECOMPUTE_DEBOUNCE_SECONDS


def _upsert_marks_pg(org, starts, team_ids, now, due) -> None:
    """One INSERT … ON CONFLICT DO UPDATE: new marks are added, existing ones get the new time and
    keep their due time (the conflict targets are the two partial unique indexes of DirtyPeriod)."""
    table = DirtyPeriod._meta.db_table  # the model's own table name, not input
    with connection.cursor() as cursor:
        if team_ids is None:
            cursor.execute(
                f"INSERT INTO {table} (organization_id, period_start, team_id, marked_at, due_at) "  # noqa: S608
                "SELECT %s, s, NULL, %s, %s FROM unnest(%s::date[]) AS s "
                "ON CONFLICT (organization_id, period_start) WHERE team_id IS NULL "
                "DO UPDATE SET marked_at = EXCLUDED.marked_at",
                [org.pk, now, due, starts],
            )
        else:
            cursor.execute(
                f"INSERT INTO {table} (organization_id, period_start, team_id, marked_at, due_at) "  # noqa: S608
                "SELECT %s, s, t, %s, %s FROM unnest(%s::date[]) AS s CROSS JOIN unnest(%s::bigint[]) AS t "
                "ON CONFLICT (organization_id, period_start, team_id) WHERE team_id IS NOT NULL "
                "DO UPDATE SET marked_at = EXCLUDED.marked_at",
                [org.pk, now, due, starts, team_ids],
            )


def history_months(*, org: Organization) -> list[Month]:
    """The organization's months that have figures: from its first observation, animation or
    survey response to the current month."""
    firsts = [
        Observation.objects.for_org(org).aggregate(first=Min("observed_at"))["first"],
        Animation.objects.for_org(org).aggregate(first=Min("held_at"))["first"],
        SurveyResponse.objects.for_org(org).aggregate(first=Min("responded_at"))["first"],
    ]
    firsts = [month_of(org, f) for f in firsts if f is not None]
    current = Month.of(org.today())
    return Month.range(min(firsts), current) if firsts else [current]


def periods_mark_all(*, org: Organization) -> None:
    """Mark every month of the organization's history, every team: for what changes all figures
    (settings, timezone, the seed)."""
    periods_mark_dirty(org=org, days=[m.first_day for m in history_months(org=org)])


def periods_mark_missing(*, org: Organization) -> int:
    """Mark the months of the history never computed (a new month has begun, say): the nightly job
    calls it so that every month has its snapshots. Returns how many were marked."""
    computed = set(ComputedPeriod.objects.for_org(org).values_list("period_start", flat=True))
    missing = [m.first_day for m in history_months(org=org) if m.first_day not in computed]
    if missing:
        periods_mark_dirty(org=org, days=missing)
    return len(missing)


def dirty_marks(*, org: Organization) -> list[tuple[int, datetime.date, int | None, datetime.datetime]]:
    """(id, month start, team id or None, marked_at) of every mark of the organization."""
    return list(
        DirtyPeriod.objects.for_org(org)
        .order_by("period_start", "team_id")
        .values_list("pk", "period_start", "team_id", "marked_at")
    )


def organizations_due(*, now: datetime.datetime | None = None) -> list[int]:
    """The organizations with a mark due (its debounce over): the sweep's work."""
    now = now or timezone.now()
    due = DirtyPeriod.objects.filter(due_at__lte=now).values_list("organization_id", flat=True)
    return sorted(set(due.distinct()))


def oldest_due(*, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the longest-waiting mark of any organization fell due (None: none is due): how stale
    the figures are beyond the debounce, for the readiness check."""
    now = now or timezone.now()
    return DirtyPeriod.objects.filter(due_at__lte=now).aggregate(first=Min("due_at"))["first"]


def marks_clear(*, org: Organization, marks) -> None:
    """Delete the marks read earlier, unless re-marked since (their marked_at moved)."""
    marks = list(marks)
    for i in range(0, len(marks), 500):
        q = Q()
        for pk, _start, _team, marked_at in marks[i : i + 500]:
            q |= Q(pk=pk, marked_at=marked_at)
        DirtyPeriod.objects.for_org(org).filter(q).delete()


@receiver(figures_changed, dispatch_uid="kpis.engine.marks")
def _figures_changed(sender, *, org, days, teams, cascade, **kwargs) -> None:
    if days is None:
        periods_mark_all(org=org)
    else:
        periods_mark_dirty(org=org, days=days, teams=teams, cascade=cascade)
