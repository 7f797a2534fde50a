"""Dashboard benchmark: the executive transformation dashboard and the rates API on the SPEC §7 target
tenant, under load, beside the same server's health check.

    DATABASE_URL=postgres://... python bench/dashboard.py              # build the tenant, measure, drop it
    DATABASE_URL=postgres://... python bench/dashboard.py --keep       # keep the tenant; reuse a kept one
    DATABASE_URL=postgres://... python bench/dashboard.py --scale 0.1  # a tenth of everything, quick
    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/10 python bench/dashboard.py --writes 2 --users 8
                                                   # the same reads while observations are written

The tenant is bench/rates.py's (10 regions, 50 business units, 1,000 teams, 10,000 members, a
year of observations and 2 million survey responses, loaded with COPY); ``--keep`` reuses the one
``bench/rates.py --keep`` left (same ``--scale``). Its snapshots are computed when missing.

The script serves cxtracker with gunicorn on a free loopback port (2 sync workers, ``--preload``,
bench/gunicorn_dashboard.py's start-up warming, ``DEBUG=false``, the cache in ``REDIS_URL``'s
Redis when it is set: give it a database of its own, it is emptied first), creates an executive
and a read API key, and runs locust headless (bench/locust_dashboard.py): ``--users`` users
(default 2, one per worker: both workers are always busy, and a sync worker takes a connection
only when idle, so a request does not wait behind another one), each logged in through the login
form (the rounds begin once every user has logged in), make ``--rounds`` rounds of, in an order of
their own:

- the dashboard of the organization, of a region and of a team (``?unit=…&from=…&to=…``: the
  tenant's year),
- the rates API (``/api/v1/rates/?level=team``, the year's months of every team, first page),
- the health check (``/health/``).

Before the timed rounds, each page is requested once alone (its time is printed as ``cold``: an
empty cache, as after a recomputation of the snapshots), then once more from as many clients as
workers, untimed. Percentiles are exact,
from every request's time. It prints, last, ``dashboard p95/health p95`` (the three dashboard
pages pooled) and ``max`` (every timed request). Targets: the ratio ≤ 5, no request above
1 s. Bounded: ``--rounds`` per user and ``--run-time`` seconds at most. Everything it created is
removed at the end, the tenant too unless ``--keep``.

``--app-dir`` serves another checkout of cxtracker against the same database (to measure an
earlier version side by side).

``--writes R``: the same reads while R observations a second are written, and how long a write
takes to reach the figures. It needs ``REDIS_URL`` (a Redis database of the benchmark's own: the
broker, the result backend and the cache; emptied first) and starts, as in production, a real
Celery worker (``celery -A cxtracker worker``, prefork, ``--concurrency`` children, default 1) and
a real ``celery beat`` (its schedule file in a temporary folder; ``--celery-logs DIR`` keeps both
logs), gunicorn and the worker with ``RECOMPUTE_DEBOUNCE_SECONDS=--debounce`` (default 10). So a
write leaves dirty marks due ten seconds later, beat's sweep (``recompute_due_task``, every 60 s)
sends one ``recompute_org_task``, and the figures follow at most the debounce plus a minute after
the write. The current month (the writes' month) is computed first, as the nightly job computes a
month that has begun, and any mark left over is recomputed. A writer POSTs one observation at a
time to ``/api/v1/observations/`` with a write API key, on a fixed schedule of R a second (a pool
of threads: a slow answer does not delay the next), observed now, for an active member of a random
team, a rating of every behavior of the active model. ``--users`` defaults to 4 per gunicorn
worker (8 with 2): the workers' queue is never empty, and a write waits in it as a read does. The
readers read with no round limit until the writes are measured:

- recomputations: a watcher reads the organization's newest snapshot id every 0.25 s (what the
  dashboards' cached answers are keyed on): each change is one. The run goes on until
  ``--recomputations`` (default 5) were seen, ``--run-time`` (default 900 s) at most;
- staleness: a sampled write is a member's first observation of the month. While sampling, a
  team's writes go to such members first, so the rates API (``?level=team&from=M&to=M``, read key)
  must answer the team's ``coached_members`` = its count before the run + its sampled writes sent
  so far for the write to be counted (a recomputation that does not see a write sees none
  committed after it). After each recomputation, while samples wait, the watcher reads that (one
  request, every team of the month); the time from the write's 201 to the answer that shows it is
  the sample's staleness. Once enough
  recomputations were seen, no new write is sampled, and writes and reads go on until every sample
  is shown (the debounce plus 120 s at most).

It then prints, after the reads' table and lines (measured with the writes flowing), ``writes:``
acknowledged and failed (target 0 failed) and their answer times, ``recomputations: N`` (with the
tasks the worker received and a recomputation's time from its task's receipt to the new snapshots),
the samples, ``stale p95: N s`` (target ≤ debounce + 60 s), the five slowest reads and how long
after a recomputation they began (a recomputation changes every cached answer's key: the first
pages after it are cold), and the machine's load average when the writes began and ended. With
``--keep`` the observations written are removed and their month recomputed.
"""

