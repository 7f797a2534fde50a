"""Faults, with real processes and no mocks (SPEC §6): a Redis of the test's own stopped for 30 s
while a real worker holds work; a worker killed with SIGKILL mid-recomputation; the PostgreSQL
backend of a bulk write terminated mid-write; two recomputations of one organization started
together. After each, the snapshots equal a clean full recomputation and no mark is left.

The workers and commands are other processes on the test database: they see committed rows only
(hence ``transaction=True``). Where a step must be caught midway, the test holds it with a plain
PostgreSQL lock from a session of its own (a snapshot row locked FOR UPDATE blocks the
recomputation's DELETE; a dirty mark locked FOR UPDATE blocks a write's marks), sees the other
process wait on it in pg_stat_activity, then strikes.
"""

import collections
import datetime
import json
import shutil
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from cxtracker.api.throttling import cache_outage
from cxtracker.celery import app as celery_app
from cxtracker.months import Month
from deployment.services import observation_create
from experience.services import experience_model_create_from_json
from kpis.engine.marks import organizations_due, periods_mark_all, periods_mark_dirty
from kpis.engine.recompute import LOCK_SPACE, recompute_org
from kpis.engine.tasks import SWEEP_SECONDS, recompute_due_task, recompute_org_task
from kpis.ingest import survey_responses_ingest
from kpis.models import DirtyPeriod, SurveyResponse, TeamDimensionSnapshot, TeamKpiSnapshot, TeamMonthSnapshot
from tests.api.conftest import MODEL_JSON, Api, make_api_key
from tests.kpis.processes import (
    APP_PREFIX,
    Processes,
    RedisServer,
    advisory_locks,
    backends,
    celery_worker,
    end_test_sessions,
    manage,
    pg_session,
    subprocess_env,
    wait_for,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

DEBOUNCE = 2  # seconds, in this process (the writer sets the due time) and in the workers
SURVEYS = "/api/v1/survey-responses/"
SNAPSHOTS = (TeamMonthSnapshot, TeamDimensionSnapshot, TeamKpiSnapshot)
OUTAGE_SECONDS = 30  # Redis stopped for 30 s while writes keep flowing: an outage operators meet


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the faults are PostgreSQL's: advisory locks, pg_terminate_backend, other processes")


@pytest.fixture(autouse=True)
def _debounce(settings):
    settings.RECOMPUTE_DEBOUNCE_SECONDS = DEBOUNCE


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
        # A session left waiting by a killed process would hold its locks through the flush.
        end_test_sessions()


@pytest.fixture
def own_redis(processes, settings):
    """A redis-server of the test's own; this process's broker and cache point at it, as the
    workers' do."""
    server = RedisServer(processes)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
        }
    }
    conf = celery_app.conf
    before = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = server.url, False
    _reset_celery_pools()
    cache_outage.reset()
    try:
        yield server
    finally:
        conf.broker_url, conf.task_always_eager = before
        _reset_celery_pools()
        cache_outage.reset()


@pytest.fixture
def observer():
    """A PostgreSQL session that watches the others (pg_stat_activity, pg_locks). In autocommit:
    inside a transaction pg_stat_activity would show the snapshot of its first read."""
    session = pg_session(f"{APP_PREFIX}observer")
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def holder():
    """A PostgreSQL session of the test's own, to hold locks; rolled back and closed at the end."""
    session = pg_session(f"{APP_PREFIX}holder")
    try:
        yield session
    finally:
        session.close()


def _reset_celery_pools():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


# --- the organization's history ---------------------------------------------------------------


