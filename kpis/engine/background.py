"""Recomputation in a thread of the writing process, for when there is no broker (the embedded
default, or PostgreSQL without Redis): once the marks fall due, after the write has answered.

One timer per organization and process: the writes of a debounce window ride on it. When it fires
it recomputes that organization, then every other one with a mark due (left by a process that
stopped before its timer fired). Several processes (gunicorn's workers) may fire together: the
recomputation lock makes the later ones wait and find nothing left to do.
"""

import datetime
import logging
import threading

from django.db import connection
from django.utils import timezone

from cxtracker.queue import runs_eagerly
from cxtracker.tenancy.models import Organization

from .marks import organizations_due
from .recompute import recompute_org

logger = logging.getLogger(__name__)

_timers: dict[int, threading.Timer] = {}
_guard = threading.Lock()


def recompute_soon(*, organization_id: int, due: datetime.datetime) -> None:
    """A write committed marks falling due at ``due``. With a broker the sweep will find them;
    without one, a thread of this process recomputes them then."""
    if runs_eagerly():
        schedule(organization_id, due)


def schedule(organization_id: int, due: datetime.datetime) -> bool:
    """Recompute the organization at ``due`` in a thread, unless a timer of this process already
    waits for it. Returns whether a timer was started."""
    delay = max(0.0, (due - timezone.now()).total_seconds())
    with _guard:
        if organization_id in _timers:
            return False
        timer = threading.Timer(delay, _run, args=(organization_id,))
        timer.daemon = True
        timer.name = f"recompute-{organization_id}"
        _timers[organization_id] = timer
    timer.start()
    return True


def pending() -> list[int]:
    """The organizations a timer of this process waits for."""
    with _guard:
        return sorted(_timers)


def cancel_pending() -> None:
    """Stop the timers of this process (a process that stops, a test that ends): their marks
    stay for the next write, the sweep or the nightly job."""
    with _guard:
        timers = list(_timers.values())
        _timers.clear()
    for timer in timers:
        timer.cancel()


def _run(organization_id: int) -> None:
    # Free the slot first: a write from now on starts a new timer, since this run may already
    # have read the marks.
    with _guard:
        _timers.pop(organization_id, None)
    try:
        for pk in [organization_id, *(pk for pk in organizations_due() if pk != organization_id)]:
            org = Organization.objects.filter(pk=pk).first()
            if org is not None:
                recompute_org(org=org)
    except Exception:
        # The marks stay: the next write's timer, or the nightly job where there is one, retries.
        logger.exception("Recomputation of organization %s failed", organization_id)
    finally:
        connection.close()
