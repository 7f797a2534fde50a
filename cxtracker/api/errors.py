"""Bad input is a JSON 4xx, never a 500 (SPEC §5): the exception handler of every endpoint, the
413 of an oversized body, the ``{"field": ["message"]}`` shape of validation errors, and the 503
of a database outage."""

import io

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def _too_large() -> str:
    return _("The request body is larger than %(limit)d bytes: send fewer items per request.") % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


# A PostgreSQL restart takes a few seconds: when a client may try again after a 503.
RETRY_AFTER_SECONDS = 10


def unavailable_response() -> JsonResponse:
    """The 503 of an API request while the database is unavailable (``cxtracker.outage``): the
    ``{"detail": "message"}`` of DRF's other refusals, and a ``Retry-After`` as the 429 has."""
    detail = _("The database is unavailable for the moment: retry in %(seconds)d seconds.") % {
        "seconds": RETRY_AFTER_SECONDS
    }
    return JsonResponse({"detail": detail}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _django_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def api_exception_handler(exc, context):
    """DRF's handler, plus the Django exceptions a write can raise, so that bad input is always
    a JSON 4xx and never a 500 (SPEC §5). Named by ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(_too_large())
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


def errors_of(exc: Exception) -> dict:
    """The ``{"field": ["message"]}`` of a Django or DRF validation error."""
    if isinstance(exc, DjangoValidationError):
        return _django_errors(exc)
    detail = exc.detail
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


class LimitedJSONParser(JSONParser):
    """JSON, refused with 413 above DATA_UPLOAD_MAX_MEMORY_SIZE: DRF reads the raw stream, so
    Django's own limit (enforced in ``request.body``) would not apply."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(_too_large())
        # PostgreSQL cannot store NUL in text: refuse it here rather than fail on insert.
        if b"\\u0000" in raw:
            raise exceptions.ParseError(_("Strings may not contain NUL (\\u0000) characters."))
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_nested_too_deeply()) from None
        if _depth(data) > MAX_DEPTH:
            raise exceptions.ParseError(_nested_too_deeply())
        return data


# The deepest body a client sends: a list of objects holding lists of objects (a bulk of
# observations with their ratings) is four levels deep.
MAX_DEPTH = 16


def _nested_too_deeply() -> str:
    return _("The JSON is nested too deeply (at most %(depth)d levels).") % {"depth": MAX_DEPTH}


def _depth(data) -> int:
    """How deep lists and objects nest in ``data``, walked without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in children)
    return deepest
