"""Shared infrastructure of the REST API (``/api/v1/``): the organization resolved once for every
endpoint, access, errors as JSON, throttling, pagination, filters and the bulk write protocol of
SPEC §8."""

import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler

from cxtracker.tenancy.access import ADMIN_ROLES, scope_filter, scoped_members, scoped_units
from cxtracker.tenancy.models import ApiKey, ApiKeyScope, Member, Membership, Organization, OrgUnit

# Clients stamp data with their own clock: a few minutes ahead is skew, not the future.
CLOCK_SKEW = datetime.timedelta(minutes=5)

STATUSES = ("created", "updated", "duplicate", "rejected")


@dataclass
class BulkResult:
    """What happened to each item of a write (SPEC §8): ``created``, ``duplicate`` (same
    external_id, nothing changed), ``updated`` (upserts) or ``rejected`` with field errors."""

    size: int
    upsert: bool = False
    results: list[dict] = field(init=False)

    def __post_init__(self):
        self.results = [{"index": i, "status": None} for i in range(self.size)]

    def set(self, index: int, status: str) -> None:
        self.results[index] = {"index": index, "status": status}

    def reject(self, index: int, errors: dict) -> None:
        self.results[index] = {"index": index, "status": "rejected", "errors": errors}

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def as_dict(self) -> dict:
        body = {"created": self.created, "duplicates": self.duplicates}
        if self.upsert:
            body["updated"] = self.updated
        body["rejected"] = self.rejected
        body["results"] = self.results
        return body


# ---------------------------------------------------------------------------------------------
# Errors


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def _too_large() -> str:
    return _("The request body is larger than %(limit)d bytes: send fewer items per request.") % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


def _django_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def api_exception_handler(exc, context):
    """DRF's handler, plus the Django exceptions a write can raise, so that bad input is always
    a JSON 4xx and never a 500 (SPEC §5)."""
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
        return super().parse(io.BytesIO(raw), media_type, parser_context)


# ---------------------------------------------------------------------------------------------
# Throttling and pagination


class ApiRateThrottle(SimpleRateThrottle):
    """One rate (``DEFAULT_THROTTLE_RATES["api_key"]``) per API key, per user for sessions."""

    scope = "api_key"

    def get_rate(self):
        # Read at request time rather than import time, so that settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            # The prefix is unique per organization; the pair names the key.
            ident = f"key-{request.auth.organization_id}-{request.auth.prefix}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


# ---------------------------------------------------------------------------------------------
# Organization, access, filters: the base of every endpoint


def _session_membership(request) -> Membership:
    slug = request.headers.get("X-Organization") or request.query_params.get("org")
    memberships = Membership.objects.select_related("organization").filter(user=request.user)
    if slug:
        membership = memberships.filter(organization__slug=slug).first()
        if membership is None:
            raise exceptions.NotFound()
        return membership
    found = list(memberships[:2])
    if not found:
        raise exceptions.NotFound()
    if len(found) > 1:
        raise exceptions.ValidationError(
            {"org": [_("You belong to several organizations: name one with the X-Organization header or ?org=.")]}
        )
    return found[0]


