"""Ingestion benchmark: bulk writes through the REST API against PostgreSQL's COPY of the same rows.

    DATABASE_URL=postgres://... python bench/ingest.py                      # survey responses
    DATABASE_URL=postgres://... python bench/ingest.py --kind observations  # observations + ratings
    python bench/ingest.py --url http://127.0.0.1:8000 --key cxt_...   # against a running server

``--kind surveys`` pushes ``--count`` survey responses (default 100,000) to
``/api/v1/survey-responses/``; ``--kind observations`` pushes ``--count`` observations (default
20,000) of 5 ratings each to ``/api/v1/observations/``. Both go in bulk requests of ``--batch``
(1,000) over keep-alive connections; then the benchmark deletes them and loads the very same rows
with ``COPY`` (for observations: the observations, then their ratings, with the denormalized
member and date, in one transaction), and prints both rates and their ratio, in items per second
(an observation with its ratings is one item on both sides). Within a run, API and COPY take turns
on ``--slices`` (5) slices of the rows, so that both meet the same load on a shared machine (the
rows of each turn are deleted before the next). ``--runs N`` repeats the run N times on the same
organization and prints every run and the median.

Without ``--key`` it creates a throwaway organization (teams, members, an active experience model
of 25 behaviors, an observer, a write API key) in the DATABASE_URL database, serves it with
gunicorn (2 workers) on a free local port, and removes everything at the end. With ``--key`` the
organization is the key's (with teams, and for observations members, an active model and
``--observer``); only the rows the benchmark wrote are removed. Either way it needs DATABASE_URL:
COPY writes to the database directly.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
TEAMS = 20
MEMBERS_PER_TEAM = 10
DIMENSIONS, BEHAVIORS_PER_DIMENSION = 5, 5
RATINGS_PER_OBSERVATION = 5
OBSERVER = "bench-observer@example.com"
KINDS = {
    # kind: (endpoint, default count, what an item is called, target ratio)
    "surveys": ("/api/v1/survey-responses/", 100_000, "survey responses", 0.30),
    "observations": ("/api/v1/observations/", 20_000, "observations", 0.20),
}
OBSERVATION_COLUMNS = (
    "id",
    "organization_id",
    "member_id",
    "observer_id",
    "observed_at",
    "kind",
    "model_id",
    "strengths",
    "development_points",
    "next_step",
    "next_step_on",
    "next_step_done",
    "external_id",
    "created_at",
    "updated_at",
)
RATING_COLUMNS = ("organization_id", "observation_id", "behavior_id", "level", "member_id", "observed_at")


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxtracker.settings")
    import django

    django.setup()


def _survey_rows(count: int, team_codes: list[str], run: str) -> list[dict]:
    """Realistic survey responses of the last year, spread over the teams, reproducible."""
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    channels, journeys, segments = (
        ["store", "web", "phone", "chat"],
        ["purchase", "after-sales", "delivery"],
        [
            "loyalty-gold",
            "loyalty-silver",
            "new",
            "",
        ],
    )
    rows = []
    for i in range(count):
        row = {
            "external_id": f"bench-{run}-{i:07d}",
            "unit": team_codes[i % len(team_codes)],
            "responded_at": (now - timedelta(minutes=rng.randrange(60, 525_600))).isoformat(),
            "nps": rng.randint(0, 10),
            "channel": rng.choice(channels),
            "journey": rng.choice(journeys),
            "trigger": rng.choice(["event", "periodic"]),
            "segment": rng.choice(segments),
            "comment": rng.choice(["", "Très bon accueil", "Attente trop longue en caisse", "RAS"]),
        }
        if rng.random() < 0.7:
            row["csat"] = rng.randint(1, 5)
        if rng.random() < 0.5:
            row["ces"] = rng.randint(1, 7)
        if rng.random() < 0.3:
            row["aspects"] = {"accueil": rng.randint(1, 5), "conseil": rng.randint(1, 5)}
        rows.append(row)
    return rows


def _observation_rows(count: int, member_codes: list[str], behavior_codes: list[str], observer, run: str):
    """Observations of the last year (SPEC §8 shape), 5 ratings each, reproducible."""
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    paris = dt.timezone(timedelta(hours=1))
    rows = []
    for i in range(count):
        observed_at = (now - timedelta(minutes=rng.randrange(60, 525_600))).astimezone(paris)
        coaching = rng.random() < 0.4
        row = {
            "external_id": f"bench-{run}-{i:07d}",
            "member": member_codes[i % len(member_codes)],
            "observed_at": observed_at.isoformat(),
            "kind": "coaching" if coaching else "observation",
            "ratings": [
                {"behavior": code, "level": rng.randint(1, 4)}
                for code in rng.sample(behavior_codes, RATINGS_PER_OBSERVATION)
            ],
            "strengths": rng.choice(["", "Accueil chaleureux", "Connaît bien les produits"]),
            "development_points": rng.choice(["", "Reformuler la demande", "Proposer un service"]),
            "next_step": "Reformuler avant de conseiller" if coaching else "",
            "next_step_on": (observed_at + timedelta(days=14)).date().isoformat() if coaching else None,
        }
        if observer:
            row["observer"] = observer
        rows.append(row)
    return rows


def _server(workers: int, warm: bool = True) -> Gunicorn:
    """gunicorn with this checkout's app, ready when its port takes a connection."""

    def ready(url):
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1):
            return True

    options = [
        f"--workers={workers}",
        "--worker-class=gthread",
        "--threads=1",
        *([f"--config={ROOT / 'bench' / 'gunicorn_bench.py'}"] if warm else []),
        "--keep-alive=30",
        "--timeout=120",
        "--log-level=warning",
    ]
    # The benchmark measures ingestion, not the per-key throttle.
    env = {"DEBUG": "false", "STATIC_MANIFEST": "false", "API_THROTTLE_RATE": "100000/min", "LOG_LEVEL": "WARNING"}
    return Gunicorn(options, cwd=ROOT, env=env, ready=ready, wait=60)


