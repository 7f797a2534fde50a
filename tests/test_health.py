"""The health check answers without a session, to GET and HEAD only; the readiness check also
wants Redis, a worker that ran the sweep lately, and no due mark waiting too long."""

import datetime
import io
import json
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cxtracker.celery import app as celery_app
from cxtracker.queue import HEARTBEAT_KEY, heartbeat
from kpis.engine.marks import periods_mark_dirty
from kpis.engine.tasks import recompute_due_task
from kpis.models import DirtyPeriod
from tests.kpis.conftest import needs_redis

pytestmark = pytest.mark.django_db


def test_health_answers_ok_without_a_session(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_health_head_and_not_post(client):
    assert client.head(reverse("health")).status_code == 200
    assert client.post(reverse("health")).status_code == 405


def _ready(client):
    response = client.get(reverse("health-ready"))
    return response.status_code, response.json()


@pytest.fixture
def broker():
    """A broker configured, as in production (REDIS_URL): the readiness check asks about workers."""
    conf = celery_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = False
    cache.delete(HEARTBEAT_KEY)
    yield
    conf.task_always_eager = before
    cache.delete(HEARTBEAT_KEY)


@needs_redis
def test_ready_wants_a_worker_that_ran_the_sweep_recently(client, broker, settings):
    settings.HEALTH_HEARTBEAT_MAX_SECONDS = 180
    status, body = _ready(client)
    assert (status, body["worker"], body["reasons"]) == (503, "silent", ["worker"])
    assert body["worker_seen_seconds"] is None

    # The sweep, run as a worker runs it, leaves the heartbeat.
    recompute_due_task.apply()
    status, body = _ready(client)
    assert (status, body["status"], body["redis"], body["worker"]) == (200, "ok", "ok", "ok")
    assert body["worker_seen_seconds"] <= 2 and body["stale_seconds"] == 0

    cache.set(HEARTBEAT_KEY, time.time() - 200, timeout=None)
    status, body = _ready(client)
    assert (status, body["worker"], body["worker_seen_seconds"]) == (503, "silent", 200)


@needs_redis
def test_ready_says_how_stale_the_oldest_due_mark_is(client, broker, org, settings):
    settings.HEALTH_STALE_MAX_SECONDS = 300
    heartbeat()
    periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 1)])
    periods_mark_dirty(org=org, days=[datetime.date(2026, 4, 1)])
    # Not yet due: the debounce is not staleness.
    assert _ready(client)[1]["stale_seconds"] == 0
    now = timezone.now()
    march, april = DirtyPeriod.objects.filter(period_start__month=3), DirtyPeriod.objects.filter(period_start__month=4)
    march.update(due_at=now - datetime.timedelta(seconds=120))
    status, body = _ready(client)
    assert (status, 118 <= body["stale_seconds"] <= 125) == (200, True)
    april.update(due_at=now - datetime.timedelta(seconds=900))
    status, body = _ready(client)
    assert (status, body["reasons"]) == (503, ["stale"])
    assert 898 <= body["stale_seconds"] <= 905


def test_ready_without_a_broker_asks_about_no_worker(client, settings):
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        status, body = _ready(client)
    finally:
        celery_app.conf.task_always_eager = before
    assert (status, body["redis"], body["worker"], body["reasons"]) == (200, "not configured", "not configured", [])


def test_ready_says_when_redis_is_unreachable(client, broker):
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with override_settings(CACHES=caches):
        status, body = _ready(client)
    assert (status, body["redis"], body["reasons"]) == (503, "unreachable", ["redis"])
    # The liveness check does not depend on Redis: a load balancer keeps the web process.
    with override_settings(CACHES=caches):
        assert client.get(reverse("health")).status_code == 200


@needs_redis
def test_the_readiness_command_exits_1_with_the_reasons(broker, org):
    # beat's container health check: the same answer, without HTTP.
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("readiness", stdout=out)
    assert exited.value.code == 1
    assert json.loads(out.getvalue())["reasons"] == ["worker"]
    heartbeat()
    out = io.StringIO()
    call_command("readiness", stdout=out)
    assert json.loads(out.getvalue())["status"] == "ok"
