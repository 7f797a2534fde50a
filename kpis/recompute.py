"""Writes mark months dirty; a debounced Celery task recomputes them (SPEC §6).

The mark is a row written in the caller's transaction, so it exists exactly when the data does.
Scheduling the task happens after commit and may fail (broker down): the write still succeeds and
the nightly ``recompute_dirty_task`` catches up on every mark left behind.
"""

import contextlib
import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from cxtracker.tenancy.models import Organization

from .models import DirtyPeriod

logger = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_SECONDS = 60


def debounce_seconds() -> int:
    return getattr(settings, "RECOMPUTE_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS)


def debounce_key(organization_id: int) -> str:
    return f"kpis:recompute-scheduled:{organization_id}"


def month_of(org: Organization, day: datetime.date | datetime.datetime) -> datetime.date:
    """The first day of the month holding ``day`` in the organization's timezone."""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day, org.tzinfo).date()
    return day.replace(day=1)


def periods_mark_dirty(*, org: Organization, days: Iterable[datetime.date | datetime.datetime]) -> None:
    """Mark the months holding ``days`` for recomputation and schedule it once the caller commits."""
    months = {month_of(org, day) for day in days}
    if not months:
        return
    now = timezone.now()
    DirtyPeriod.objects.bulk_create(
        [DirtyPeriod(organization=org, period_start=month, marked_at=now) for month in sorted(months)],
        update_conflicts=True,
        unique_fields=["organization", "period_start"],
        update_fields=["marked_at"],
    )
    organization_id = org.pk
    transaction.on_commit(lambda: recompute_schedule(organization_id=organization_id))


def recompute_schedule(*, organization_id: int) -> bool:
    """Send one recomputation of the organization, unless one is already waiting.

    Returns whether a task was sent. The debounce key lives as long as the countdown: writes
    during that window ride on the task already sent, which reads the marks when it runs.
    """
    from .tasks import recompute_org_task

    delay = debounce_seconds()
    key = debounce_key(organization_id)
    try:
        if not cache.add(key, 1, timeout=delay + 30):
            return False
    except RedisError:
        logger.warning("Cache unreachable: recomputation of organization %s left to the nightly job", organization_id)
        return False
    try:
        recompute_org_task.apply_async((organization_id,), countdown=delay)
    except (KombuOperationalError, RedisError, OSError):
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


def recompute_org(*, org: Organization) -> int:
    """Recompute every dirty month of the organization, one transaction per month.

    A mark is cleared only if nobody re-marked the month after it was read here, so data written
    during the run is recomputed by the next task. Returns the number of months recomputed.
    """
    from .services import periods_recompute

    marks = dict(DirtyPeriod.objects.for_org(org).order_by("period_start").values_list("period_start", "marked_at"))
    for period_start, marked_at in marks.items():
        periods_recompute(org=org, periods=[period_start], seen_marks={period_start: marked_at})
    return len(marks)
