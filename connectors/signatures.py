"""Is a delivery really from the connector's tool? Typeform signs the raw body
(``Typeform-Signature: sha256=<base64 HMAC-SHA256>``); Formbricks and the generic tool follow
Standard Webhooks (``webhook-id``, ``webhook-timestamp`` within 5 minutes, ``webhook-signature``),
checked by the ``standardwebhooks`` library; a generic connector may take an API key of its
organization instead."""

import base64
import hashlib
import hmac
import secrets

from django.utils.translation import gettext as _
from rest_framework import exceptions
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from cxtracker.tenancy.api_auth import ApiKeyAuthentication
from cxtracker.tenancy.models import ApiKeyScope

from .models import Connector, ConnectorAuth, ConnectorTool


class Unverified(Exception):
    """The delivery cannot be shown to come from the tool: answered 401 with this message."""


def secret_generate(tool: str) -> str:
    """A new secret: Standard Webhooks' ``whsec_`` + base64 form where the tool takes one, plain
    random text for Typeform (whose webhook settings take any string)."""
    raw = secrets.token_bytes(32)
    if tool == ConnectorTool.TYPEFORM:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return "whsec_" + base64.b64encode(raw).decode()


def secret_check(tool: str, secret: str) -> str | None:
    """Why ``secret`` cannot sign for ``tool``, or None."""
    if tool == ConnectorTool.TYPEFORM:
        return None if len(secret) >= 16 else _("At least 16 characters.")
    try:
        Webhook(secret)
    except Exception:
        return _("A Standard Webhooks secret: whsec_ followed by base64.")
    return None


def typeform_signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


_STANDARD_MESSAGES = {
    "Missing required headers": lambda: _("Missing webhook-id, webhook-timestamp or webhook-signature header."),
    "Message timestamp too old": lambda: _("The webhook-timestamp is more than 5 minutes old."),
    "Message timestamp too new": lambda: _("The webhook-timestamp is more than 5 minutes ahead."),
}


def delivery_verify(connector: Connector, request) -> None:
    """Raise Unverified unless ``request`` is signed with the connector's secret (or, for a generic
    connector that takes API keys, carries a write key of its organization)."""
    body = request.body
    if connector.tool == ConnectorTool.TYPEFORM:
        header = request.headers.get("Typeform-Signature", "")
        if not header:
            raise Unverified(_("Missing Typeform-Signature header."))
        if not hmac.compare_digest(header.encode(), typeform_signature(connector.secret, body).encode()):
            raise Unverified(_("Invalid signature."))
        return
    if connector.tool == ConnectorTool.GENERIC and connector.auth == ConnectorAuth.API_KEY:
        try:
            found = ApiKeyAuthentication().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            raise Unverified(str(exc.detail)) from None
        if found is None:
            raise Unverified(_("Missing API key (Authorization header)."))
        key = found[1]
        if key.organization_id != connector.organization_id or not key.has_scope(ApiKeyScope.WRITE):
            raise Unverified(_("This API key cannot write to this connector."))
        return
    try:
        Webhook(connector.secret).verify(body, dict(request.headers), json_parse=False)
    except WebhookVerificationError as exc:
        message = _STANDARD_MESSAGES.get(str(exc))
        raise Unverified(message() if message else _("Invalid signature.")) from None
