"""Health for load balancers and operators.

``GET /health/``: liveness. The web process answers and reaches its database, nothing more: one
``SELECT 1``, no session, no template. Redis is left out on purpose: the site keeps working while
it is down (the cache and the queue degrade), so it must not get the web process restarted.

``GET /health/ready/``: whether figures are being kept fresh. Also Redis when configured, that a
worker ran the sweep recently (its heartbeat: beat and a worker both alive), and ``stale_seconds``,
how long the oldest due dirty mark has waited past its debounce. 503 with the reasons past
``HEALTH_HEARTBEAT_MAX_SECONDS`` or ``HEALTH_STALE_MAX_SECONDS``. Without a broker (the embedded
default) the web process recomputes itself: there is no worker to ask about. ``manage.py
readiness`` runs the same check where HTTP is not at hand (a container's health check).
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

from cxtracker.queue import heartbeat_age, runs_eagerly
from kpis.engine.marks import oldest_due


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure is "unhealthy", never a 500 page
        return False
    return True


@never_cache
@require_safe
def health(request):
    if not _database_ok():
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def readiness() -> dict:
    """The readiness check's answer: ``status`` ok or unavailable, the ``reasons``, and what was
    found (database, redis, worker, worker_seen_seconds, stale_seconds)."""
    if not _database_ok():
        return {"status": "unavailable", "database": "unreachable", "reasons": ["database"]}
    body, reasons = {"database": "ok"}, []
    oldest = oldest_due()
    body["stale_seconds"] = 0 if oldest is None else round((timezone.now() - oldest).total_seconds())
    if body["stale_seconds"] > settings.HEALTH_STALE_MAX_SECONDS:
        reasons.append("stale")
    if runs_eagerly():
        body["redis"] = body["worker"] = "not configured"
    else:
        try:
            age = heartbeat_age()
        except (RedisError, OSError):
            body["redis"], body["worker"] = "unreachable", "unknown"
            reasons.append("redis")
        else:
            body["redis"] = "ok"
            body["worker_seen_seconds"] = None if age is None else round(age)
            silent = age is None or age > settings.HEALTH_HEARTBEAT_MAX_SECONDS
            body["worker"] = "silent" if silent else "ok"
            if silent:
                reasons.append("worker")
    body["status"] = "unavailable" if reasons else "ok"
    body["reasons"] = reasons
    return body


@never_cache
@require_safe
def ready(request):
    body = readiness()
    return JsonResponse(body, status=503 if body["reasons"] else 200)