import argparse
import concurrent.futures
import contextlib
import datetime
import importlib.util
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo
from pathlib import Path

from server import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
DASHBOARD_PAGES = ("dashboard organization", "dashboard region", "dashboard team")


def _rates_module():
    """bench/rates.py, the tenant's builder (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("bench_rates", BENCH / "rates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _server(*, workers: int, app_dir: Path, env: dict | None = None) -> Gunicorn:
    """gunicorn with the app of ``app_dir``, ready when /health/ answers."""

    def ready(url):
        with urllib.request.urlopen(url + "/health/", timeout=5) as answer:
            return answer.status == 200

    options = [
        f"--workers={workers}",
        "--preload",
        # Sync workers take a connection only when idle: a request never waits behind another one
        # while a worker is free (a keep-alive connection would stay with the worker that took it).
        "--worker-class=sync",
        f"--config={BENCH / 'gunicorn_dashboard.py'}",
        "--timeout=120",
        "--log-level=warning",
    ]
    env = {
        "DEBUG": "false",
        "STATIC_MANIFEST": "false",
        "API_THROTTLE_RATE": "100000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(app_dir),
        **(env or {}),
    }
    return Gunicorn(options, cwd=app_dir, env=env, ready=ready, wait=90)


def _ensure_snapshots(org, plan) -> None:
    """The year's snapshots, computed when the tenant has none for its last month."""
    from kpis.engine.recompute import snapshots_recompute
    from kpis.models import TeamMonthSnapshot

    if TeamMonthSnapshot.objects.for_org(org).filter(period_start=plan.last.first_day).exists():
        return
    print(f"Computing the snapshots of {plan.first} … {plan.last} …", flush=True)
    started = time.perf_counter()
    snapshots_recompute(org=org, months=plan.months)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def _reader(org):
    """An executive of the organization (e-mail, password) and a read API key: (user, key, secret)."""
    from django.contrib.auth import get_user_model

    from cxtracker.tenancy.models import Membership, Role
    from cxtracker.tenancy.services import api_key_create

    token = secrets.token_hex(4)
    email = f"bench-dashboard-{token}@example.invalid"
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    Membership.objects.create(user=user, organization=org, role=Role.EXECUTIVE)
    key, secret = api_key_create(org=org, name=f"bench-dashboard-{token}", scopes=["read"])
    return user, password, key, secret


def _pages(org, plan, secret: str) -> list[list]:
    """[name, path, headers] of every page a round requests."""
    from django.urls import reverse

    from cxtracker.tenancy.models import OrgUnit, UnitKind

    region = OrgUnit.objects.for_org(org).filter(kind=UnitKind.REGION).order_by("code").first()
    team = (
        OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM, path__startswith=region.path).order_by("code").first()
    )
    dashboard = reverse("dashboards:transformation", kwargs={"org": org.slug})
    span = f"from={plan.first}&to={plan.last}"
    return [
        ["dashboard organization", f"{dashboard}?{span}", {}],
        ["dashboard region", f"{dashboard}?unit={region.code}&{span}", {}],
        ["dashboard team", f"{dashboard}?unit={team.code}&{span}", {}],
        [
            "rates API",
            f"{reverse('api-rates')}?level=team&{span}",
            {"Authorization": f"Api-Key {secret}", "Accept-Language": "en"},
        ],
        ["health", reverse("health"), {}],
    ]


def _locust(
    url: str,
    *,
    pages,
    email,
    password,
    users: int,
    rounds: int,
    run_time: int,
    out: Path,
    stop_file: Path | None = None,
) -> None:
    """locust headless: ``users`` users make ``rounds`` rounds (0: until ``stop_file`` exists)."""
    env = {
        **os.environ,
        "BENCH_EMAIL": email,
        "BENCH_PASSWORD": password,
        "BENCH_REQUESTS": json.dumps(pages),
        "BENCH_ROUNDS": str(rounds),
        "BENCH_OUT": str(out),
    }
    if stop_file is not None:
        env["BENCH_STOP_FILE"] = str(stop_file)
    locust = Path(sys.executable).with_name("locust")
    command = [
        str(locust) if locust.exists() else "locust",
        "-f",
        str(BENCH / "locust_dashboard.py"),
        "--headless",
        f"--users={users}",
        f"--spawn-rate={users}",
        f"--run-time={run_time}s",
        f"--host={url}",
        "--only-summary",
        "--loglevel=WARNING",
        "--stop-timeout=30",
    ]
    with tempfile.TemporaryFile("w+") as log:
        done = subprocess.run(command, env=env, check=False, stdout=log, stderr=subprocess.STDOUT)
        if not out.exists():
            log.seek(0)
            print(log.read()[-4000:], file=sys.stderr)
            raise SystemExit(f"locust wrote no timings (exit status {done.returncode})")


