"""API key authentication: ``Authorization: Api-Key <key>``; the key decides the organization."""

import hmac

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiKey


class ApiKeyUser:
    """The request.user of an API-key request: authenticated, tied to no person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self):
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, key = header.partition(" ")
        if keyword != self.keyword:
            return None
        key = key.strip()
        parts = key.split("_")
        if len(parts) < 3 or parts[0] != "cxt" or not key:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        # The prefix is only unique per organization: compare the hash of every candidate.
        hashed = ApiKey.hash(key)
        candidates = ApiKey.objects.select_related("organization").filter(prefix=parts[1])
        api_key = next((k for k in candidates if hmac.compare_digest(k.hashed_key, hashed)), None)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not api_key.is_active:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        now = timezone.now()
        # Record use at most once a minute: no write per request on a hot ingestion path.
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword
