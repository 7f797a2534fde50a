"""Ingestion benchmark: survey responses through the REST API against PostgreSQL's COPY.

    DATABASE_URL=postgres://... python bench/ingest.py            # starts its own gunicorn
    python bench/ingest.py --url http://127.0.0.1:8000 --key cxt_...   # against a running server

Pushes ``--count`` survey responses (default 100,000) in bulk requests of ``--batch`` (1,000) over
keep-alive connections, then deletes them and loads the very same rows with ``COPY`` into the same
table, and prints both rates and their ratio. The target is the API at no less than a fifth of
COPY's rate.

Without ``--key`` it creates a throwaway organization (teams, write API key) in the DATABASE_URL
database, serves it with gunicorn (2 workers) on a free local port, and removes everything at the
end. With ``--key`` the organization is the key's; only the rows the benchmark wrote are removed.
Either way it needs DATABASE_URL: COPY writes to the database directly.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEAMS = 20
COPY_COLUMNS = (
    "organization_id",
    "external_id",
    "unit_id",
    "responded_at",
    "nps",
    "ces",
    "csat",
    "channel",
    "journey",
    "trigger",
    "segment",
    "comment",
    "aspects",
    "created_at",
)


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxtracker.settings")
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rows(count: int, team_codes: list[str], run: str) -> list[dict]:
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


class _Server:
    """gunicorn serving cxtracker on a free local port, for the length of the benchmark."""

    def __init__(self, workers: int):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DEBUG": "false",
            "STATIC_MANIFEST": "false",
            # The benchmark measures ingestion, not the per-key throttle.
            "API_THROTTLE_RATE": "100000/min",
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "cxtracker.wsgi:application",
                f"--workers={workers}",
                "--worker-class=gthread",
                "--threads=1",
                f"--bind=127.0.0.1:{self.port}",
                "--keep-alive=30",
                "--timeout=120",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited at start-up")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not start within 60 s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _push(url: str, key: str, bodies: list[bytes], concurrency: int) -> tuple[float, dict]:
    """POST every body, ``concurrency`` keep-alive connections in parallel; (seconds, totals)."""
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path.rstrip("/") + "/api/v1/survey-responses/"
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


def _copy(org_id: int, unit_ids: dict[str, int], rows: list[dict]) -> float:
    """COPY the rows into the survey table, in one transaction; the seconds it took."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
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
            now,
        )
        for r in rows
    ]
    with psycopg.connect(
        host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"]
    ) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY kpis_surveyresponse ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        conn.commit()
        return time.perf_counter() - started


def _throwaway_org():
    from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind
    from kpis.services import api_key_create

    slug = f"bench-{secrets.token_hex(4)}"
    org = Organization.objects.create(slug=slug, name=f"Benchmark {slug}")
    region = OrgUnit.objects.create(organization=org, code="BR", name="Bench region", kind=UnitKind.REGION)
    bu = OrgUnit.objects.create(
        organization=org, code="BB", name="Bench BU", kind=UnitKind.BUSINESS_UNIT, parent=region
    )
    for n in range(TEAMS):
        OrgUnit.objects.create(
            organization=org, code=f"BT{n:02d}", name=f"Bench team {n}", kind=UnitKind.TEAM, parent=bu
        )
    _key, raw_key = api_key_create(org=org, name="benchmark", scopes=["write"])
    return org, raw_key


def _drop_org(org) -> None:
    from django.db import transaction

    from cxtracker.tenancy.models import OrgUnit

    with transaction.atomic():
        _delete_rows(org, prefix="")
        # Units protect their children: leaves first.
        for unit in OrgUnit.objects.for_org(org).order_by("-depth"):
            unit.delete()
        org.delete()


def _delete_rows(org, prefix: str) -> None:
    from kpis.models import SurveyResponse

    SurveyResponse.objects.for_org(org).filter(external_id__startswith=prefix).delete()


def _org_of_key(key: str):
    from cxtracker.tenancy.models import ApiKey

    parts = key.split("_")
    api_key = ApiKey.objects.select_related("organization").filter(prefix=parts[1] if len(parts) > 2 else "").first()
    if api_key is None or api_key.hashed_key != ApiKey.hash(key):
        raise SystemExit("This key is not in the DATABASE_URL database.")
    return api_key.organization


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (with --key)")
    parser.add_argument("--key", help="a write API key of the server's organization; without it, --start-server")
    parser.add_argument("--start-server", action="store_true", help="throwaway organization and gunicorn")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (--start-server)")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL database the server uses: COPY is measured there.")
    start_server = args.start_server or not args.key
    _django()
    from cxtracker.tenancy.models import OrgUnit, UnitKind

    server = None
    run = secrets.token_hex(3)
    if start_server:
        org, key = _throwaway_org()
    else:
        org, key = _org_of_key(args.key), args.key
    try:
        teams = dict(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).values_list("code", "pk"))
        if not teams:
            raise SystemExit(f"{org.slug} has no team to send responses to.")
        rows = _rows(args.count, sorted(teams), run)
        bodies = [
            json.dumps(rows[i : i + args.batch], ensure_ascii=False).encode() for i in range(0, len(rows), args.batch)
        ]
        if start_server:
            server = _Server(args.workers)
            url = server.url
            print(f"gunicorn ({args.workers} workers) on {url}, organization {org.slug}")
        else:
            url = args.url
        print(f"API:  {args.count:,} survey responses in {len(bodies)} requests of {args.batch:,} …", flush=True)
        api_seconds, totals = _push(url, key, bodies, args.concurrency)
        api_rate = args.count / api_seconds
        print(f"      {api_seconds:.1f} s, {api_rate:,.0f} responses/s  {totals}")
        if totals["created"] != args.count:
            print("      (not every response was created: see the errors above)", file=sys.stderr)

        _delete_rows(org, prefix=f"bench-{run}-")
        print(f"COPY: the same {args.count:,} rows …", flush=True)
        copy_seconds = _copy(org.pk, teams, rows)
        copy_rate = args.count / copy_seconds
        print(f"      {copy_seconds:.1f} s, {copy_rate:,.0f} rows/s")
        print(f"ratio API/COPY: {api_rate / copy_rate:.2f} (target ≥ 0.20)")
    finally:
        if server:
            server.stop()
        if start_server:
            _drop_org(org)
        else:
            _delete_rows(org, prefix=f"bench-{run}-")


if __name__ == "__main__":
    main()