def _session(url: str, email: str, password: str):
    """A urllib opener logged in through the login form (CSRF cookie and token)."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url + "/accounts/login/", timeout=60) as answer:
        answer.read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"username": email, "password": password, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(url + "/accounts/login/", data=data, headers={"Referer": url + "/accounts/login/"})
    with opener.open(request, timeout=60) as answer:
        answer.read()
    if not any(c.name == "sessionid" for c in jar):
        raise SystemExit("The benchmark's executive could not log in.")
    return opener


def _cold(url: str, pages, email: str, password: str, workers: int) -> dict:
    """Each page once, then once more from ``workers`` clients at a time (so that every worker has
    answered each page before the timed rounds): name → the very first answer's ms (cold caches)."""
    opener = _session(url, email, password)
    first = {}

    def get(opener, name, path, headers):
        started = time.perf_counter()
        with opener.open(urllib.request.Request(url + path, headers=headers), timeout=120) as answer:
            answer.read()
            if answer.status != 200:
                raise SystemExit(f"{name}: HTTP {answer.status}")
        return 1000 * (time.perf_counter() - started)

    for name, path, headers in pages:
        first[name] = get(opener, name, path, headers)
    openers = [opener, *(_session(url, email, password) for _ in range(workers - 1))]

    def warm(opener):
        for page in pages:
            get(opener, *page)

    threads = [threading.Thread(target=warm, args=(o,)) for o in openers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return first


def _report(times: dict, cold: dict) -> None:
    rows = []
    for name in [*DASHBOARD_PAGES, "rates API", "health"]:
        entries = times.get(name, [])
        ms = [t for t, status, *_ in entries if status == 200]
        failed = len(entries) - len(ms)
        if not ms:
            rows.append((name, 0, failed, None, None, None, None))
            continue
        rows.append(
            (name, len(ms), failed, statistics.median(ms), _percentile(ms, 95), max(ms), cold.get(name)),
        )
    print(f"{'':<24}{'requests':>9}{'failed':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cold ms':>9}")
    for name, n, failed, p50, p95, top, first in rows:
        cells = [f"{v:>9.0f}" if v is not None else f"{'—':>9}" for v in (p50, p95, top, first)]
        print(f"{name:<24}{n:>9}{failed:>8}{''.join(cells)}")
    dashboard = [t for name in DASHBOARD_PAGES for t, status, *_ in times.get(name, []) if status == 200]
    health = [t for t, status, *_ in times.get("health", []) if status == 200]
    timed = {name: entries for name, entries in times.items() if not name.startswith("login")}
    every = [t for entries in timed.values() for t, status, *_ in entries if status == 200]
    failures = sum(1 for entries in timed.values() for _t, status, *_ in entries if status != 200)
    if not dashboard or not health:
        raise SystemExit("No timed dashboard or health request answered 200.")
    if failures:
        print(f"{failures} requests failed (not in the figures)")
    print(f"dashboard p95: {_percentile(dashboard, 95):.0f} ms, health p95: {_percentile(health, 95):.1f} ms")
    print(f"dashboard p95/health p95: {_percentile(dashboard, 95) / _percentile(health, 95):.2f}")
    print(f"max: {max(every):.0f} ms")


# ---------------------------------------------------------------------------------------------
# --writes: observations streamed through the API, recomputed by a real Celery worker and beat

# The worker's log at INFO: a task's receipt (its success is logged at WARNING only, settings.LOGGING)
# and what went wrong.
TASK_RECEIVED = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}): [^\]]*\] Task (\S+)\[[^\]]+\] received", re.M)
# The reads that began this long after a recomputation are told apart (cold pages).
AFTER_SECONDS = 5
# How often the watcher reads the newest snapshot id (one indexed query).
WATCH_SECONDS = 0.25
WORKER_ERROR = re.compile(r"^\[[^\]]*(?:ERROR|CRITICAL)/[^\]]*\].*", re.M)


