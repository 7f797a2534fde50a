"""The REST API's shared machinery (``/api/v1/``, SPEC §8), one concern per module:

- ``views``: ``OrgApiView``, the base of every endpoint (organization, access, scope, filters),
  and its pagination;
- ``bulk``: the write protocol (one object or a list, a result per item);
- ``errors``: bad input as a JSON 4xx (exception handler, body size limit);
- ``throttling``: the per-key rate, degraded when the cache is unreachable;
- ``fields``: strict serializers and fields;
- ``schema``: OpenAPI helpers.

Endpoint modules import what they use from here (``from cxtracker.api import OrgApiView, …``)
or from the module itself. Months and their year range come from ``cxtracker.months``.
"""

from cxtracker.months import MAX_YEAR, MIN_YEAR

from .bulk import (
    MAX_BULK,
    STATUSES,
    BulkResult,
    DetailUpdateMixin,
    UpsertListMixin,
    bulk_apply,
    write_items,
    write_response,
)
from .errors import LimitedJSONParser, PayloadTooLarge, api_exception_handler, errors_of
from .fields import CLOCK_SKEW, MomentField, StrictCharField, StrictIntegerField, StrictSerializer, parse_moment
from .schema import (
    ERROR_RESPONSE,
    FROM_PARAM,
    TO_PARAM,
    UNIT_PARAM,
    ApiKeyAuthenticationScheme,
    BulkItemSerializer,
    BulkResultSerializer,
    BulkUpsertResultSerializer,
    bulk_examples,
    detail_update_schema,
    update_schema,
    write_schema,
)
from .throttling import ApiRateThrottle
from .views import OrgApiView, Pagination, date_bound

__all__ = [
    "CLOCK_SKEW",
    "ERROR_RESPONSE",
    "FROM_PARAM",
    "MAX_BULK",
    "MAX_YEAR",
    "MIN_YEAR",
    "STATUSES",
    "TO_PARAM",
    "UNIT_PARAM",
    "ApiKeyAuthenticationScheme",
    "ApiRateThrottle",
    "BulkItemSerializer",
    "BulkResult",
    "BulkResultSerializer",
    "BulkUpsertResultSerializer",
    "DetailUpdateMixin",
    "LimitedJSONParser",
    "MomentField",
    "OrgApiView",
    "Pagination",
    "PayloadTooLarge",
    "StrictCharField",
    "StrictIntegerField",
    "StrictSerializer",
    "UpsertListMixin",
    "api_exception_handler",
    "bulk_apply",
    "bulk_examples",
    "date_bound",
    "detail_update_schema",
    "errors_of",
    "parse_moment",
    "update_schema",
    "write_items",
    "write_response",
    "write_schema",
]