def _push(url: str, key: str, endpoint: str, bodies: list[bytes], concurrency: int) -> tuple[float, dict]:
    """POST every body, ``concurrency`` keep-alive connections in parallel; (seconds, totals)."""
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path.rstrip("/") + endpoint
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    totals = {"created": 0, "duplicates": 0, "rejected": 0, "failed_requests": 0}
    lock = threading.Lock()
    queue = list(enumerate(bodies))
    errors: list[str] = []

    def work():
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                _index, body = queue.pop(0)
            for attempt in range(2):
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    break
                except (http.client.HTTPException, OSError):
                    # The server closed an idle keep-alive connection: reconnect once.
                    conn.close()
                    conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=120)
                    if attempt:
                        raise
            with lock:
                if response.status != 200:
                    totals["failed_requests"] += 1
                    errors.append(f"{response.status}: {payload[:300]!r}")
                    continue
                result = json.loads(payload)
                for name in ("created", "duplicates", "rejected"):
                    totals[name] += result[name]
                if result["rejected"] and len(errors) < 5:
                    rejected = [r for r in result["results"] if r["status"] == "rejected"]
                    errors.append(json.dumps(rejected[:2]))
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for error in errors[:5]:
        print("  error:", error, file=sys.stderr)
    return elapsed, totals


def _connect():
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"]
    )


def _copy_surveys(org_id: int, ctx: dict, rows: list[dict]) -> float:
    """COPY the rows into the survey table, in one transaction; the seconds it took."""
    from kpis.ingest import SURVEY_RESPONSE_COLUMNS

    unit_ids = ctx["teams"]
    now = datetime.now(UTC)
    records = [
        (
            org_id,
            r["external_id"],
            unit_ids[r["unit"]],
            datetime.fromisoformat(r["responded_at"]),
            r.get("nps"),
            r.get("ces"),
            r.get("csat"),
            r["channel"],
            r["journey"],
            r["trigger"],
            r["segment"],
            r["comment"],
            json.dumps(r.get("aspects", {})),
            "",  # respondent_hash
            now,
        )
        for r in rows
    ]
    with _connect() as conn:
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY kpis_surveyresponse ({', '.join(SURVEY_RESPONSE_COLUMNS)}, created_at) FROM STDIN") as copy,
        ):
            for record in records:
                copy.write_row(record)
        conn.commit()
        return time.perf_counter() - started