def _redis_check() -> str:
    """REDIS_URL, answering: the broker of the worker and beat that --writes needs."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        raise SystemExit(
            "--writes needs REDIS_URL (a Redis database of the benchmark's own, e.g. redis://127.0.0.1:6379/10): "
            "the broker of its Celery worker and beat, and the dashboards' cache. Without it the project "
            "recomputes in a thread of the web process, which is not what --writes measures."
        )
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        raise SystemExit(f"REDIS_URL ({url}) does not answer: {exc}") from None
    return url


def _ensure_current_month(org) -> None:
    """The current month's snapshots, as the nightly catch-up computes a month that has begun, and
    no mark left over (an earlier run stopped midway): the writes start from figures up to date."""
    from cxtracker.months import Month
    from kpis.engine.recompute import recompute_org, snapshots_recompute
    from kpis.models import ComputedPeriod, DirtyPeriod

    current = Month.of(org.today())
    if not ComputedPeriod.objects.for_org(org).filter(period_start=current.first_day).exists():
        print(f"Computing the snapshots of {current} (the current month: the writes' month) …", flush=True)
        snapshots_recompute(org=org, months=[current])
    if DirtyPeriod.objects.for_org(org).exists():
        print("Recomputing the dirty marks left over …", flush=True)
        recompute_org(org=org)


class _Process:
    """A Celery worker or beat of the benchmark, leading its own process group (a prefork worker's
    pool stops with it), its output in ``log``; started when ``ready_text`` is in its output."""

    def __init__(self, what: str, args: list[str], *, cwd: Path, env: dict, log: Path, ready_text: str, wait: int):
        self.what, self.log, self.stopped = what, log, False
        with log.open("w") as out:
            self.process = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + wait
        while ready_text not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"The Celery {what} did not start:\n{self.output()[-3000:]}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM to the group (a worker's warm shutdown finishes its task), SIGKILL to what is left
        after ``timeout``; once."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def _celery(*, app_dir: Path, env: dict, folder: Path, logs: Path, concurrency: int) -> tuple[_Process, _Process]:
    """A Celery worker (prefork, ``concurrency`` children) and beat (its schedule file in
    ``folder``), as in production (README: "Running with … a Celery worker and beat"); their
    output in ``logs``."""
    celery = Path(sys.executable).with_name("celery")
    base = [str(celery) if celery.exists() else "celery", "-A", "cxtracker"]
    env = {**os.environ, "PYTHONPATH": str(app_dir), "PYTHONUNBUFFERED": "1", **env}
    name = f"bench-dashboard-{secrets.token_hex(3)}"
    worker = _Process(
        "worker",
        [*base, "worker", "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO", f"--hostname={name}@%h"],
        cwd=app_dir,
        env=env,
        log=logs / "worker.log",
        ready_text=" ready.",
        wait=120,
    )
    try:
        beat = _Process(
            "beat",
            [
                *base,
                "beat",
                "--loglevel=INFO",
                f"--schedule={folder / 'celerybeat-schedule'}",
                f"--pidfile={folder / 'celerybeat.pid'}",
            ],
            cwd=app_dir,
            env=env,
            log=logs / "beat.log",
            ready_text="beat: Starting",
            wait=60,
        )
    except BaseException:
        worker.stop()
        raise
    return worker, beat


class _Sample:
    """A write that raises its team's coached members of the month by one: acknowledged at
    ``acked`` (time.time()), shown once the rates API answers ``expected`` or more (``seen``)."""

    __slots__ = ("acked", "expected", "seen", "team")

    def __init__(self, team: str, expected: int, acked: float):
        self.team, self.expected, self.acked, self.seen = team, expected, acked, None


class _Writes:
    """The writer and the watcher of ``--writes``.

    The writer POSTs one observation at a time to /api/v1/observations/ with a write API key, ``rate``
    a second on a fixed schedule (a pool of threads: a slow answer does not delay the next write),
    observed now, for a member of a random team, with a rating of every behavior of the active model.

    A sampled write is the first of a member in the month (a *fresh* member: active, not observed
    this month before): its team's ``coached_members`` of the month, which the rates API reads from
    the snapshots, grows by one once a recomputation counts it. While sampling, every write of a
    team that still has fresh members is of one of them, and the team's count of fresh writes sent
    is what the rates API must answer for the write to be counted: a recomputation that does not
    see the write sees none committed after it, so it answers less. A write that fails takes its
    team out of the samples (its count may never be reached).

    The watcher reads the organization's newest snapshot id (``dashboards.caching.snapshots_version``,
    what every cached answer is keyed on) every WATCH_SECONDS: each change is a recomputation.
    After each one, while samples wait, it reads every team's figures of the month from the rates
    API (``?level=team&from=M&to=M``, read key: one request of up to 1,000 teams); an answer that
    shows a sample ends its staleness. While a sample waits past the debounce and a minute, the
    figures are read again every 15 s."""

    def __init__(self, *, url: str, org, write_secret: str, read_secret: str, rate: float, prefix: str, seed: int):
        from cxtracker.months import Month
        from cxtracker.tenancy.models import Member
        from deployment.models import Observation
        from experience.models import Behavior

        self.url, self.org, self.rate = url, org, rate
        self.org_id = org.pk
        self.tz = org.tzinfo
        self.month = Month.of(org.today())
        self.write_headers = {"Authorization": f"Api-Key {write_secret}", "Content-Type": "application/json"}
        self.read_headers = {"Authorization": f"Api-Key {read_secret}", "Accept-Language": "en"}
        self.prefix = prefix
        self.rng = random.Random(seed)
        today = org.today()
        start, _ = self.month.bounds(self.tz)
        observed = set(
            Observation.objects.for_org(org).filter(observed_at__gte=start).values_list("member_id", flat=True)
        )
        members = (
            Member.objects.for_org(org)
            .filter(active_to__isnull=True, active_from__lte=today)
            .values_list("pk", "code", "team__code")
        )
        self.members: dict[str, list[str]] = {}
        self.fresh: dict[str, list[str]] = {}
        for pk, code, team in members:
            self.members.setdefault(team, []).append(code)
            if pk not in observed:
                self.fresh.setdefault(team, []).append(code)
        for codes in self.fresh.values():
            self.rng.shuffle(codes)
        self.teams = sorted(self.members)
        self.behaviors = list(
            Behavior.objects.for_org(org).filter(model__is_active=True).order_by("code").values_list("code", flat=True)
        )
        self.polls = 0
        self.baseline = self._coached_all()
        self.sent_fresh: dict[str, int] = dict.fromkeys(self.teams, 0)
        self.in_flight: dict[str, int] = dict.fromkeys(self.teams, 0)
        self.unreliable: set[str] = set()
        self.samples: list[_Sample] = []
        self.dropped = 0
        self.sampling = True
        self.writes: list[tuple[float, float, object]] = []  # (acknowledged at, ms, status)
        self.errors: list[str] = []
        self.recomputations: list[float] = []  # time.time() of each snapshot change seen
        self._lock = threading.Lock()
        self._stop_writing = threading.Event()
        self._stop_watching = threading.Event()
        self._threads = [
            threading.Thread(target=self._write_loop, name="bench-writer", daemon=True),
            threading.Thread(target=self._watch_loop, name="bench-watcher", daemon=True),
        ]

    # The rates API --------------------------------------------------------------------------

    def _get(self, path: str) -> dict:
        request = urllib.request.Request(self.url + path, headers=self.read_headers)
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.loads(answer.read())

    def _rates_path(self) -> str:
        return f"/api/v1/rates/?level=team&from={self.month}&to={self.month}&page_size=1000"

    def _coached_all(self) -> dict[str, int]:
        """Every team's coached members of the month, as the rates API answers (1,000 teams a page)."""
        coached, path = {}, self._rates_path()
        while path:
            self.polls += 1
            page = self._get(path)
            for row in page["results"]:
                coached[row["unit"]] = row["coached_members"] or 0
            path = page.get("next")
            if path:
                path = path.removeprefix(self.url)
        return coached

    # The writer -----------------------------------------------------------------------------

    def _next(self) -> tuple[str, str, bool]:
        """(team, member code, fresh) of the next write; a fresh write is counted as sent."""
        with self._lock:
            calm = [t for t in self.teams if not self.in_flight[t]] or self.teams
            team = self.rng.choice(calm)
            self.in_flight[team] += 1
            fresh = self.fresh.get(team)
            if self.sampling and fresh:
                self.sent_fresh[team] += 1
                return team, fresh.pop(), team not in self.unreliable
            return team, self.rng.choice(self.members[team]), False

    def _write(self, number: int, team: str, member: str, sample: bool) -> None:
        body = {
            "member": member,
            "observed_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "kind": "coaching" if self.rng.random() < 0.3 else "observation",
            "ratings": [{"behavior": b, "level": self.rng.randint(1, 4)} for b in self.behaviors],
            "external_id": f"{self.prefix}{number}",
        }
        request = urllib.request.Request(
            self.url + "/api/v1/observations/", data=json.dumps(body).encode(), headers=self.write_headers
        )
        started, detail = time.perf_counter(), ""
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                answer.read()
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            detail = exc.read()[:300].decode(errors="replace")
        except OSError as exc:
            status, detail = f"error: {exc}", ""
        ms = 1000 * (time.perf_counter() - started)
        acked = time.time()
        with self._lock:
            self.in_flight[team] -= 1
            self.writes.append((acked, ms, status))
            if status != 201:
                self.errors.append(f"{member}: {status} {detail}".strip())
                self.unreliable.add(team)
                waiting = [s for s in self.samples if s.team == team and s.seen is None]
                self.dropped += len(waiting)
                self.samples = [s for s in self.samples if not (s.team == team and s.seen is None)]
            elif sample and team not in self.unreliable:
                self.samples.append(_Sample(team, self.baseline.get(team, 0) + self.sent_fresh[team], acked))

    def _write_loop(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="bench-write") as pool:
            started, number = time.monotonic(), 0
            while True:
                delay = started + number / self.rate - time.monotonic()
                if self._stop_writing.wait(max(0.0, delay)):
                    break
                pool.submit(self._write, number, *self._next())
                number += 1

    # The watcher ----------------------------------------------------------------------------

    def _version(self) -> int:
        from dashboards.caching import snapshots_version

        return snapshots_version(self.org)

    def _watch_loop(self) -> None:
        from django.db import connection

        try:
            version, asked = self._version(), 0.0
            while not self._stop_watching.wait(WATCH_SECONDS):
                now = time.time()
                latest = self._version()
                with self._lock:
                    waiting = [s for s in self.samples if s.seen is None]
                changed = latest != version
                if changed:
                    version = latest
                    self.recomputations.append(now)
                overdue = any(s.acked < now - self.debounce - 60 for s in waiting) and now - asked > 15
                if not waiting or not (changed or overdue):
                    continue
                coached = self._coached_all()
                asked = time.time()
                with self._lock:
                    for s in self.samples:
                        if s.seen is None and s.expected <= coached.get(s.team, 0):
                            s.seen = asked
        finally:
            connection.close()

    # The run --------------------------------------------------------------------------------

    def start(self, debounce: int) -> None:
        self.debounce = debounce
        self.started = time.time()
        for thread in self._threads:
            thread.start()

    def waiting(self) -> int:
        with self._lock:
            return sum(1 for s in self.samples if s.seen is None)

    def stop_writing(self) -> None:
        self._stop_writing.set()
        self._threads[0].join()

    def stop_watching(self) -> None:
        self._stop_watching.set()
        self._threads[1].join()


