"""Throttling of the API: one rate per API key (per user for sessions), counted in the cache."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cxtracker.tenancy.models import ApiKey


class ApiRateThrottle(SimpleRateThrottle):
    """One rate (``DEFAULT_THROTTLE_RATES["api_key"]``) per API key, per user for sessions."""

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