def _copy_observations(org_id: int, ctx: dict, rows: list[dict]) -> float:
    """COPY the observations, then their ratings (observation ids drawn from the table's sequence,
    member and observed_at copied onto each rating), in one transaction; the seconds it took.

    The rows are turned into tuples beforehand, as for the surveys: the time is the database's."""
    members, behaviors, model_id, observer_id = ctx["members"], ctx["behaviors"], ctx["model_id"], ctx["observer_id"]
    now = datetime.now(UTC)
    observations, ratings = [], []
    for r in rows:
        member_id = members[r["member"]]
        observed_at = datetime.fromisoformat(r["observed_at"])
        next_step_on = dt.date.fromisoformat(r["next_step_on"]) if r["next_step_on"] else None
        observations.append(
            (
                org_id,
                member_id,
                observer_id if r.get("observer") else None,
                observed_at,
                r["kind"],
                model_id,
                r["strengths"],
                r["development_points"],
                r["next_step"],
                next_step_on,
                False,
                r["external_id"],
                now,
                now,
            )
        )
        ratings.append([(org_id, behaviors[x["behavior"]], x["level"], member_id, observed_at) for x in r["ratings"]])
    with _connect() as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('deployment_observation', 'id')) FROM generate_series(1, %s)",
                [len(observations)],
            )
            ids = [row[0] for row in cur.fetchall()]
            with cur.copy(f"COPY deployment_observation ({', '.join(OBSERVATION_COLUMNS)}) FROM STDIN") as copy:
                for pk, record in zip(ids, observations, strict=True):
                    copy.write_row((pk, *record))
            with cur.copy(f"COPY deployment_rating ({', '.join(RATING_COLUMNS)}) FROM STDIN") as copy:
                for pk, records in zip(ids, ratings, strict=True):
                    for org, behavior_id, level, member_id, observed_at in records:
                        copy.write_row((org, pk, behavior_id, level, member_id, observed_at))
        conn.commit()
        return time.perf_counter() - started


def _experience_model_json() -> dict:
    return {
        "name": "Benchmark model",
        "dimensions": [
            {
                "code": f"dim-{d}",
                "name": f"Dimension {d}",
                "behaviors": [
                    {"code": f"beh-{d}-{b}", "name": f"Behavior {d}.{b}"} for b in range(BEHAVIORS_PER_DIMENSION)
                ],
            }
            for d in range(DIMENSIONS)
        ],
    }


def _throwaway_org():
    from django.db import transaction

    with transaction.atomic():
        return _throwaway_org_create()


def _throwaway_org_create():
    from django.contrib.auth import get_user_model

    from cxtracker.tenancy.models import Member, Membership, Organization, OrgUnit, Role, UnitKind
    from cxtracker.tenancy.services import api_key_create
    from experience.services import experience_model_create_from_json

    slug = f"bench-{secrets.token_hex(4)}"
    org = Organization.objects.create(slug=slug, name=f"Benchmark {slug}")
    region = OrgUnit.objects.create(organization=org, code="BR", name="Bench region", kind=UnitKind.REGION)
    bu = OrgUnit.objects.create(
        organization=org, code="BB", name="Bench BU", kind=UnitKind.BUSINESS_UNIT, parent=region
    )
    members = []
    for n in range(TEAMS):
        team = OrgUnit.objects.create(
            organization=org, code=f"BT{n:02d}", name=f"Bench team {n}", kind=UnitKind.TEAM, parent=bu
        )
        members += [
            Member(
                organization=org,
                team=team,
                code=f"BM{n:02d}{m:02d}",
                name=f"Bench member {n}.{m}",
                active_from=dt.date(2020, 1, 1),
            )
            for m in range(MEMBERS_PER_TEAM)
        ]
    Member.objects.bulk_create(members)
    experience_model_create_from_json(org=org, data=_experience_model_json(), activate=True)
    email = f"{slug}-{OBSERVER}"
    user = get_user_model().objects.create_user(username=email, email=email)
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    _key, raw_key = api_key_create(org=org, name="benchmark", scopes=["write"])
    return org, raw_key, user


