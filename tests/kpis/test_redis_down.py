"""Redis down (cache and broker on a closed port): API and browser writes still succeed and lose
nothing, their months stay marked dirty, and once Redis is back the nightly job, run by a real
worker through Redis, recomputes them (SPEC §6). No mock: the cache and the broker really are
unreachable, and the test proves it before writing."""

import contextlib
import datetime
import logging

import pytest
import redis
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cxtracker.api.throttling import cache_outage
from cxtracker.celery import app as celery_app
from cxtracker.months import Month
from cxtracker.queue import BrokerUnavailable, enqueue
from deployment.models import Observation, Rating
from experience.models import Behavior
from experience.services import experience_model_create_from_json
from kpis.engine.recompute import recompute_org
from kpis.engine.tasks import recompute_dirty_task
from kpis.models import ComputedPeriod, DirtyPeriod, SurveyResponse, TeamKpiSnapshot, TeamMonthSnapshot
from tests.api.conftest import MODEL_JSON, Api, make_api_key
from tests.kpis.conftest import needs_redis
from tests.kpis.processes import wait_for

CLOSED_PORT = "redis://127.0.0.1:1/0"
SURVEYS = "/api/v1/survey-responses/"
PASSWORD = "correct horse battery"  # tests.factories.make_user's

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]


def _reset_celery_pools():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def redis_unreachable():
    """Settings pointing the cache and the Celery broker at a closed port, as when Redis is down."""
    conf = celery_app.conf
    before = conf.broker_url, conf.task_always_eager
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}
    with override_settings(CACHES=caches, CELERY_BROKER_URL=CLOSED_PORT, CELERY_TASK_ALWAYS_EAGER=False):
        conf.broker_url, conf.task_always_eager = CLOSED_PORT, False
        _reset_celery_pools()
        cache_outage.reset()
        try:
            yield
        finally:
            conf.broker_url, conf.task_always_eager = before
            _reset_celery_pools()
            cache_outage.reset()


def _utc(day: datetime.date, hour: int, minute: int = 0) -> str:
    return datetime.datetime.combine(day, datetime.time(hour, minute), datetime.UTC).isoformat()


def _marked_months(org) -> set[datetime.date]:
    return set(DirtyPeriod.objects.for_org(org).values_list("period_start", flat=True))


def _kpis(org, team, month: Month) -> tuple[int, int, int] | None:
    """(nps_n, promoters, detractors) of the team's month over all its responses, None without any."""
    rows = TeamKpiSnapshot.objects.for_org(org).filter(team=team, period_start=month.first_day, breakdown="")
    return rows.values_list("nps_n", "promoters", "detractors").first()


