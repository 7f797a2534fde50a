"""Recomputing the snapshots (SPEC §6): what the dirty marks name, in one transaction per run,
scheduled once per organization after a burst of writes (debounced) and caught up nightly.

Scheduling sends the task by its registered name (``cxtracker.queue.enqueue``): nothing here
imports the tasks module, which calls ``recompute_org``.
"""

import contextlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from cxtracker.months import Month
from cxtracker.queue import BrokerUnavailable, enqueue
from cxtracker.tenancy.models import Organization

from ..models import ComputedPeriod, TeamDimensionSnapshot, TeamKpiSnapshot, TeamMonthSnapshot
from . import compute, formulas
from .compute import MONTH_SUMS, PAIR_SUMS
from .marks import dirty_marks, marks_clear, periods_mark_missing

logger = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_SECONDS = 60
RECOMPUTE_TASK = "kpis.engine.tasks.recompute_org_task"


def debounce_seconds() -> int:
    return getattr(settings, "RECOMPUTE_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS)


def debounce_key(organization_id: int) -> str:
    return f"kpis:recompute-scheduled:{organization_id}"


def recompute_schedule(*, organization_id: int) -> bool:
    """Send one recomputation of the organization, unless one is already waiting.

    Returns whether a task was sent. The debounce key lives as long as the countdown: writes
    during that window ride on the task already sent, which reads the marks when it runs.
    """
    delay = debounce_seconds()
    key = debounce_key(organization_id)
    try:
        if not cache.add(key, 1, timeout=delay + 30):
            return False
    except RedisError:
        logger.warning("Cache unreachable: recomputation of organization %s left to the nightly job", organization_id)
        return False
    try:
        enqueue(RECOMPUTE_TASK, organization_id, countdown=delay)
    except BrokerUnavailable:
        logger.warning("Broker unreachable: recomputation of organization %s left to the nightly job", organization_id)
        with contextlib.suppress(RedisError):
            cache.delete(key)
        return False
    except Exception:
        # Without a broker the task runs eagerly, here: the write is committed already and must
        # not turn into an error page because its recomputation failed. The marks stay for the
        # nightly job.
        logger.exception("Recomputation of organization %s failed", organization_id)
        with contextlib.suppress(RedisError):
            cache.delete(key)
        return False
    return True


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
    with transaction.atomic():
        if whole:
            snapshots_recompute(org=org, months=[Month.of(d) for d in whole])
        if by_month:
            teams = set().union(*by_month.values())
            snapshots_recompute(org=org, months=[Month.of(d) for d in by_month], teams=teams)
        marks_clear(org=org, marks=marks)


def recompute_org(*, org: Organization) -> int:
    """Recompute every dirty month of the organization (SPEC §6). Returns the months recomputed."""
    marks = dirty_marks(org=org)
    if marks:
        snapshots_recompute_marks(org=org, marks=marks)
    return len({start for _pk, start, _team, _at in marks})


def recompute_catch_up(*, org: Organization) -> int:
    """The nightly pass of one organization: months never computed (a new month has begun), then
    every dirty mark left behind."""
    periods_mark_missing(org=org)
    return recompute_org(org=org)