def _moment(month: Month, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(month.first_day + datetime.timedelta(day - 1), datetime.time(hour), datetime.UTC)


def _recent_in(month: Month, org) -> datetime.datetime:
    """A moment of ``month`` not in the future (the current month: an hour ago at most)."""
    start = month.bounds(org.tzinfo)[0] + datetime.timedelta(minutes=1)
    return min(_moment(month, 10), max(start, timezone.now() - datetime.timedelta(hours=1)))


def _survey_items(org, prefix: str, n: int, *, months: list[Month], teams=("T1", "T2", "T3")) -> list[dict]:
    items = []
    for i in range(n):
        month = months[i % len(months)]
        items.append(
            {
                "external_id": f"{prefix}-{i}",
                "unit": teams[i % len(teams)],
                "responded_at": (_recent_in(month, org) - datetime.timedelta(minutes=i % 50)).isoformat(),
                "nps": i % 11,
                "csat": 1 + i % 5,
                "ces": 1 + i % 7,
                "journey": ("purchase", "after-sales")[i % 2],
                "channel": ("store", "web", "phone")[i % 3],
            }
        )
    return items


@pytest.fixture
def history(org, tree, members):
    """Four months of observations and survey responses, every month computed, nothing marked."""
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    current = Month.of(org.today())
    months = [current.shift(-3), current.shift(-2), current.shift(-1), current]
    for month, (member, levels) in zip(
        months,
        [("lea", (2, 1, 3)), ("hugo", (3, 4, 2)), ("ines", (4, 4, 1)), ("paul", (2, 3, 3))],
        strict=True,
    ):
        ratings = dict(zip(("salue-30s", "sourit", "reformule"), levels, strict=True))
        observation_create(
            org=org,
            member=members[member],
            observer=None,
            observed_at=_recent_in(month, org),
            kind="coaching",
            ratings=ratings,
        )
    survey_responses_ingest(org=org, items=_survey_items(org, "base", 60, months=months))
    _full_recompute(org)
    assert not DirtyPeriod.objects.for_org(org).exists()
    return {"months": months, "current": current}


# --- snapshots ----------------------------------------------------------------------------------


def _snapshot_rows(org) -> dict[str, collections.Counter]:
    """Every snapshot row of the organization, without its id, as a multiset per table."""
    rows = {}
    for model in SNAPSHOTS:
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        rows[model.__name__] = collections.Counter(model.objects.for_org(org).values_list(*names))
    return rows


def _full_recompute(org) -> None:
    periods_mark_all(org=org)
    recompute_org(org=org)


def _clean_full_recompute(org) -> dict[str, collections.Counter]:
    """What the snapshots must be: every snapshot deleted, every month recomputed from scratch."""
    for model in SNAPSHOTS:
        model.objects.for_org(org).delete()
    _full_recompute(org)
    assert not DirtyPeriod.objects.for_org(org).exists()
    return _snapshot_rows(org)


def _assert_same_snapshots(actual, expected) -> None:
    for table in expected:
        missing, extra = expected[table] - actual[table], actual[table] - expected[table]
        assert not missing and not extra, f"{table}: missing {list(missing)[:5]}, extra {list(extra)[:5]}"


def _marks(org) -> list[tuple]:
    return list(
        DirtyPeriod.objects.for_org(org).order_by("pk").values_list("pk", "period_start", "team_id", "marked_at")
    )


def _kpi_row_locked(holder, org, team, month: Month) -> int:
    """Lock (FOR UPDATE, in an open transaction of ``holder``) the team's all-responses KPI
    snapshot of the month: a recomputation of that team-month blocks on its DELETE of it, after
    it has deleted the month's other snapshots in its transaction."""
    holder.execute("BEGIN")
    row = holder.execute(
        "SELECT id FROM kpis_teamkpisnapshot WHERE organization_id = %s AND team_id = %s AND period_start = %s "
        "AND breakdown = '' FOR UPDATE",
        [org.pk, team.pk, month.first_day],
    ).fetchone()
    assert row is not None, "the history has responses of this team-month"
    return row[0]


def _blocked_on_snapshots(session, application_name: str, table: str = "kpis_teamkpisnapshot"):
    """The session ``application_name`` waiting for a lock in its DELETE of ``table``, if so."""
    for backend in backends(session, application_name):
        query = backend["query"] or ""
        if backend["wait_event_type"] == "Lock" and query.startswith("DELETE") and table in query:
            return backend
    return None


def _sweep_until_clean(org, timeout: float) -> float:
    """Once every mark is due, one sweep through the broker; seconds until no mark is left."""
    wait_for(
        lambda: not DirtyPeriod.objects.for_org(org).filter(due_at__gt=timezone.now()).exists(), timeout=DEBOUNCE + 5
    )
    assert organizations_due() == [org.pk]
    start = time.monotonic()
    recompute_due_task.delay()
    assert wait_for(lambda: not DirtyPeriod.objects.for_org(org).exists(), timeout=timeout, interval=0.2), _marks(org)
    return time.monotonic() - start


# --- 1. Redis stopped mid-run --------------------------------------------------------------------


def test_redis_stopped_for_30_seconds_mid_run(org, tree, history, processes, own_redis, holder, observer):
    """A real worker holds a recomputation when its Redis stops for 30 s; API writes keep flowing
    and all succeed; Redis comes back on the same port: the worker is still there, and one sweep
    after the debounce leaves no mark and the snapshots of a clean full recomputation."""
    current, last = history["current"], history["current"].shift(-1)
    app = f"{APP_PREFIX}worker"
    env = subprocess_env(application_name=app, redis_url=own_redis.url, RECOMPUTE_DEBOUNCE_SECONDS=DEBOUNCE)
    worker = celery_worker(processes, name="faults-redis", env=env)
    api = Api(Client(), make_api_key(org))

    # Writes before the outage: marks of T1 last month and this month.
    for item in _survey_items(org, "before", 4, months=[last, current], teams=("T1",)):
        assert api.post(SURVEYS, item).status_code == 201
    # The worker's recomputation will block on T1's KPI snapshot of last month: it holds work
    # (its task unacknowledged, acks_late) when Redis stops.
    _kpi_row_locked(holder, org, tree["T1"], last)
    assert wait_for(lambda: organizations_due() == [org.pk], timeout=DEBOUNCE + 5)
    recompute_due_task.delay()
    blocked = wait_for(lambda: _blocked_on_snapshots(observer, app), timeout=30)
    assert blocked, worker.output()[-3000:]

    own_redis.stop()
    outage_start = time.monotonic()
    statuses, sent, released = [], 0, False
    months = history["months"]
    while time.monotonic() - outage_start < OUTAGE_SECONDS:
        # Every team, every month: new marks, and re-marks of what the worker is recomputing.
        (item,) = _survey_items(
            org, f"outage-{sent}", 1, months=[months[sent % 4]], teams=(("T1", "T2", "T3")[sent % 3],)
        )
        statuses.append(api.post(SURVEYS, item).status_code)
        sent += 1
        if not released and time.monotonic() - outage_start > 3:
            # The recomputation goes on and commits while Redis is down: its acknowledgement
            # cannot reach the broker.
            holder.execute("ROLLBACK")
            released = True
        time.sleep(0.25)
    assert statuses == [201] * sent
    assert worker.alive(), worker.output()[-3000:]
    # The held recomputation did finish during the outage: it let go of the organization's lock.
    assert not _blocked_on_snapshots(observer, app)
    assert not advisory_locks(observer, LOCK_SPACE, org.pk)

    own_redis.start()  # the same port, empty: whatever the broker held is gone
    back = time.monotonic()
    assert worker.alive(), worker.output()[-3000:]
    # The figures are at most the debounce and a sweep's interval old: the worker reconnects
    # (kombu retries every 2, 4, … up to 30 s) and runs the sweep sent once the marks are due.
    _sweep_until_clean(org, timeout=DEBOUNCE + SWEEP_SECONDS)
    seconds = time.monotonic() - back
    print(f"Redis down {OUTAGE_SECONDS} s, {sent} writes, all stored; no mark left {seconds:.1f} s after it came back")
    assert seconds <= DEBOUNCE + SWEEP_SECONDS
    assert worker.alive()

    stored = set(SurveyResponse.objects.for_org(org).values_list("external_id", flat=True))
    assert {f"outage-{i}-0" for i in range(sent)} | {f"before-{i}" for i in range(4)} <= stored
    actual = _snapshot_rows(org)
    _assert_same_snapshots(actual, _clean_full_recompute(org))
    # No task of the worker failed (what it logs of the outage is the broker connection's).
    for failure in ("raised unexpected", "IntegrityError", "WorkerLostError", "failed"):
        assert failure not in worker.output(), worker.output()[-3000:]


# --- 2. A worker killed with SIGKILL mid-recomputation ----------------------------------------------


def test_a_worker_killed_mid_recomputation(org, tree, history, processes, own_redis, holder, observer):
    """SIGKILL to the whole worker (its pool child midway through replacing snapshots): readers
    keep the previous snapshots, never half of a recomputation; its advisory lock goes with its
    session; a new worker and one sweep recompute everything the marks name."""
    current, last = history["current"], history["current"].shift(-1)
    before = _snapshot_rows(org)
    survey_responses_ingest(org=org, items=_survey_items(org, "after", 30, months=[last, current]))
    marks = _marks(org)
    assert marks

    app = f"{APP_PREFIX}worker-killed"
    env = subprocess_env(application_name=app, redis_url=own_redis.url, RECOMPUTE_DEBOUNCE_SECONDS=DEBOUNCE)
    worker = celery_worker(processes, name="faults-killed", env=env)
    _kpi_row_locked(holder, org, tree["T1"], last)
    assert wait_for(lambda: organizations_due() == [org.pk], timeout=DEBOUNCE + 5)
    recompute_due_task.delay()
    blocked = wait_for(lambda: _blocked_on_snapshots(observer, app), timeout=30)
    assert blocked, worker.output()[-3000:]
    # Midway: the recomputation holds the organization's lock, and in its transaction it has
    # already deleted the team-months' month and dimension snapshots.
    assert advisory_locks(observer, LOCK_SPACE, org.pk) == [(blocked["pid"], True)]
    assert worker.children(), "the prefork pool has its child"

    worker.kill()
    assert not worker.alive() and not worker.group_alive()
    # Dead: the previous snapshots are all there and unchanged, the marks too.
    assert _snapshot_rows(org) == before
    assert _marks(org) == marks

    # The server ends the dead client's session when it next talks to it (here: once the lock it
    # waits for is free); its transaction rolls back and its advisory lock goes with it.
    holder.execute("ROLLBACK")
    released = wait_for(
        lambda: not advisory_locks(observer, LOCK_SPACE, org.pk) and not backends(observer, app), timeout=10
    )
    assert released, (advisory_locks(observer, LOCK_SPACE, org.pk), backends(observer, app))
    assert _snapshot_rows(org) == before
    assert _marks(org) == marks

    # A new worker, one sweep: the task of the dead worker is lost, the marks are not.
    app = f"{APP_PREFIX}worker-new"
    env = subprocess_env(application_name=app, redis_url=own_redis.url, RECOMPUTE_DEBOUNCE_SECONDS=DEBOUNCE)
    celery_worker(processes, name="faults-new", env=env)
    _sweep_until_clean(org, timeout=30)
    assert not advisory_locks(observer, LOCK_SPACE, org.pk)
    actual = _snapshot_rows(org)
    assert actual != before
    _assert_same_snapshots(actual, _clean_full_recompute(org))


# --- 3. A PostgreSQL backend terminated in the middle of a bulk write ----------------------------


def _post_json(url: str, key: str, body) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(  # noqa: S310 - the live server's http:// URL
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}", "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _bulk_write_waiting(observer):
    """The session whose bulk write waits for the marks' lock (its survey rows already inserted,
    not committed)."""
    rows = observer.execute(
        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO kpis_dirtyperiod%%'"
    ).fetchall()
    return rows[0] if len(rows) == 1 else None


def test_a_backend_terminated_mid_bulk_write(org, tree, history, own_redis, holder, observer, live_server):
    """pg_terminate_backend on the session of a 1,000-item bulk POST, after it inserted the
    responses and while it writes their marks: the client gets a 5xx, nothing of the bulk is
    stored or marked; the same bulk again stores all of it once, and the figures end right."""
    current, last = history["current"], history["current"].shift(-1)
    key = make_api_key(org)
    url = live_server.url + SURVEYS
    bulk = _survey_items(org, "bulk", 1000, months=[last, current])
    # An existing mark of T1 this month, locked by the holder: the bulk's marks upsert waits on it.
    periods_mark_dirty(org=org, days=[current.first_day], teams=[tree["T1"]])
    marks = _marks(org)
    holder.execute("BEGIN")
    holder.execute("SELECT id FROM kpis_dirtyperiod WHERE organization_id = %s FOR UPDATE", [org.pk])

    answer = {}
    thread = threading.Thread(target=lambda: answer.update(response=_post_json(url, key, bulk)))
    thread.start()
    try:
        waiting = wait_for(lambda: _bulk_write_waiting(observer), timeout=30)
        assert waiting, "the bulk write never reached its marks"
        assert observer.execute("SELECT pg_terminate_backend(%s)", [waiting[0]]).fetchone() == (True,)
    finally:
        holder.execute("ROLLBACK")
        thread.join(timeout=60)
    status, headers, body = answer["response"]
    assert status >= 500, (status, body[:500])
    print(f"bulk write whose backend was terminated: {status} {headers.get('Content-Type')} {body[:200]!r}")
    if status == 503:  # the outage handler (cxtracker.outage): JSON with Retry-After
        assert headers.get("Content-Type", "").startswith("application/json")
        assert "detail" in json.loads(body) and headers.get("Retry-After")
    # Nothing half-written: none of the 1,000 responses, no new or moved mark.
    assert not SurveyResponse.objects.for_org(org).filter(external_id__startswith="bulk-").exists()
    assert _marks(org) == marks

    status, _headers, body = _post_json(url, key, bulk)
    assert status == 200, body[:500]
    assert json.loads(body)["created"] == 1000
    status, _headers, body = _post_json(url, key, bulk)
    assert status == 200 and json.loads(body)["created"] == 0
    ids = list(
        SurveyResponse.objects.for_org(org)
        .filter(external_id__startswith="bulk-")
        .values_list("external_id", flat=True)
    )
    assert len(ids) == len(set(ids)) == 1000

    assert recompute_org(org=org) == 2
    assert not DirtyPeriod.objects.for_org(org).exists()
    actual = _snapshot_rows(org)
    _assert_same_snapshots(actual, _clean_full_recompute(org))


# --- 4. Two recomputations of one organization started together ---------------------------------


def test_two_recomputations_of_one_organization_started_together(org, tree, history, processes, holder, observer):
    """Two ``compute_rates --org`` processes started at once with marks present: one recomputes
    (held midway on a snapshot row), the other waits for the organization's lock, and the sweep's
    task meanwhile skips without error; both then exit 0, and the snapshots are a clean full
    recomputation's, no mark left."""
    current, last = history["current"], history["current"].shift(-1)
    survey_responses_ingest(org=org, items=_survey_items(org, "together", 30, months=[last, current]))
    marks = _marks(org)
    assert marks
    _kpi_row_locked(holder, org, tree["T1"], last)

    names = [f"{APP_PREFIX}rates-{i}" for i in (1, 2)]
    commands = [
        manage(processes, name, "compute_rates", "--org", org.slug, env=subprocess_env(application_name=name))
        for name in names
    ]

    def overlapping():
        """One command midway (lock held, blocked on the row), the other waiting for the lock."""
        held = [n for n in names if _blocked_on_snapshots(observer, n)]
        waiting = [n for n in names if any(b["wait_event"] == "advisory" for b in backends(observer, n))]
        return (held, waiting) if len(held) == 1 and len(waiting) == 1 else None

    both = wait_for(overlapping, timeout=30, interval=0.1)
    assert both, [c.output()[-2000:] for c in commands]
    assert [granted for _pid, granted in advisory_locks(observer, LOCK_SPACE, org.pk)] == [True, False]
    # The sweep's task meanwhile: wait=False, it leaves the organization to the one running.
    result = recompute_org_task.apply(args=(org.pk,))
    assert result.successful() and result.result is None
    assert _marks(org) == marks

    holder.execute("ROLLBACK")
    for command in commands:
        assert command.wait(timeout=60) == 0, command.output()
    for command in commands:
        output = command.output()
        assert "team-months recomputed over 4 months." in output, output
        for word in ("failed", "Error", "Traceback"):
            assert word not in output, output
    assert not DirtyPeriod.objects.for_org(org).exists()
    assert not advisory_locks(observer, LOCK_SPACE, org.pk)
    actual = _snapshot_rows(org)
    _assert_same_snapshots(actual, _clean_full_recompute(org))
