"""gunicorn settings of the benchmark's own server (``bench/ingest.py`` passes them with ``-c``).

A worker's first request imports the URLconf, hence every API module and what they import (scipy,
pandas, linearmodels): seconds on a busy machine. That is start-up, not ingestion, so each worker
does it here, before it accepts a connection, and no timed request pays for it.
"""


def post_worker_init(worker):
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imported for the side effect
