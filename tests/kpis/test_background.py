"""Without a broker (the embedded default, or PostgreSQL without Redis) a write answers before any
recomputation: a thread of the process recomputes once the marks fall due. Two recomputations of
one organization at once (two processes' threads, the sweep and ``compute_rates``) take turns on
the organization's lock: neither fails, the snapshots are those of one clean recomputation."""

import datetime
import threading

import pytest
from django.db import connection

from kpis.engine import background
from kpis.engine.marks import periods_mark_all
from kpis.engine.recompute import recomputation_lock, recompute_org
from kpis.models import DirtyPeriod, TeamKpiSnapshot, TeamMonthSnapshot
from tests.api.conftest import Api, make_api_key
from tests.kpis.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SURVEYS = "/api/v1/survey-responses/"


def _bulk(org, n, prefix="r"):
    day = org.today() - datetime.timedelta(days=1)
    at = datetime.datetime.combine(day, datetime.time(12), datetime.UTC).isoformat()
    return [{"external_id": f"{prefix}-{i}", "unit": "T1", "responded_at": at, "nps": i % 11} for i in range(n)]


def _snapshots(org):
    months = TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start")
    kpis = TeamKpiSnapshot.objects.for_org(org).order_by("team_id", "period_start", "breakdown", "value")
    exclude = {"id", "organization"}
    fields = [f.attname for f in TeamKpiSnapshot._meta.concrete_fields if f.name not in exclude]
    return (
        list(months.values_list("team_id", "period_start", "active_members", "coached_members")),
        list(kpis.values_list(*fields)),
    )


def test_a_write_without_a_broker_answers_first_and_is_recomputed_in_the_background(
    client, org, tree, eager_tasks, settings
):
    settings.RECOMPUTE_DEBOUNCE_SECONDS = 1
    api = Api(client, make_api_key(org))
    response = api.post(SURVEYS, _bulk(org, 50))
    assert response.status_code in (200, 201), response.content
    # The response left the marks for later: nothing was recomputed inside the request.
    assert DirtyPeriod.objects.for_org(org).exists()
    assert not TeamKpiSnapshot.objects.for_org(org).exists()
    assert background.pending() == [org.pk]

    assert wait_for(lambda: not DirtyPeriod.objects.for_org(org).exists(), timeout=30.0, interval=0.1)
    assert background.pending() == []
    nps_n = TeamKpiSnapshot.objects.for_org(org).filter(team=tree["T1"], breakdown="").values_list("nps_n", flat=True)
    assert sum(nps_n) == 50


def test_a_burst_of_writes_starts_one_timer_and_a_later_one_its_own(client, org, tree, eager_tasks, settings):
    settings.RECOMPUTE_DEBOUNCE_SECONDS = 60
    api = Api(client, make_api_key(org))
    for i in range(3):
        assert api.post(SURVEYS, _bulk(org, 5, prefix=f"b{i}")).status_code in (200, 201)
    assert background.pending() == [org.pk]
    assert [t.name for t in threading.enumerate()].count(f"recompute-{org.pk}") == 1


def test_two_recomputations_of_one_organization_at_once_take_turns(client, org, tree, settings):
    api = Api(client, make_api_key(org))
    assert api.post(SURVEYS, _bulk(org, 200)).status_code in (200, 201)
    periods_mark_all(org=org)
    recompute_org(org=org)
    expected = _snapshots(org)
    periods_mark_all(org=org)

    errors, results = [], []
    start = threading.Barrier(2)

    def recompute():
        try:
            start.wait()
            results.append(recompute_org(org=org))
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=recompute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # One did the work, the other waited for it and found nothing left.
    assert min(results) == 0 and max(results) > 0
    assert not DirtyPeriod.objects.for_org(org).exists()
    assert _snapshots(org) == expected


def test_a_sweep_leaves_an_organization_being_recomputed_to_its_recomputation(org, tree):
    periods_mark_all(org=org)
    held = threading.Event()
    release = threading.Event()

    def hold():
        with recomputation_lock(org.pk):
            held.set()
            release.wait(30)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        assert recompute_org(org=org, wait=False) is None
        assert DirtyPeriod.objects.for_org(org).exists()
    finally:
        release.set()
        holder.join(30)
    assert recompute_org(org=org, wait=False) is not None
    assert not DirtyPeriod.objects.for_org(org).exists()
