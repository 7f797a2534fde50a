"""OpenAPI documentation shared by the endpoints: the Api-Key scheme, the common filter
parameters, error responses and the one-or-many bodies of writes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from .bulk import STATUSES


class BulkItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=STATUSES)
    # {field: [messages]}; a nested field's errors nest the same way ({"ratings": {"0": {...}}}).
    errors = serializers.DictField(child=serializers.JSONField(), required=False)
    masked = serializers.IntegerField(
        required=False, help_text="Survey responses: personal data replaced by markers in this item's comment."
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    masked = serializers.IntegerField(
        required=False,
        help_text="Survey responses: e-mail addresses, phone numbers, IBANs and card numbers replaced by markers "
        "in the comments stored.",
    )
    results = BulkItemSerializer(many=True)


class BulkUpsertResultSerializer(BulkResultSerializer):
    updated = serializers.IntegerField()


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Api-Key cxt_<prefix>_<secret>`` in the OpenAPI schema
    (drf-spectacular registers the extension when this module is imported)."""

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


def detail_update_schema(request, response, put_example: dict, patch_example: dict):
    """``extend_schema_view`` of a ``DetailUpdateMixin`` endpoint: its PUT and its PATCH."""
    return extend_schema_view(
        put=update_schema(request, response, put_example), patch=update_schema(request, response, patch_example)
    )


def bulk_examples(single: dict, second: dict) -> list:
    """Request examples of a write: one object, and a list of two."""
    return [
        OpenApiExample("One object", value=single, request_only=True),
        OpenApiExample("Bulk (a list, at most 1,000 items)", value=[single, second], request_only=True),
    ]
