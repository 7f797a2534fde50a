"""Dashboard answers kept in Django's cache (Redis in production), keyed on everything they are
computed from, so that a key is never stale: a change gives a new key, and old keys expire.

Every key holds the code's version (``code_version``: a release does not read its predecessor's
answers). What else goes into a key is the caller's (``cached(namespace, parts, compute)``); ``snapshots_version``
is the part every engine read shares. It is the newest snapshot row of the page's subtree: every
recomputation, of whole months or of some teams, deletes the team-months it recomputes and
inserts them again (one ``TeamMonthSnapshot`` per team and month, whatever the team holds, with
its dimension and survey rows in the same transaction), and ids only grow. The latest
``ComputedPeriod.recomputed_at`` would not do: a recomputation of some teams (the debounced task
after writes) leaves it alone, and a month computed only team by team has no row there. A business
metric's values are uploaded without a recomputation: ``metric_version`` is theirs.

The cache may be down (Redis stopped, unreachable): the answer is then computed as if it had
never been cached. After a failure the cache is left alone for ``RETRY_SECONDS``, so that an
outage where connecting hangs until the socket timeout costs one request that delay, not every
request; a warning is logged at most once a minute.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from redis.exceptions import RedisError

from cxtracker.tenancy.models import OrgUnit, Tree, UnitPlacement
from kpis.models import MetricValue, TeamMonthSnapshot

logger = logging.getLogger(__name__)

# What a cache read or write raises when its server is unreachable (django's RedisCache lets
# redis-py's exceptions through; socket errors cover the other network backends).
CACHE_ERRORS = (RedisError, OSError)
# Keys never go stale; the timeout only bounds what is kept (and an id reused after a restore).
TIMEOUT = 3600
RETRY_SECONDS = 10.0
WARN_EVERY_SECONDS = 60.0
_MISSING = object()
# Where the code and words of the dashboards' answers live (code_version).
CODE_FOLDERS = ("cxtracker", "dashboards", "kpis", "locale", "templates")


class _Outage:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.retry_at = 0.0
        self.warned_at: float | None = None

    def skip(self) -> bool:
        return time.monotonic() < self.retry_at

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self.retry_at = now + RETRY_SECONDS
            if self.warned_at is not None and now - self.warned_at < WARN_EVERY_SECONDS:
                return
            self.warned_at = now
        logger.warning("Cache unreachable (%s): dashboards are computed without it", exc)


outage = _Outage()


def snapshots_version(org, unit=None, tree: str = Tree.AS_IS) -> int | tuple:
    """A number that grows whenever a snapshot of the unit's subtree changes (``unit`` None: of
    the organization; 0: none yet): a recomputation of some teams leaves the keys of the other
    subtrees alone. As-was (``tree``), a unit's past months sum the teams it held then, which
    today's subtree does not name: the organization's number, with the placements' (a dated
    move changes no snapshot, only the trees of past months)."""
    rows = TeamMonthSnapshot.objects.for_org(org)
    if unit is not None and tree == Tree.AS_IS:
        rows = rows.filter(OrgUnit.in_subtrees([unit], prefix="team__"))
    last = rows.aggregate(last=Max("pk"))["last"] or 0
    if tree == Tree.AS_IS:
        return last
    placements = UnitPlacement.objects.for_org(org).aggregate(count=Count("pk"), last=Max("pk"))
    return (last, placements["count"], placements["last"])


def metric_version(org, metric) -> tuple:
    """What a figure of a business metric depends on besides the snapshots: the metric's settings
    and its values (uploaded without any recomputation)."""
    values = MetricValue.objects.for_org(org).filter(metric=metric)
    stats_ = values.aggregate(count=Count("pk"), latest=Max("updated_at"), last_pk=Max("pk"))
    latest = stats_["latest"].isoformat() if stats_["latest"] else None
    return (metric.pk, metric.unit_of_measure, metric.higher_is_better, stats_["count"], latest, stats_["last_pk"])


def code_version() -> str:
    """The code, templates and catalogues answers are made with: a new release (another file
    changed, added or removed) gets keys of its own. Worked out when this module is imported (in
    gunicorn's master with ``--preload``, so that every worker agrees), at every call under DEBUG
    (a template edited while the development server runs)."""
    return _code_version() if settings.DEBUG else _RELEASE


def _code_version() -> str:
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".mo") and path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(root)}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    return digest.hexdigest()[:16]


def cache_key(namespace: str, parts: tuple) -> str:
    """``parts`` are plain values (str, int, float, dates, None, tuples of them): their repr names
    the answer, with the code's version."""
    digest = hashlib.sha256(repr((code_version(), parts)).encode()).hexdigest()[:40]
    return f"cxtracker:{namespace}:{digest}"


def cached(namespace: str, parts: tuple, compute):
    """The cached answer for ``parts``, else ``compute()`` (stored for next time)."""
    key = cache_key(namespace, parts)
    if not outage.skip():
        try:
            value = cache.get(key, _MISSING)
        except CACHE_ERRORS as exc:
            outage.failed(exc)
        else:
            if value is not _MISSING:
                return value
    value = compute()
    if not outage.skip():
        try:
            cache.set(key, value, timeout=TIMEOUT)
        except CACHE_ERRORS as exc:
            outage.failed(exc)
    return value


def lookup(namespace: str, parts: tuple):
    """The cached answer for ``parts``, or None (not cached, or the cache is down)."""
    if outage.skip():
        return None
    try:
        value = cache.get(cache_key(namespace, parts), _MISSING)
    except CACHE_ERRORS as exc:
        outage.failed(exc)
        return None
    return None if value is _MISSING else value


# The release's code version (code_version), once, at import.
_RELEASE = _code_version()
