"""PDF benchmark: the demo's monthly steering report as a PDF, the process's first (cold), then warm.

    python bench/pdf.py                    # a throwaway database cxbench_pdf, dropped at the end
    python bench/pdf.py --runs 21 --keep   # keep the database (and its demo) for the next time
    python bench/pdf.py --database-url postgres://postgres@127.0.0.1:5432/other

Creates the PostgreSQL database of ``--database-url`` (default
postgres://postgres@127.0.0.1:5432/cxbench_pdf) unless it exists, migrates it and seeds the demo
(``seed_demo``: Maison Lumière, a year of history; tasks eager, no Redis). Then, in this one
process, it builds ``--runs`` times the PDF the stakeholder "reseau" (monthly, steering.demo) is
sent for the last closed month, as the report e-mail does: ``report_build`` with the protected
reader in the organization's language, then ``exports.pdf_render``. The first PDF is cold (it
starts the process's Chromium and loads what the first PDF loads); the others are warm, drawn by
the kept browser. A run's time is the whole of it (report, charts, WeasyPrint), as a download or an
e-mail waits for it; each stage is timed too.

It prints ``pdf cold``, ``pdf warm median`` (target ≤ 2 s) and the machine's load average. The
database is dropped at the end if the benchmark created it, unless ``--keep``.
"""

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cxbench_pdf"
STAKEHOLDER = "reseau"


def _admin_connection(url: str):
    """A connection to the server's ``postgres`` database, to create and drop the benchmark's."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    )


def _database_create(url: str) -> bool:
    """Create the URL's database unless it exists; whether it was created."""
    from psycopg import sql

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with _admin_connection(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def _database_drop(url: str) -> None:
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # tasks eager, cache in memory: the benchmark needs no worker
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # kaleido logs every chart at INFO
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxtracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Stages:
    """Times of the calls of a few functions, by stage name, while ``timing`` them."""

    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)

    @contextlib.contextmanager
    def timing(self, owner, name: str, stage: str):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.times[stage].append(time.perf_counter() - started)

        setattr(owner, name, timed)
        try:
            yield
        finally:
            setattr(owner, name, original)


def _runs(runs: int) -> tuple[list[float], Stages, str]:
    from django.utils import translation
    from weasyprint import HTML

    from cxtracker.tenancy.demo import DEMO_SLUG
    from cxtracker.tenancy.models import Organization
    from kpis.engine.readers import Reader
    from steering.models import Stakeholder
    from steering.reports import build, exports
    from steering.reports.periods import last_closed_period

    org = Organization.objects.get(slug=DEMO_SLUG)
    stakeholder = Stakeholder.objects.for_org(org).get(code=STAKEHOLDER)
    period = last_closed_period(org, stakeholder)
    stages, totals, size = Stages(), [], 0
    with (
        translation.override(org.language),
        stages.timing(build, "report_build", "report"),
        stages.timing(exports, "chart_images", "charts"),
        stages.timing(HTML, "write_pdf", "WeasyPrint"),
    ):
        for _ in range(runs):
            started = time.perf_counter()
            report = build.report_build(org=org, stakeholder=stakeholder, period=period, reader=Reader.protected())
            pdf = exports.pdf_render(report)
            totals.append(time.perf_counter() - started)
            size = len(pdf)
    exports.renderer.close()
    what = f"{stakeholder.name} ({STAKEHOLDER}), {period}, {len(report.kpis)} KPIs, {size / 1024:.0f} KiB"
    return totals, stages, what


def _stage_line(stages: Stages, index: slice) -> str:
    return ", ".join(f"{stage} {statistics.median(times[index]):.2f} s" for stage, times in stages.times.items())


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} CPUs)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"PostgreSQL database (default {DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=11, help="PDFs in all, the first cold (default 11)")
    parser.add_argument("--keep", action="store_true", help="keep the database the benchmark created")
    args = parser.parse_args(argv)
    if args.runs < 2:
        raise SystemExit("--runs must be at least 2: one cold PDF, then warm ones.")
    if not args.database_url.startswith("postgres"):
        raise SystemExit("--database-url must name a PostgreSQL database.")
    created = _database_create(args.database_url)
    _django(args.database_url)
    try:
        from django.core.management import call_command

        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("seed_demo", stdout=io.StringIO())
        print(f"demo ready in {time.monotonic() - started:.0f} s ({args.database_url})", flush=True)
        print(f"load before: {_load()}", flush=True)
        totals, stages, what = _runs(args.runs)
        warm = totals[1:]
        print(what)
        print(f"pdf cold: {totals[0]:.2f} s ({_stage_line(stages, slice(0, 1))})")
        print(
            f"pdf warm median: {statistics.median(warm):.2f} s (n={len(warm)}; min {min(warm):.2f}, max "
            f"{max(warm):.2f}; {_stage_line(stages, slice(1, None))})"
        )
        print(f"load: {_load()}")
    finally:
        if created and not args.keep:
            _database_drop(args.database_url)


if __name__ == "__main__":
    main()