def test_writes_succeed_with_redis_down_and_the_nightly_job_catches_up(org, tree, members, manager, caplog):
    from celery.contrib.testing.worker import start_worker

    caplog.set_level(logging.WARNING)
    team = tree["T1"]
    model = experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    salue, sourit = (Behavior.objects.get(model=model, code=code) for code in ("salue-30s", "sourit"))
    key = make_api_key(org)
    current = Month.of(org.today())
    three_ago, two_ago, last = current.shift(-3), current.shift(-2), current.shift(-1)
    # Before the outage every month is computed and nothing is marked: what follows is the writes'.
    recompute_org(org=org)
    assert _marked_months(org) == set()

    with redis_unreachable():
        # The premise, proved: Redis really is unreachable, for the cache and for the broker.
        with pytest.raises(redis.exceptions.ConnectionError):
            cache.get("probe")
        with pytest.raises(BrokerUnavailable):
            enqueue("cxtracker.celery.ping")

        # API: a bulk through an API key, then one object (the throttle lets both through).
        api = Api(Client(), key)
        bulk = [
            {
                "external_id": "down-1",
                "unit": "T1",
                "responded_at": _utc(three_ago.first_day + datetime.timedelta(14), 10),
                "nps": 9,
            },
            # 23:30 UTC on the last day is the next day in Paris: it belongs to last month.
            {"external_id": "down-2", "unit": "T1", "responded_at": _utc(two_ago.last_day, 23, 30), "nps": 3},
            {
                "external_id": "down-3",
                "unit": "T1",
                "responded_at": _utc(last.first_day + datetime.timedelta(9), 12),
                "nps": 10,
            },
        ]
        r = api.post(SURVEYS, bulk)
        assert r.status_code == 200, r.content
        assert r.json()["created"] == 3
        one = {
            "external_id": "down-4",
            "unit": "T1",
            "responded_at": _utc(three_ago.first_day + datetime.timedelta(20), 9),
            "nps": 7,
        }
        r = api.post(SURVEYS, one)
        assert r.status_code == 201, r.content

        # Browser: a real login (django-axes counts attempts), a page, the observation form.
        browser = Client()
        r = browser.post(reverse("login"), {"username": manager.email, "password": PASSWORD})
        assert r.status_code == 302
        assert int(browser.session["_auth_user_id"]) == manager.pk
        create = reverse("deployment:observation-create", kwargs={"org": org.slug})
        assert browser.get(reverse("org-home", kwargs={"org": org.slug})).status_code == 200
        assert browser.get(create).status_code == 200
        now = timezone.now()
        when = max(now - datetime.timedelta(hours=1), current.bounds(org.tzinfo)[0] + datetime.timedelta(minutes=1))
        form = {
            "member": members["hugo"].code,
            "kind": "coaching",
            "observed_at": timezone.localtime(when, org.tzinfo).strftime("%Y-%m-%dT%H:%M"),
            f"b_{salue.pk}": "3",
            f"b_{sourit.pk}": "4",
        }
        r = browser.post(create, form)
        assert r.status_code == 302, r.content.decode()[:2000]

    # Every row is stored.
    assert sorted(SurveyResponse.objects.for_org(org).values_list("external_id", flat=True)) == [
        "down-1",
        "down-2",
        "down-3",
        "down-4",
    ]
    observation = Observation.objects.for_org(org).get()
    assert (observation.member, observation.observer) == (members["hugo"], manager)
    assert sorted(Rating.objects.filter(observation=observation).values_list("behavior__code", "level")) == [
        ("salue-30s", 3),
        ("sourit", 4),
    ]
    # Their months are marked, for the sweep or the nightly job.
    assert _marked_months(org) == {three_ago.first_day, last.first_day, current.first_day}
    # The throttle said it was degraded, once (rate-limited); the writes asked nothing of the
    # broker (their marks are the work owed), so they had nothing to say.
    throttle_warnings = [r for r in caplog.records if r.name == "cxtracker.api.throttling"]
    assert len(throttle_warnings) == 1
    assert "API requests are not throttled" in throttle_warnings[0].getMessage()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kpis")] == []

    # Redis is back: the nightly job goes through the broker to a real worker and catches up.
    assert cache.get("probe") is None
    celery_app.control.purge()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            recompute_dirty_task.delay()
            assert wait_for(lambda: not DirtyPeriod.objects.for_org(org).exists(), timeout=60.0, interval=0.25), (
                _marked_months(org)
            )
    finally:
        celery_app.control.purge()

    computed = set(ComputedPeriod.objects.for_org(org).values_list("period_start", flat=True))
    assert {three_ago.first_day, last.first_day, current.first_day} <= computed
    # The snapshots hold every write: nps 9 and 7 three months ago, 3 and 10 last month.
    assert _kpis(org, team, three_ago) == (2, 1, 0)
    assert _kpis(org, team, two_ago) is None
    assert _kpis(org, team, last) == (2, 1, 1)
    # This month T1 has Léa and Hugo active, Hugo coached, rated 3 and 4 (Σ(level − 1) = 2 + 3)
    # on two of the model's three behaviors: 6 pairs.
    snapshot = TeamMonthSnapshot.objects.for_org(org).get(team=team, period_start=current.first_day)
    assert (snapshot.active_members, snapshot.coached_members) == (2, 1)
    assert (snapshot.pairs, snapshot.assessed, snapshot.score_points) == (6, 2, 5)