class OrgApiView(GenericAPIView):
    """Base of every endpoint under /api/v1/: resolves the organization once, before the handler
    runs, and checks the access; querysets start from ``self.org``.

    An API key decides the organization (``request.auth.organization``), and its scopes decide
    reads (``read``) and writes (``write``). A browser session names the organization (header
    ``X-Organization`` or ``?org=``, else the user's only one); its membership decides: reads
    within the role's scope, writes for ``write_roles``.
    """

    parser_classes = [LimitedJSONParser]
    throttle_classes = [ApiRateThrottle]
    pagination_class = Pagination
    write_roles = ADMIN_ROLES
    model = None

    org: Organization
    membership: Membership | None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        values = [*kwargs.values(), *request.query_params.values()]
        if any("\x00" in str(v) for v in values):
            raise exceptions.ValidationError({"non_field_errors": [_("NUL characters are not allowed.")]})
        if isinstance(request.auth, ApiKey):
            self.org, self.membership = request.auth.organization, None
            scope = ApiKeyScope.READ if request.method in SAFE_METHODS else ApiKeyScope.WRITE
            if not request.auth.has_scope(scope):
                raise exceptions.PermissionDenied(
                    _("This API key does not have the “%(scope)s” scope.") % {"scope": scope}
                )
            return
        membership = _session_membership(request)
        self.org, self.membership = membership.organization, membership
        if request.method not in SAFE_METHODS and membership.role not in self.write_roles:
            raise exceptions.PermissionDenied(_("Your role does not allow this change."))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.org_queryset()

    def org_queryset(self):
        """The rows of ``self.org`` the caller may see."""
        raise NotImplementedError

    # Scope of the caller: an API key reaches the whole organization.
    def units(self):
        if self.membership is None:
            return OrgUnit.objects.for_org(self.org)
        return scoped_units(self.membership)

    def members(self):
        if self.membership is None:
            return Member.objects.for_org(self.org)
        return scoped_members(self.membership)

    def scope_q(self, prefix: str) -> Q:
        """Rows whose unit (reached by ``prefix``, e.g. ``"member__team__"``) is in scope."""
        return Q() if self.membership is None else scope_filter(self.membership, prefix)

    def unit_filter(self, queryset, prefix: str):
        """``?unit=CODE``: the rows of that unit's subtree (an unknown code is a 400)."""
        code = self.request.query_params.get("unit")
        if not code:
            return queryset
        unit = self.units().filter(code=code).first()
        if unit is None:
            raise exceptions.ValidationError({"unit": [_("Unknown unit code: %(code)s.") % {"code": code}]})
        return queryset.filter(**{f"{prefix}path__startswith": unit.path})

    def date_range(self) -> tuple[datetime.date | None, datetime.date | None]:
        """``?from=`` and ``?to=`` as [start, end) days; each a month or a day, both inclusive."""
        start = _bound(self.request.query_params.get("from"), "from", end=False)
        end = _bound(self.request.query_params.get("to"), "to", end=True)
        if start and end and start >= end:
            raise exceptions.ValidationError({"to": [_("“to” is before “from”.")]})
        return start, end

    def moment_filter(self, queryset, field: str):
        """Rows whose ``field`` (a datetime) falls in ``?from=`` … ``?to=``, days counted in the
        organization's timezone."""
        start, end = self.date_range()
        tz = self.org.tzinfo
        if start:
            queryset = queryset.filter(**{f"{field}__gte": datetime.datetime.combine(start, datetime.time(), tz)})
        if end:
            queryset = queryset.filter(**{f"{field}__lt": datetime.datetime.combine(end, datetime.time(), tz)})
        return queryset

    def choice_filters(self, queryset, names):
        """Exact-match filters (``?journey=purchase``)."""
        for name in names:
            value = self.request.query_params.get(name)
            if value:
                queryset = queryset.filter(**{name: value})
        return queryset


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# Older dates are typos, and years near 1 overflow when converted to UTC.
MIN_YEAR, MAX_YEAR = 1970, 2999


def _bound(value: str | None, name: str, *, end: bool) -> datetime.date | None:
    if not value:
        return None
    try:
        if match := _MONTH_RE.match(value):
            day = datetime.date(int(match[1]), int(match[2]), 1)
            if end:
                day = (day + datetime.timedelta(days=31)).replace(day=1)
        elif match := _DAY_RE.match(value):
            day = datetime.date(int(match[1]), int(match[2]), int(match[3]))
            if end:
                day += datetime.timedelta(days=1)
        else:
            raise ValueError
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError
    except ValueError:
        raise exceptions.ValidationError(
            {name: [_("Give a month (YYYY-MM) or a day (YYYY-MM-DD) between 1970 and 2999.")]}
        ) from None
    return day


# ---------------------------------------------------------------------------------------------
# Writes: one object or a list of at most MAX_BULK


MAX_BULK = 1000


def write_items(request) -> tuple[list, bool]:
    """The items of a write body and whether it was a list (bulk)."""
    data = request.data
    if isinstance(data, list):
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("The list is empty.")]})
        if len(data) > MAX_BULK:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("At most %(max)d items per request; this one has %(n)d.") % {"max": MAX_BULK, "n": len(data)}
                    ]
                }
            )
        return data, True
    if isinstance(data, dict):
        return [data], False
    raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object or a list of objects.")]})


def bulk_apply(items: list, write_one: Callable[[dict], tuple[object, str]], *, upsert=False):
    """Write each item in its own savepoint: a rejected item leaves no trace and the others are
    kept. ``write_one(item)`` returns ``(obj, status)`` or raises a validation error. Returns the
    BulkResult and the objects written (None for the rejected)."""
    result = BulkResult(len(items), upsert=upsert)
    objects: list = [None] * len(items)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            result.reject(index, {"non_field_errors": [_("Expected an object.")]})
            continue
        try:
            with transaction.atomic():
                objects[index], status = write_one(item)
        except (DjangoValidationError, exceptions.ValidationError) as exc:
            result.reject(index, errors_of(exc))
        else:
            result.set(index, status)
    return result, objects