def _drop_org(org, user) -> None:
    from django.db import transaction

    from cxtracker.tenancy.models import Member, OrgUnit
    from experience.models import ExperienceModel, ExperienceModelActivation

    with transaction.atomic():
        _delete_rows(org, prefix="")
        Member.objects.for_org(org).delete()
        # The activation history protects its versions.
        ExperienceModelActivation.objects.for_org(org).delete()
        ExperienceModel.objects.for_org(org).delete()
        # Units protect their children: leaves first.
        for unit in OrgUnit.objects.for_org(org).order_by("-depth"):
            unit.delete()
        org.delete()
        if user is not None:
            user.delete()


def _delete_rows(org, prefix: str) -> None:
    from django.db import connection

    from kpis.models import SurveyResponse

    SurveyResponse.objects.for_org(org).filter(external_id__startswith=prefix).delete()
    with connection.cursor() as cursor:
        # Plain SQL: the ORM's cascade would load hundreds of thousands of ratings to delete them.
        cursor.execute(
            "DELETE FROM deployment_rating r USING deployment_observation o WHERE r.observation_id = o.id "
            "AND o.organization_id = %s AND starts_with(o.external_id, %s)",
            [org.pk, prefix],
        )
        cursor.execute(
            "DELETE FROM deployment_observation WHERE organization_id = %s AND starts_with(external_id, %s)",
            [org.pk, prefix],
        )


def _org_of_key(key: str):
    from cxtracker.tenancy.models import ApiKey

    parts = key.split("_")
    api_key = ApiKey.objects.select_related("organization").filter(prefix=parts[1] if len(parts) > 2 else "").first()
    if api_key is None or api_key.hashed_key != ApiKey.hash(key):
        raise SystemExit("This key is not in the DATABASE_URL database.")
    return api_key.organization