def _run_writes(args, *, url: str, pages, user, password: str, org, write_secret: str, read_secret: str, prefix: str):
    """Readers, writer and watcher together, until ``--recomputations`` recomputations and every
    sample shown (bounded): (locust's times, the _Writes)."""
    writes = _Writes(
        url=url,
        org=org,
        write_secret=write_secret,
        read_secret=read_secret,
        rate=args.writes,
        prefix=prefix,
        seed=args.seed,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out, stop_file = Path(tmp) / "times.json", Path(tmp) / "stop"
        failure: list[BaseException] = []

        def readers():
            try:
                _locust(
                    url,
                    pages=pages,
                    email=user.email,
                    password=password,
                    users=args.users,
                    rounds=0,
                    run_time=args.run_time + args.debounce + 240,
                    out=out,
                    stop_file=stop_file,
                )
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)

        locust = threading.Thread(target=readers, name="bench-locust")
        locust.start()
        writes.start(args.debounce)
        print(
            f"Writing {args.writes:g} observations/s into {writes.month} ({len(writes.teams)} teams, "
            f"{sum(map(len, writes.fresh.values())):,} members not yet observed this month) while "
            f"{args.users} users read; waiting for {args.recomputations} recomputations …",
            flush=True,
        )
        deadline = time.monotonic() + args.run_time
        seen = 0
        try:
            while len(writes.recomputations) < args.recomputations and time.monotonic() < deadline:
                if not locust.is_alive():
                    raise SystemExit(f"locust stopped before the writes were measured: {failure or 'no error'}")
                time.sleep(1)
                if len(writes.recomputations) > seen:
                    seen = len(writes.recomputations)
                    print(
                        f"  recomputation {seen} at +{writes.recomputations[-1] - writes.started:.0f} s: "
                        f"{len(writes.writes):,} writes answered, {writes.waiting()} samples waiting",
                        flush=True,
                    )
            # No new sample; the writes and the reads go on until every sample is shown.
            writes.sampling = False
            grace = time.monotonic() + args.debounce + 120
            while writes.waiting() and time.monotonic() < grace and locust.is_alive():
                time.sleep(1)
        finally:
            stop_file.touch()
            writes.stop_writing()
            writes.stop_watching()
            locust.join()
        if failure:
            raise failure[0]
        times = json.loads(out.read_text())
    return times, writes