def write_response(result: BulkResult, bulk: bool, stored: Callable[[], dict]) -> Response:
    """SPEC §8: a list answers 200 with the per-item report; one object answers 201 with the
    stored object, 200 for a duplicate or an update, 400 with its field errors."""
    if bulk:
        return Response(result.as_dict(), status=status.HTTP_200_OK)
    outcome = result.results[0]
    if outcome["status"] == "rejected":
        return Response(outcome["errors"], status=status.HTTP_400_BAD_REQUEST)
    code = status.HTTP_201_CREATED if outcome["status"] == "created" else status.HTTP_200_OK
    return Response(stored(), status=code)


class DetailUpdateMixin:
    """PUT (every field) and PATCH (some) of one object addressed by its code; the view's
    ``write(data=, instance=, partial=)`` does the work and returns ``(obj, status)``."""

    lookup_field = lookup_url_kwarg = "code"

    def update(self, request, partial: bool) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        with transaction.atomic():
            instance = self.get_object()
            data = request.data if partial else {"code": instance.code, **request.data}
            obj, _status = self.write(data=data, instance=instance, partial=partial)
        return Response(self.get_serializer(obj).data)


# ---------------------------------------------------------------------------------------------
# Serializers


class StrictSerializer(serializers.Serializer):
    """A write serializer that rejects unknown fields, naming them."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            unknown = {key: [_("Unknown field.")] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({**unknown, **exc.detail}) from None
        if unknown:
            raise exceptions.ValidationError(unknown)
        return value


class StrictCharField(serializers.CharField):
    """A string and nothing else (DRF's CharField turns numbers into strings)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def parse_moment(value, now: datetime.datetime | None = None) -> datetime.datetime:
    """An ISO 8601 datetime with its offset, not in the future (django ValidationError)."""
    if not isinstance(value, str):
        raise DjangoValidationError(_("Must be an ISO 8601 date and time with its offset."))
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise DjangoValidationError(
            _("Must be an ISO 8601 date and time with its offset, e.g. 2026-03-10T10:00:00+01:00.")
        ) from None
    if timezone.is_naive(moment):
        raise DjangoValidationError(_("Give the UTC offset (e.g. +01:00 or Z): the time is ambiguous without it."))
    if moment.year < MIN_YEAR:
        raise DjangoValidationError(_("This date is too far in the past."))
    if moment > (now or timezone.now()) + CLOCK_SKEW:
        raise DjangoValidationError(_("This date is in the future."))
    return moment


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentField(serializers.Field):
    """A datetime that must carry its offset and not be in the future (SPEC §8)."""

    def to_internal_value(self, data):
        try:
            return parse_moment(data)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return value.isoformat()


class BulkItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=STATUSES)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = BulkItemSerializer(many=True)


class BulkUpsertResultSerializer(BulkResultSerializer):
    updated = serializers.IntegerField()


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Api-Key cxt_<prefix>_<secret>`` in the OpenAPI schema."""

    target_class = "cxtracker.tenancy.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An organization API key, sent as `Authorization: Api-Key cxt_<prefix>_<secret>`. "
            "The key decides the organization; scope `read` for GET, `write` for writes.",
        }


UNIT_PARAM = OpenApiParameter("unit", OpenApiTypes.STR, description="A unit code: rows of its whole subtree.")
FROM_PARAM = OpenApiParameter("from", OpenApiTypes.STR, description="Start, inclusive: YYYY-MM or YYYY-MM-DD.")
TO_PARAM = OpenApiParameter("to", OpenApiTypes.STR, description="End, inclusive: YYYY-MM or YYYY-MM-DD.")
ERROR_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='What is wrong: `{"field": ["message"]}`, or `{"detail": "message"}`.',
)


def write_schema(name: str, request, response, *, upsert=False, examples=()):
    """``extend_schema`` of a write endpoint that takes one object or a list (bulk) of them."""
    return extend_schema(
        request=PolymorphicProxySerializer(
            component_name=f"{name}OneOrMany",
            serializers=[request, request(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            200: PolymorphicProxySerializer(
                component_name=f"{name}WriteResult",
                serializers=[response, BulkUpsertResultSerializer if upsert else BulkResultSerializer],
                resource_type_field_name=None,
                many=False,
            ),
            201: response,
            400: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            413: ERROR_RESPONSE,
        },
        examples=list(examples),
    )


def update_schema(request, response, example: dict):
    """``extend_schema`` of a PUT or PATCH of one object addressed by its code."""
    return extend_schema(
        request=request,
        responses={200: response, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        examples=[OpenApiExample("Change", value=example, request_only=True)],
    )


def bulk_examples(single: dict, second: dict) -> list:
    """Request examples of a write: one object, and a list of two."""
    return [
        OpenApiExample("One object", value=single, request_only=True),
        OpenApiExample("Bulk (a list, at most 1,000 items)", value=[single, second], request_only=True),
    ]
