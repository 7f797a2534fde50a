"""REST endpoints of the inbound connectors (SPEC §5): ``/api/v1/connectors/`` (list, create),
``/api/v1/connectors/<id>/`` (read, change the name or the mapping, delete) and
``/api/v1/connectors/<id>/inbound/``, where the tool posts; that one is not an OrgApiView: the
connector decides the organization, and its signature (or an API key of its organization) is the
only credential."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cxtracker.api import ERROR_RESPONSE, OrgApiView, StrictCharField, StrictSerializer, errors_of

from . import services
from .models import Connector, ConnectorAuth, ConnectorTool
from .selectors import connector_for_inbound


def inbound_url(request, connector: Connector) -> str:
    return request.build_absolute_uri(reverse("api-connector-inbound", kwargs={"pk": connector.pk}))


class ConnectorSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where the tool posts (webhook tools).")

    class Meta:
        model = Connector
        fields = ["id", "name", "tool", "auth", "mapping", "url", "created_at"]

    def get_url(self, obj) -> str | None:
        return inbound_url(self.context["request"], obj) if obj.is_webhook else None


class ConnectorWriteSerializer(StrictSerializer):
    tool = serializers.ChoiceField(choices=ConnectorTool.choices)
    name = StrictCharField(max_length=100)
    mapping = serializers.DictField(
        help_text="Survey-response field → source: an answer's ref or id, hidden.<name>, a dotted path, "
        "or =constant; trigger also takes hot or cold."
    )
    secret = StrictCharField(
        max_length=200, required=False, allow_blank=True, help_text="The tool's signing secret; generated if absent."
    )
    auth = serializers.ChoiceField(choices=ConnectorAuth.choices, required=False)


class ConnectorCreatedSerializer(ConnectorSerializer):
    secret = serializers.CharField(help_text="Shown once: configure it in the tool.")

    class Meta(ConnectorSerializer.Meta):
        fields = [*ConnectorSerializer.Meta.fields, "secret"]


class ConnectorChangeSerializer(StrictSerializer):
    name = StrictCharField(max_length=100, required=False)
    mapping = serializers.DictField(required=False)


CONNECTOR_EXAMPLE = {
    "tool": "typeform",
    "name": "Boutiques à chaud",
    "mapping": {
        "nps": "nps_ref",
        "csat": "csat_ref",
        "comment": "comment_ref",
        "unit": "hidden.store",
        "journey": "hidden.journey",
        "trigger": "hot",
    },
}


class _ConnectorApi(OrgApiView):
    model = Connector
    serializer_class = ConnectorSerializer

    def org_queryset(self):
        return Connector.objects.for_org(self.org)


class ConnectorListApi(mixins.ListModelMixin, _ConnectorApi):
    """The organization's inbound connectors; a POST creates one (its secret in the answer only)."""

    def get(self, request):
        return self.list(request)

    @extend_schema(
        request=ConnectorWriteSerializer,
        responses={201: ConnectorCreatedSerializer, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE},
        examples=[OpenApiExample("Typeform", value=CONNECTOR_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        serializer = ConnectorWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            connector = services.connector_create(org=self.org, **serializer.validated_data)
        except ValidationError as exc:
            return Response(errors_of(exc), status=status.HTTP_400_BAD_REQUEST)
        body = ConnectorCreatedSerializer(connector, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ConnectorDetailApi(mixins.RetrieveModelMixin, _ConnectorApi):
    """One connector; PATCH changes its name or its mapping, DELETE removes it and its deliveries
    (the survey responses it brought stay)."""

    def get(self, request, pk):
        return self.retrieve(request, pk=pk)

    @extend_schema(
        request=ConnectorChangeSerializer,
        responses={200: ConnectorSerializer, 400: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "Fix the mapping",
                value={"mapping": {**CONNECTOR_EXAMPLE["mapping"], "unit": "hidden.magasin"}},
                request_only=True,
            )
        ],
    )
    def patch(self, request, pk):
        serializer = ConnectorChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            connector = self.get_object()
            try:
                services.connector_update(connector=connector, **serializer.validated_data)
            except ValidationError as exc:
                return Response(errors_of(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(connector).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RawBodyParser(BaseParser):
    """The body is read raw (``request.body``): a signature is over the bytes as sent."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


class ConnectorInboundApi(APIView):
    """Where the survey tool posts: ``201 {"created": 1}``, ``200 {"duplicate": 1}`` (the tool's
    response id was received already) or ``{"ignored": 1}`` (an event with no response to store),
    ``401`` on a bad or missing signature or a timestamp more than 5 minutes away, ``422`` naming
    what could not be mapped or stored."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description='{"created": 1}'),
            200: OpenApiResponse(OpenApiTypes.OBJECT, description='{"duplicate": 1} or {"ignored": 1}'),
            401: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            422: OpenApiResponse(OpenApiTypes.OBJECT, description='{"rejected": 1, "errors": {"unit": ["…"]}}'),
        },
        auth=[],
    )
    def post(self, request, pk):
        connector = connector_for_inbound(pk=pk)
        # The tool names no language: the answer and the delivery's reason are in the organization's.
        with translation.override(connector.organization.language):
            _delivery, outcome = services.delivery_receive(connector=connector, request=request)
        return Response(outcome.body, status=outcome.http_status)
