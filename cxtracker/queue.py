"""Sending Celery tasks by name, so that services never import task modules (dependencies point
one way: tasks → services). With the embedded default the task runs eagerly, here."""

import contextlib
import importlib
import time

from celery import current_app
from django.core.cache import cache
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError


class BrokerUnavailable(Exception):
    """The broker could not be reached: the caller leaves the work to the nightly catch-up."""


def runs_eagerly() -> bool:
    """Whether there is no broker: a task sent runs at once, in the sender's process."""
    return bool(current_app.conf.task_always_eager)


def enqueue(task_name: str, *args, expires: float | None = None):
    if task_name not in current_app.tasks:
        # Outside a worker the task modules are imported on first use (autodiscovery is lazy).
        importlib.import_module(task_name.rsplit(".", 1)[0])
    task = current_app.tasks[task_name]
    try:
        return task.apply_async(args, expires=expires)
    except (KombuOperationalError, RedisError, OSError) as exc:
        raise BrokerUnavailable(str(exc)) from exc


# The cache key where workers leave the time they last ran the sweep (the readiness check reads it).
HEARTBEAT_KEY = "cxtracker:worker-heartbeat"


def heartbeat() -> None:
    """A worker says it is alive (the sweep, every minute, does): the time, in the cache."""
    # If the cache is unreachable, the readiness check will say so.
    with contextlib.suppress(RedisError, OSError):
        cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def heartbeat_age() -> float | None:
    """Seconds since a worker last said it was alive; None if none ever did (or the cache forgot)."""
    seen = cache.get(HEARTBEAT_KEY)
    return None if seen is None else max(0.0, time.time() - seen)
