"""Throttling of the API: one rate per API key (per user for sessions), counted in the cache.

The cache is Redis. When Redis is unreachable the API keeps taking writes (SPEC §6): requests are
let through unthrottled and a warning is logged, at most once a minute per process, saying how
many requests went through since. For ``RETRY_SECONDS`` after a failure the cache is not tried
at all, so that an outage where connecting hangs until the socket timeout costs one request that
delay, not every request.
"""

import logging
import threading
import time

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cxtracker.tenancy.models import ApiKey

logger = logging.getLogger(__name__)

# What a cache read raises when its server is unreachable: django's RedisCache lets redis-py's
# exceptions through; socket errors cover the other network backends.
CACHE_ERRORS = (RedisError, OSError)


class CacheOutage:
    """The throttle's view of the cache: up, or down since a failure (monotonic clock)."""

    def __init__(self, *, retry_seconds: float, warn_every_seconds: float):
        self.retry_seconds = retry_seconds
        self.warn_every_seconds = warn_every_seconds
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.down = False
        self.let_through = 0  # requests let through unthrottled since the outage began
        self._retry_at = 0.0
        self._warned_at: float | None = None
        self._since_warning = 0

    def _count(self) -> None:
        self.let_through += 1
        self._since_warning += 1

    def skip_cache(self) -> bool:
        """Whether to let a request through without trying the cache (it failed a moment ago)."""
        with self._lock:
            if self.down and time.monotonic() < self._retry_at:
                self._count()
                return True
            return False

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self.down, self._retry_at = True, now + self.retry_seconds
            self._count()
            if self._warned_at is not None and now - self._warned_at < self.warn_every_seconds:
                return
            self._warned_at, count, self._since_warning = now, self._since_warning, 0
        logger.warning(
            "Cache unreachable (%s): API requests are not throttled; %d let through since the last warning",
            exc,
            count,
        )

    def succeeded(self) -> None:
        if not self.down:
            return
        with self._lock:
            count = self.let_through
            self.reset()
        logger.warning("Cache reachable again: API throttling resumes (%d requests let through unthrottled)", count)


cache_outage = CacheOutage(retry_seconds=10.0, warn_every_seconds=60.0)


class ApiRateThrottle(SimpleRateThrottle):
    """One rate (``DEFAULT_THROTTLE_RATES["api_key"]``) per API key, per user for sessions;
    every request is allowed while the cache is unreachable."""

    scope = "api_key"

    def get_rate(self):
        # Read at request time rather than import time, so that settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            # The prefix is unique per organization: the pair names the key.
            ident = f"key-{request.auth.organization_id}-{request.auth.prefix}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if cache_outage.skip_cache():
            return True
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            cache_outage.failed(exc)
            return True
        cache_outage.succeeded()
        return allowed
