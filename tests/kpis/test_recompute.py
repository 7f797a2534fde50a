"""Writes mark months dirty in the organization's timezone, due after the debounce (a burst
shares the first write's due time); nothing is sent to the broker by a write; the sweep sends one
task per organization with a mark due; a broker outage never fails a write; the task clears only
the marks it processed."""

import datetime
import json
import os
from zoneinfo import ZoneInfo

import pytest
import redis
from django.utils import timezone

from cxtracker.celery import app as celery_app
from cxtracker.months import Month
from kpis.engine import background, recompute
from kpis.engine.marks import periods_mark_dirty
from kpis.engine.tasks import recompute_catch_up_task, recompute_dirty_task, recompute_due_task, recompute_org_task
from kpis.ingest import survey_responses_ingest
from kpis.models import ComputedPeriod, DirtyPeriod, SurveyResponse
from tests.factories import make_org
from tests.kpis.conftest import needs_redis

UTC = datetime.UTC
RECOMPUTE_TASK = "kpis.engine.tasks.recompute_org_task"


def _months(org):
    return sorted(DirtyPeriod.objects.for_org(org).values_list("period_start", flat=True))


def _queued_recomputations(organization_id):
    """The recompute messages for this organization waiting in the Redis queue (raw JSON)."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    messages = []
    for raw in client.lrange("celery", 0, -1):
        headers = json.loads(raw).get("headers", {})
        if headers.get("task") == RECOMPUTE_TASK and headers.get("argsrepr") == f"({organization_id},)":
            messages.append(raw)
    return client, messages


def test_a_late_evening_response_belongs_to_the_next_month_in_paris(org):
    periods_mark_dirty(org=org, days=[datetime.datetime(2026, 3, 31, 23, 30, tzinfo=UTC)])
    assert _months(org) == [datetime.date(2026, 4, 1)]


def test_months_follow_the_organization_timezone(db):
    new_york = make_org("ny", timezone="America/New_York")
    periods_mark_dirty(org=new_york, days=[datetime.datetime(2026, 4, 1, 2, 0, tzinfo=UTC)])
    assert _months(new_york) == [datetime.date(2026, 3, 1)]


def test_dates_and_datetimes_of_several_months_mark_each_month_once(org):
    paris = ZoneInfo("Europe/Paris")
    periods_mark_dirty(
        org=org,
        days=[
            datetime.date(2026, 1, 31),
            datetime.datetime(2026, 1, 2, 9, 0, tzinfo=paris),
            datetime.date(2026, 2, 1),
        ],
    )
    periods_mark_dirty(org=org, days=[datetime.date(2026, 2, 14)])
    assert _months(org) == [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]


def test_marking_again_refreshes_the_mark(org):
    periods_mark_dirty(org=org, days=[datetime.date(2026, 2, 3)])
    first = DirtyPeriod.objects.get(organization=org).marked_at
    periods_mark_dirty(org=org, days=[datetime.date(2026, 2, 20)])
    assert DirtyPeriod.objects.get(organization=org).marked_at > first


def test_a_mark_falls_due_after_the_debounce_and_a_burst_keeps_the_first_due_time(org, settings):
    settings.RECOMPUTE_DEBOUNCE_SECONDS = 90
    before = timezone.now()
    periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 1)])
    first = DirtyPeriod.objects.get(organization=org)
    assert before + datetime.timedelta(seconds=90) <= first.due_at <= timezone.now() + datetime.timedelta(seconds=90)
    # Writes during the debounce ride on the first one's recomputation: continuous writes cannot
    # put it off for ever.
    periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 20)])
    again = DirtyPeriod.objects.get(organization=org)
    assert again.due_at == first.due_at and again.marked_at > first.marked_at


@needs_redis
def test_a_write_sends_nothing_and_the_sweep_sends_one_task_per_due_organization(
    org, other_org, real_broker, django_capture_on_commit_callbacks
):
    client, before = _queued_recomputations(org.pk)
    assert before == []
    try:
        with django_capture_on_commit_callbacks(execute=True):
            periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 1)])
            periods_mark_dirty(org=other_org, days=[datetime.date(2026, 3, 1)])
        # Nothing is held in the broker or in a worker: the marks are the only record of the work.
        assert _queued_recomputations(org.pk)[1] == []
        recompute_due_task.apply()
        assert _queued_recomputations(org.pk)[1] == []  # not due yet

        DirtyPeriod.objects.filter(organization=org).update(due_at=timezone.now())
        recompute_due_task.apply()
        recompute_due_task.apply()  # the next sweep: the first task has not run yet
        queued = _queued_recomputations(org.pk)[1]
        assert len(queued) == 2
        # A sweep's task that waited past the next sweep is dropped by the worker, not run twice.
        assert all(json.loads(raw)["headers"]["expires"] is not None for raw in queued)
        assert _queued_recomputations(other_org.pk)[1] == []
    finally:
        for raw in _queued_recomputations(org.pk)[1]:
            client.lrem("celery", 0, raw)


def test_nothing_is_scheduled_when_the_write_rolls_back(org, eager_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 1)])
    # The recomputation waits for the commit: a rolled-back write leaves no timer behind.
    assert len(callbacks) == 1
    assert background.pending() == []
    callbacks[0]()
    assert background.pending() == [org.pk]


def test_a_write_succeeds_when_the_broker_is_down(
    org, tree, unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        result = survey_responses_ingest(
            org=org,
            items=[
                {"external_id": "q-1", "unit": "T1", "responded_at": "2026-03-31T23:30:00+00:00", "nps": 9},
            ],
        )
    assert result.created == 1
    assert SurveyResponse.objects.for_org(org).filter(external_id="q-1").exists()
    assert _months(org) == [datetime.date(2026, 4, 1)]
    # The sweep cannot send its task either, and says so without failing.
    DirtyPeriod.objects.filter(organization=org).update(due_at=timezone.now())
    assert recompute_due_task.apply().successful()
    assert "Broker unreachable" in caplog.text

    # The nightly catch-up (one task per organization) recomputes what the debounced task could not.
    recompute_catch_up_task.apply(args=(org.pk,))
    assert _months(org) == []
    assert datetime.date(2026, 4, 1) in set(ComputedPeriod.objects.for_org(org).values_list("period_start", flat=True))


def test_the_nightly_job_fans_out_one_catch_up_per_organization(org, other_org, tree, eager_tasks):
    periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 1)])
    periods_mark_dirty(org=other_org, days=[datetime.date(2026, 3, 1)])
    recompute_dirty_task.apply()
    assert _months(org) == [] and _months(other_org) == []
    # Every month from the first data to the current one has been computed, the current one included.
    current = org.today().replace(day=1)
    assert current in set(ComputedPeriod.objects.for_org(org).values_list("period_start", flat=True))


def test_recompute_task_clears_processed_marks_and_keeps_marks_made_during_the_run(org, monkeypatch):
    march, april = datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)
    periods_mark_dirty(org=org, days=[march, april])
    real = recompute.snapshots_recompute

    def recompute_while_a_write_lands(*, org, months, teams=None):
        if Month(2026, 3) in months:
            periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 20)])
        return real(org=org, months=months, teams=teams)

    monkeypatch.setattr(recompute, "snapshots_recompute", recompute_while_a_write_lands)

    recompute_org_task.apply(args=(org.pk,))

    assert _months(org) == [march]
    assert sorted(ComputedPeriod.objects.for_org(org).values_list("period_start", flat=True)) == [march, april]


def test_recompute_task_leaves_other_organizations_alone(org, other_org):
    periods_mark_dirty(org=org, days=[datetime.date(2026, 3, 1)])
    periods_mark_dirty(org=other_org, days=[datetime.date(2026, 3, 1)])
    recompute_org_task.apply(args=(org.pk,))
    assert _months(org) == []
    assert _months(other_org) == [datetime.date(2026, 3, 1)]


def test_recompute_task_for_a_deleted_organization_does_nothing(db):
    assert recompute_org_task.apply(args=(987654,)).successful()


@pytest.mark.worker
def test_a_real_worker_runs_tasks_sent_through_redis(real_broker):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no broker to run a worker against")
    from celery.contrib.testing.worker import start_worker

    from cxtracker.celery import ping

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        assert ping.delay().get(timeout=30) == "pong"