def _report_writes(writes: _Writes, worker_log: str, times: dict, *, debounce: int, load_start, load_end) -> None:
    answered = [(ms, status) for _at, ms, status in writes.writes]
    ok = [ms for ms, status in answered if status == 201]
    span = (writes.writes[-1][0] - writes.started) if writes.writes else 0
    print(
        f"writes: {len(ok):,} acknowledged, {len(answered) - len(ok)} failed "
        f"({len(answered) / span if span else 0:.2f}/s over {span:.0f} s)"
        + (
            f", answered in p50 {statistics.median(ok):.0f} ms, p95 {_percentile(ok, 95):.0f} ms, max {max(ok):.0f} ms"
            if ok
            else ""
        )
    )
    for error in writes.errors[:5]:
        print(f"  failed: {error}")
    received: dict[str, list[float]] = {}
    for m in TASK_RECEIVED.finditer(worker_log):
        moment = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
        received.setdefault(m.group(3), []).append(moment)
    tasks = received.get("kpis.engine.tasks.recompute_org_task", [])
    # A recomputation's time: from its task's receipt to the new snapshots seen (±0.5 s).
    took = [c - max(r for r in tasks if r <= c) for c in writes.recomputations if any(r <= c for r in tasks)]
    print(
        f"recomputations: {len(writes.recomputations)} (new snapshots seen; the worker received "
        f"{len(received.get('kpis.engine.tasks.recompute_due_task', []))} sweeps and {len(tasks)} recompute_org_task"
        + (f"; receipt to new snapshots p50 {statistics.median(took):.1f} s, max {max(took):.1f} s)" if took else ")")
    )
    for problem in WORKER_ERROR.findall(worker_log)[:5]:
        print(f"  worker: {problem[:200]}")
    shown = [s.seen - s.acked for s in writes.samples if s.seen is not None]
    waiting = sum(1 for s in writes.samples if s.seen is None)
    print(
        f"samples: {len(writes.samples)} writes of a member's first observation of the month, {len(shown)} shown, "
        f"{waiting} still waiting at the end, {writes.dropped} dropped (a failed write in their team); "
        f"{writes.polls} rates API reads"
    )
    if shown:
        print(
            f"stale p95: {_percentile(shown, 95):.0f} s (p50 {statistics.median(shown):.0f} s, "
            f"max {max(shown):.0f} s; target ≤ debounce + 60 = {debounce + 60} s)"
        )
    else:
        print("stale p95: — (no sampled write was shown)")
    # The reads around a recomputation: it gives every cached answer a new key (the newest snapshot
    # id), so the first pages after it are computed again.
    marks = writes.recomputations
    reads = [
        (end - ms / 1000, ms, name)
        for name, entries in times.items()
        if not name.startswith("login")
        for ms, status, end in entries
        if status == 200
    ]

    def nearest(began: float) -> tuple[int, float] | None:
        return min(((k, began - m) for k, m in enumerate(marks, 1)), key=lambda km: abs(km[1]), default=None)

    near = [ms for began, ms, _name in reads if (n := nearest(began)) and -1 <= n[1] <= AFTER_SECONDS]
    far = [ms for began, ms, _name in reads if not ((n := nearest(began)) and -1 <= n[1] <= AFTER_SECONDS)]
    for what, ms in ((f"beginning 1 s before to {AFTER_SECONDS} s after a recomputation", near), ("the others", far)):
        if ms:
            print(f"reads {what}: {len(ms):,}, p95 {_percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms")
    cells = []
    for began, ms, name in sorted(reads, key=lambda r: -r[1])[:5]:
        n = nearest(began)
        where = f"{n[1]:+.1f} s from recomputation {n[0]}" if n else "no recomputation"
        cells.append(f"{name} {ms:.0f} ms (+{began - writes.started:.0f} s, {where})")
    print("slowest reads: " + "; ".join(cells))
    print(
        "load average (1, 5, 15 min): start {:.1f} {:.1f} {:.1f}, end {:.1f} {:.1f} {:.1f}".format(
            *load_start, *load_end
        )
    )


