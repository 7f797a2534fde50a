"""Recomputing the snapshots (SPEC §6): what the dirty marks name, one organization at a time.

A recomputation holds the organization's lock (``recomputation_lock``: a PostgreSQL advisory
lock, released by the server if the process dies), so that two never write the same snapshots at
once: the debounced sweep, the nightly catch-up and ``compute_rates`` may overlap, the second
waits or leaves the marks to the next sweep, and none fails. Each run replaces whole team-months
in one transaction and clears only the marks it read: it may run twice, or die midway, and the
snapshots end the same.

When it runs: with a broker, the sweep (``kpis.engine.tasks.recompute_due_task``, every minute)
sends one task per organization with a mark due; without one (the embedded default, or PostgreSQL
without Redis) a thread of the writing process recomputes once the marks fall due
(``kpis.engine.background``). Never inside the write's request.
"""

import contextlib
import logging
import threading
from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization

from ..models import ComputedPeriod, TeamDimensionSnapshot, TeamKpiSnapshot, TeamMonthSnapshot
from . import compute, formulas
from .compute import MONTH_SUMS, PAIR_SUMS
from .marks import dirty_marks, marks_clear, periods_mark_missing

logger = logging.getLogger(__name__)

# The advisory locks' first key: the recomputations' own space (the second is the organization).
LOCK_SPACE = 0x6B706973  # "kpis"
# Sent inside a recomputation's transaction, once its snapshots are written and before it commits:
# org, team_ids (None: every team). A receiver may read the new snapshots to prepare what shows
# them (the dashboards warm their pages); what it does must not fail the recomputation.
snapshots_written = Signal()

_local_locks: dict[int, threading.Lock] = {}
_local_locks_guard = threading.Lock()


@contextlib.contextmanager
def recomputation_lock(organization_id: int, *, wait: bool = True):
    """Hold the organization's recomputation lock; yields whether it is held (with ``wait=False``
    it is not when another recomputation holds it). PostgreSQL's advisory lock is shared by every
    process and dies with the session; elsewhere (SQLite, one process) a lock of the process."""
    if connection.vendor == "postgresql":
        function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_SPACE, organization_id])
            held = wait or cursor.fetchone()[0]
        try:
            yield held
        finally:
            if held:
                # A connection lost midway took its lock with it.
                with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, organization_id])
        return
    with _local_locks_guard:
        lock = _local_locks.setdefault(organization_id, threading.Lock())
    held = lock.acquire(blocking=wait)
    try:
        yield held
    finally:
        if held:
            lock.release()


def _rows_write(model, columns: tuple[str, ...], rows) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``): COPY on PostgreSQL (240,000 snapshot
    rows a year for the SPEC §7 tenant: the ORM's per-value conversion would dominate the job),
    bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
        # wrap_database_errors: a refused row raises Django's IntegrityError, as the ORM would.
        sql = f"COPY {table} ({names}) FROM STDIN"
        with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    attnames = [model._meta.get_field(c).attname for c in columns]  # organization → organization_id
    model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=2000)


def snapshots_recompute(*, org: Organization, months: Iterable[Month], teams=None) -> int:
    """Replace the snapshots of ``months`` (of the teams ``teams``, or of every team) in one
    transaction: readers see the previous figures until it commits, and a failure midway leaves
    them as they were. Running it twice gives the same rows. Returns the number of team-months."""
    months = sorted(set(months))
    if not months:
        return 0
    team_ids = None if teams is None else sorted({t.pk if hasattr(t, "pk") else int(t) for t in teams})
    computed = compute.team_months_compute(org=org, months=months, team_ids=team_ids)
    starts = [m.first_day for m in months]
    now = timezone.now()
    org_id = org.pk
    with transaction.atomic():
        for model in (TeamMonthSnapshot, TeamDimensionSnapshot, TeamKpiSnapshot):
            old = model.objects.for_org(org).filter(period_start__in=starts)
            if team_ids is not None:
                old = old.filter(team_id__in=team_ids)
            old._raw_delete(old.db)  # snapshots have no dependants: no cascade to collect
        _rows_write(
            TeamMonthSnapshot,
            ("organization", "team", "period_start", *MONTH_SUMS),
            (
                (org_id, team_id, start, *(getattr(tm, f) for f in MONTH_SUMS))
                for (team_id, start), tm in computed.teams.items()
            ),
        )
        _rows_write(
            TeamDimensionSnapshot,
            (
                "organization",
                "team",
                "period_start",
                "dimension_code",
                "dimension_name",
                "dimension_position",
                *PAIR_SUMS,
            ),
            (
                (org_id, team_id, start, code, dm.name, dm.position, *(getattr(dm, f) for f in PAIR_SUMS))
                for (team_id, start, code), dm in computed.dimensions.items()
            ),
        )
        _rows_write(
            TeamKpiSnapshot,
            ("organization", "team", "period_start", "breakdown", "value", *formulas.KPI_SUMS),
            (
                (
                    org_id,
                    row["team_id"],
                    row["period_start"],
                    row["breakdown"],
                    row["value"],
                    *(row[k] for k in formulas.KPI_SUMS),
                )
                for row in computed.kpis
            ),
        )
        if team_ids is None:
            ComputedPeriod.objects.bulk_create(
                [ComputedPeriod(organization=org, period_start=start, recomputed_at=now) for start in starts],
                update_conflicts=True,
                unique_fields=["organization", "period_start"],
                update_fields=["recomputed_at"],
            )
    return len(computed.teams)


def snapshots_recompute_marks(*, org: Organization, marks) -> None:
    """Recompute what the dirty marks name (whole months, or some teams of a month) and clear the
    marks in the same transaction, unless re-marked meanwhile."""
    whole = sorted({start for _pk, start, team, _at in marks if team is None})
    by_month: dict = {}
    for _pk, start, team, _at in marks:
        if team is not None and start not in whole:
            by_month.setdefault(start, set()).add(team)
    teams = set().union(*by_month.values()) if by_month else set()
    with transaction.atomic():
        if whole:
            snapshots_recompute(org=org, months=[Month.of(d) for d in whole])
        if by_month:
            snapshots_recompute(org=org, months=[Month.of(d) for d in by_month], teams=teams)
        marks_clear(org=org, marks=marks)
        snapshots_written.send(sender=Organization, org=org, team_ids=None if whole else sorted(teams))


def recompute_org(*, org: Organization, wait: bool = True) -> int | None:
    """Recompute every dirty month of the organization (SPEC §6), under its lock. Returns the
    months recomputed, or None when ``wait`` is False and another recomputation holds the lock (it,
    or the next sweep, will see the marks)."""
    with recomputation_lock(org.pk, wait=wait) as held:
        if not held:
            return None
        marks = dirty_marks(org=org)
        if marks:
            snapshots_recompute_marks(org=org, marks=marks)
        return len({start for _pk, start, _team, _at in marks})


def recompute_catch_up(*, org: Organization) -> int:
    """The nightly pass of one organization: months never computed (a new month has begun), then
    every dirty mark left behind, due or not."""
    periods_mark_missing(org=org)
    return recompute_org(org=org)
