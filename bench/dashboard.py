"""Dashboard benchmark: the executive transformation dashboard and the rates API on the SPEC §7 target
tenant, under load, beside the same server's health check.

    DATABASE_URL=postgres://... python bench/dashboard.py              # build the tenant, measure, drop it
    DATABASE_URL=postgres://... python bench/dashboard.py --keep       # keep the tenant; reuse a kept one
    DATABASE_URL=postgres://... python bench/dashboard.py --scale 0.1  # a tenth of everything, quick

The tenant is bench/rates.py's (10 regions, 50 business units, 1,000 teams, 10,000 members, a
year of observations and 2 million survey responses, loaded with COPY); ``--keep`` reuses the one
``bench/rates.py --keep`` left (same ``--scale``). Its snapshots are computed when missing.

The script serves cxtracker with gunicorn on a free loopback port (2 sync workers, ``--preload``,
bench/gunicorn_dashboard.py's start-up warming, ``DEBUG=false``, the cache in ``REDIS_URL``'s
Redis when it is set: give it a database of its own, it is emptied first), creates an executive
and a read API key, and runs locust headless (bench/locust_dashboard.py): ``--users`` users
(default 2, one per worker: both workers are always busy, and a sync worker takes a connection
only when idle, so a request does not wait behind another one), each logged in through the login
form, make ``--rounds`` rounds of, in an order of their own:

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
"""

import argparse
import datetime
import importlib.util
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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


def _server(*, workers: int, app_dir: Path) -> Gunicorn:
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


def _locust(url: str, *, pages, email, password, users: int, rounds: int, run_time: int, out: Path) -> None:
    env = {
        **os.environ,
        "BENCH_EMAIL": email,
        "BENCH_PASSWORD": password,
        "BENCH_REQUESTS": json.dumps(pages),
        "BENCH_ROUNDS": str(rounds),
        "BENCH_OUT": str(out),
    }
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of SPEC §7's tenant (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the tenant, and reuse a kept one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=2, help="concurrent locust users (default 2)")
    parser.add_argument("--rounds", type=int, default=30, help="rounds per user (default 30)")
    parser.add_argument("--run-time", type=int, default=600, help="stop after this many seconds (default 600)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout of cxtracker to serve")
    parser.add_argument("--save-times", type=Path, help="write every request's time (JSON) there")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: the benchmark is about PostgreSQL.")
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
    user = key = server = None
    try:
        _ensure_snapshots(org, plan)
        user, password, key, secret = _reader(org)
        pages = _pages(org, plan, secret)
        if os.environ.get("REDIS_URL"):
            from django.core.cache import cache

            cache.clear()  # the benchmark's own Redis database: the first answers are cold
        server = _server(workers=args.workers, app_dir=args.app_dir.resolve())
        print(
            f"gunicorn ({args.workers} workers, --preload) on {server.url}, {org.slug}: {plan.teams:,} teams; "
            f"{args.users} users × {args.rounds} rounds of {len(pages)} requests",
            flush=True,
        )
        cold = _cold(server.url, pages, user.email, password, args.workers)
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
    finally:
        if server is not None:
            server.stop()
        if key is not None:
            key.delete()
        if user is not None:
            user.delete()
        if not args.keep:
            print("Dropping the organization …", flush=True)
            rates._drop_org(org.pk)


if __name__ == "__main__":
    main()