def _writes_remove(org, prefix: str) -> None:
    """Take the benchmark's observations out of a kept tenant, and recompute their months: the
    tenant is left as it was."""
    from cxtracker.months import Month
    from deployment.models import Observation
    from kpis.engine.recompute import snapshots_recompute
    from kpis.models import DirtyPeriod

    written = Observation.objects.for_org(org).filter(external_id__startswith=prefix)
    months = {Month.of(moment, org.tzinfo) for moment in written.values_list("observed_at", flat=True)}
    if not months and not DirtyPeriod.objects.for_org(org).exists():
        return
    print(f"Removing the {written.count():,} observations written, recomputing {', '.join(map(str, sorted(months)))} …")
    written.delete()
    if months:
        snapshots_recompute(org=org, months=sorted(months))
    DirtyPeriod.objects.for_org(org).delete()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of SPEC §7's tenant (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the tenant, and reuse a kept one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--users", type=int, help="concurrent locust users (default 2; with --writes 4 per gunicorn worker)"
    )
    parser.add_argument("--rounds", type=int, default=30, help="rounds per user (default 30; not with --writes)")
    parser.add_argument(
        "--run-time", type=int, help="stop after this many seconds (default 600; with --writes 900, then the samples)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout of cxtracker to serve")
    parser.add_argument("--save-times", type=Path, help="write every request's time (JSON) there")
    parser.add_argument(
        "--writes",
        type=float,
        default=0,
        metavar="R",
        help="meanwhile write R observations a second through the API, recomputed by a Celery worker and beat "
        "(needs REDIS_URL)",
    )
    parser.add_argument("--debounce", type=int, default=10, help="RECOMPUTE_DEBOUNCE_SECONDS with --writes (10)")
    parser.add_argument(
        "--recomputations", type=int, default=5, help="with --writes: run until this many recomputations (5)"
    )
    parser.add_argument("--concurrency", type=int, default=1, help="the Celery worker's prefork children (1)")
    parser.add_argument("--celery-logs", type=Path, help="with --writes: keep the worker's and beat's logs there")
    args = parser.parse_args(argv)
    if args.users is None:
        args.users = 4 * args.workers if args.writes else 2
    if args.run_time is None:
        args.run_time = 900 if args.writes else 600
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: the benchmark is about PostgreSQL.")
    if args.writes:
        _redis_check()
        if args.users < 4 * args.workers:
            print(f"Note: {args.users} users for {args.workers} workers; --writes is meant with 4 per worker or more.")
    rates = _rates_module()
    rates._django()
    from django.core.management import call_command

    from cxtracker.months import Month

    call_command("migrate", verbosity=0, interactive=False)
    slug = rates._slug(args.scale)
    org = rates._kept_org(slug) if args.keep else None
    if org is not None:
        plan = rates.Plan(args.scale, rates._first_month(org))
        print(f"Reusing {org.slug} ({plan.first} … {plan.last})", flush=True)
    else:
        tz = zoneinfo.ZoneInfo(rates.TZ_NAME)
        plan = rates.Plan(args.scale, Month.of(datetime.datetime.now(tz)).shift(-rates.MONTHS))
        building = f"bench-dashboard-tmp-{secrets.token_hex(4)}"
        print(
            f"Building {building} at scale {args.scale:g}: {plan.teams:,} teams, {plan.members:,} members", flush=True
        )
        try:
            org = rates._build(plan, building, args.seed)
        except BaseException:
            from cxtracker.tenancy.models import Organization

            stale = Organization.objects.filter(slug=building).values_list("pk", flat=True).first()
            if stale:
                rates._drop_org(stale)
            raise
        if args.keep:
            org.slug = slug
            org.save(update_fields=["slug"])
    user = key = server = write_key = None
    celery: tuple = ()
    prefix = f"bench-dashboard-{secrets.token_hex(4)}-"
    folder = tempfile.TemporaryDirectory()
    logs = Path(folder.name)
    if args.celery_logs:
        logs = args.celery_logs
        logs.mkdir(parents=True, exist_ok=True)
    try:
        _ensure_snapshots(org, plan)
        if args.writes:
            _ensure_current_month(org)
        user, password, key, secret = _reader(org)
        pages = _pages(org, plan, secret)
        if os.environ.get("REDIS_URL"):
            from django.core.cache import cache

            cache.clear()  # the benchmark's own Redis database: the first answers are cold
        app_dir = args.app_dir.resolve()
        env = {}
        if args.writes:
            from cxtracker.tenancy.services import api_key_create

            write_key, write_secret = api_key_create(org=org, name=f"{prefix}writer", scopes=["write"])
            env = {"RECOMPUTE_DEBOUNCE_SECONDS": str(args.debounce)}
            celery = _celery(
                app_dir=app_dir, env=env, folder=Path(folder.name), logs=logs, concurrency=args.concurrency
            )
        server = _server(workers=args.workers, app_dir=app_dir, env=env)
        print(
            f"gunicorn ({args.workers} workers, --preload) on {server.url}, {org.slug}: {plan.teams:,} teams; "
            + (
                f"{args.users} users reading rounds of {len(pages)} requests; Celery worker "
                f"(prefork, {args.concurrency}) and beat on {os.environ['REDIS_URL']}, debounce {args.debounce} s"
                if args.writes
                else f"{args.users} users × {args.rounds} rounds of {len(pages)} requests"
            ),
            flush=True,
        )
        cold = _cold(server.url, pages, user.email, password, args.workers)
        if args.writes:
            load_start = os.getloadavg()
            times, writes = _run_writes(
                args,
                url=server.url,
                pages=pages,
                user=user,
                password=password,
                org=org,
                write_secret=write_secret,
                read_secret=secret,
                prefix=prefix,
            )
            load_end = os.getloadavg()
            for process in reversed(celery):
                process.stop()
            worker_log = celery[0].output()
        else:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "times.json"
                _locust(
                    server.url,
                    pages=pages,
                    email=user.email,
                    password=password,
                    users=args.users,
                    rounds=args.rounds,
                    run_time=args.run_time,
                    out=out,
                )
                times = json.loads(out.read_text())
        if args.save_times:
            args.save_times.write_text(json.dumps(times))
        _report(times, cold)
        if args.writes:
            _report_writes(writes, worker_log, times, debounce=args.debounce, load_start=load_start, load_end=load_end)
    finally:
        if server is not None:
            server.stop()
        for process in reversed(celery):
            process.stop()
        folder.cleanup()
        if key is not None:
            key.delete()
        if write_key is not None:
            write_key.delete()
        if user is not None:
            user.delete()
        if not args.keep:
            print("Dropping the organization …", flush=True)
            rates._drop_org(org.pk)
        elif args.writes:
            _writes_remove(org, prefix)


if __name__ == "__main__":
    main()