def _context(org, kind: str, observer) -> dict:
    """The organization's codes the rows use, and their ids for COPY."""
    from cxtracker.tenancy.models import Member, OrgUnit, UnitKind
    from experience.models import Behavior
    from experience.selectors import active_model

    teams = dict(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).values_list("code", "pk"))
    if not teams:
        raise SystemExit(f"{org.slug} has no team to write to.")
    ctx = {"teams": teams}
    if kind == "observations":
        model = active_model(org=org)
        if model is None:
            raise SystemExit(f"{org.slug} has no active experience model.")
        today = dt.date.today()
        ctx["members"] = dict(
            Member.objects.for_org(org)
            .filter(active_from__lte=today - timedelta(days=366), active_to__isnull=True)
            .values_list("code", "pk")
        )
        ctx["behaviors"] = dict(Behavior.objects.for_org(org).filter(model=model).values_list("code", "pk"))
        if not ctx["members"] or len(ctx["behaviors"]) < RATINGS_PER_OBSERVATION:
            raise SystemExit(f"{org.slug} needs members active all year and at least 5 behaviors.")
        ctx["model_id"] = model.pk
        ctx["observer_id"] = observer.pk if observer is not None else None
    return ctx


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=sorted(KINDS), default="surveys")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (with --key)")
    parser.add_argument("--key", help="a write API key of the server's organization; without it, --start-server")
    parser.add_argument("--observer", help="with --key: the e-mail of a user of the organization (observations)")
    parser.add_argument("--start-server", action="store_true", help="throwaway organization and gunicorn")
    parser.add_argument("--count", type=int, help="items per run (surveys 100,000, observations 20,000)")
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=1, help="this many runs; prints each and the median")
    parser.add_argument(
        "--slices", type=int, default=5, help="per run, API and COPY alternate on this many slices of the rows"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (--start-server)")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="time the workers' start-up too (cold workers)"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL database the server uses: COPY is measured there.")
    endpoint, default_count, noun, target = KINDS[args.kind]
    count = args.count or default_count
    start_server = args.start_server or not args.key
    _django()

    server = observer = None
    if start_server:
        org, key, observer = _throwaway_org()
        observer_email = observer.email
    else:
        from django.contrib.auth import get_user_model

        org, key, observer_email = _org_of_key(args.key), args.key, args.observer
        if observer_email:
            observer = get_user_model().objects.filter(email__iexact=observer_email).first()
    runs = []
    run = ""
    try:
        ctx = _context(org, args.kind, observer)

        def make_rows(n: int, run: str) -> list[dict]:
            if args.kind == "observations":
                return _observation_rows(n, sorted(ctx["members"]), sorted(ctx["behaviors"]), observer_email, run)
            return _survey_rows(n, sorted(ctx["teams"]), run)

        if start_server:
            server = _server(args.workers, warm=args.warm_up)
            url = server.url
            print(f"gunicorn ({args.workers} workers) on {url}, organization {org.slug}")
        else:
            url = args.url
        if args.warm_up:
            # Untimed one-item requests first (a worker's first connection to the database, its
            # first translations…); the URLconf is imported before a worker accepts anything
            # (bench/gunicorn_bench.py).
            run = f"warm{secrets.token_hex(2)}"
            warm = [json.dumps([row], ensure_ascii=False).encode() for row in make_rows(4 * args.workers, run)]
            seconds, _totals = _push(url, key, endpoint, warm, 2 * args.workers)
            _delete_rows(org, prefix=f"bench-{run}-")
            print(f"warm-up: {len(warm)} one-item requests in {seconds:.1f} s")
        for number in range(1, args.runs + 1):
            run = secrets.token_hex(3)
            rows = make_rows(count, run)
            if args.kind == "observations":
                copy, extra = _copy_observations, f" ({count * RATINGS_PER_OBSERVATION:,} ratings)"
            else:
                copy, extra = _copy_surveys, ""
            label = f"run {number}/{args.runs} " if args.runs > 1 else ""
            slices = max(1, min(args.slices, count // args.batch))
            size = -(-count // slices)
            print(
                f"{label}{count:,} {noun}{extra}, in {slices} slices of API then COPY (requests of {args.batch:,}) …",
                flush=True,
            )
            api_seconds = copy_seconds = 0.0
            totals: dict[str, int] = {}
            for start in range(0, count, size):
                part = rows[start : start + size]
                batches = [part[i : i + args.batch] for i in range(0, len(part), args.batch)]
                bodies = [json.dumps(batch, ensure_ascii=False).encode() for batch in batches]
                seconds, pushed = _push(url, key, endpoint, bodies, args.concurrency)
                api_seconds += seconds
                totals = {name: totals.get(name, 0) + n for name, n in pushed.items()}
                _delete_rows(org, prefix=f"bench-{run}-")
                copy_seconds += copy(org.pk, ctx, part)
                _delete_rows(org, prefix=f"bench-{run}-")
            api_rate, copy_rate = count / api_seconds, count / copy_seconds
            print(f"      API:  {api_seconds:.1f} s, {api_rate:,.0f} {noun}/s  {totals}")
            if totals["created"] != count:
                print("      (not every item was created: see the errors above)", file=sys.stderr)
            print(f"      COPY: {copy_seconds:.1f} s, {copy_rate:,.0f} {noun}/s")
            runs.append((api_rate, copy_rate, api_rate / copy_rate))
            print(f"{label}ratio API/COPY: {api_rate / copy_rate:.2f} (target ≥ {target:.2f})", flush=True)
        if len(runs) > 1:
            print("runs (API/s, COPY/s, ratio): " + " · ".join(f"{a:,.0f} / {c:,.0f} / {r:.2f}" for a, c, r in runs))
            print(
                f"median: API {statistics.median(a for a, _c, _r in runs):,.0f} {noun}/s, "
                f"COPY {statistics.median(c for _a, c, _r in runs):,.0f} {noun}/s, "
                f"ratio API/COPY: {statistics.median(r for _a, _c, r in runs):.2f} (target ≥ {target:.2f})"
            )
    finally:
        if server:
            server.stop()
        if start_server:
            _drop_org(org, observer)
        elif run:
            _delete_rows(org, prefix=f"bench-{run}-")


if __name__ == "__main__":
    main()
