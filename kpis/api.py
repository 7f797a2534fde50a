"""REST endpoints of customer feedback and business results: ``/api/v1/survey-responses/``,
``/api/v1/metric-values/`` and ``/api/v1/metrics/`` (SPEC §5, §8).

Survey responses and metric values are written by ``kpis.ingest`` (one INSERT per batch), the
same code the browser's file upload uses; metric definitions by ``kpis.services``.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from cxtracker.api import (
    FROM_PARAM,
    TO_PARAM,
    UNIT_PARAM,
    DetailUpdateMixin,
    OrgApiView,
    StrictCharField,
    StrictSerializer,
    UpsertListMixin,
    bulk_examples,
    detail_update_schema,
    write_items,
    write_response,
    write_schema,
)
from cxtracker.tenancy.models import code_validator

from .ingest import (
    COMMENT_MAX_LENGTH,
    METRIC_VALUE_FIELDS,
    SURVEY_RESPONSE_FIELDS,
    metric_values_ingest,
    survey_responses_ingest,
)
from .models import Metric, MetricCategory, MetricValue, SurveyResponse, SurveyTrigger
from .services import ServiceError, metric_create, metric_update

# --- survey responses ------------------------------------------------------------------------


class SurveyResponseWriteSerializer(serializers.Serializer):
    """The request body, for the schema: kpis.ingest validates it."""

    external_id = serializers.CharField(max_length=128, help_text="Your id of the response: the idempotency key.")
    unit = serializers.CharField(help_text="The code of a team.")
    responded_at = serializers.DateTimeField(help_text="ISO 8601 with its offset, not in the future.")
    nps = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    ces = serializers.IntegerField(min_value=1, max_value=7, required=False, allow_null=True)
    csat = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    channel = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    journey = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    trigger = serializers.ChoiceField(choices=SurveyTrigger.choices, required=False, allow_blank=True, allow_null=True)
    segment = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The verbatim. E-mail addresses, phone numbers, IBANs and card numbers in it are stored as markers "
        "([e-mail], [téléphone], [IBAN], [carte] in a French organization).",
    )
    aspects = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False, allow_null=True
    )
    respondent = serializers.CharField(
        max_length=256,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The respondent's id in your survey tool: stored only as a hash salted per organization.",
    )


class SurveyResponseSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    responded_at = serializers.DateTimeField(read_only=True)
    aspects = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = SurveyResponse
        # What a client sends (the respondent pseudonymized), and when it was received.
        fields = [*SURVEY_RESPONSE_FIELDS, "respondent_hash", "created_at"]


SURVEY_EXAMPLE = {
    "external_id": "qx-778812",
    "unit": "T-LILLE-1",
    "responded_at": "2026-03-11T18:02:00+01:00",
    "nps": 9,
    "ces": 6,
    "csat": 5,
    "channel": "store",
    "journey": "purchase",
    "trigger": "event",
    "segment": "loyalty-gold",
    "comment": "Très bon accueil",
    "aspects": {"accueil": 5},
}
SURVEY_FILTERS = ("journey", "segment", "channel", "trigger")


class SurveyResponseListApi(mixins.ListModelMixin, OrgApiView):
    """Survey responses, newest first; a POST stores one or a list of up to 1,000, idempotent by
    ``external_id``."""

    model = SurveyResponse
    serializer_class = SurveyResponseSerializer

    def org_queryset(self):
        return SurveyResponse.objects.for_org(self.org).filter(self.scope_q("unit__")).select_related("unit")

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "unit__")
        queryset = self.moment_filter(queryset, "responded_at")
        return self.choice_filters(queryset, SURVEY_FILTERS)

    @extend_schema(
        parameters=[UNIT_PARAM, FROM_PARAM, TO_PARAM, *(OpenApiParameter(f, OpenApiTypes.STR) for f in SURVEY_FILTERS)]
    )
    def get(self, request):
        return self.list(request)

    @write_schema(
        "SurveyResponse",
        SurveyResponseWriteSerializer,
        SurveyResponseSerializer,
        examples=bulk_examples(SURVEY_EXAMPLE, {**SURVEY_EXAMPLE, "external_id": "qx-778813", "nps": 4}),
    )
    def post(self, request):
        items, bulk = write_items(request)
        result = survey_responses_ingest(org=self.org, items=items)
        return write_response(result, bulk, lambda: self._stored(items[0]))

    def _stored(self, item: dict) -> dict:
        row = (
            SurveyResponse.objects.for_org(self.org).select_related("unit").get(external_id=item["external_id"].strip())
        )
        return SurveyResponseSerializer(row).data


class SurveyResponseDetailApi(mixins.RetrieveModelMixin, OrgApiView):
    model = SurveyResponse
    serializer_class = SurveyResponseSerializer
    lookup_field = lookup_url_kwarg = "external_id"

    def org_queryset(self):
        return SurveyResponse.objects.for_org(self.org).filter(self.scope_q("unit__")).select_related("unit")

    def get(self, request, external_id):
        return self.retrieve(request, external_id=external_id)


# --- metric values ---------------------------------------------------------------------------


class MetricValueSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.SerializerMethodField()

    class Meta:
        model = MetricValue
        fields = [*METRIC_VALUE_FIELDS, "updated_at"]

    def get_period(self, obj) -> str:
        return obj.period_start.strftime("%Y-%m")


class MetricValueWriteSerializer(serializers.Serializer):
    """The request body, for the schema: kpis.ingest validates it."""

    metric = serializers.CharField(help_text="A metric code of the organization.")
    unit = serializers.CharField(help_text="A unit code.")
    period = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="The month, YYYY-MM.")
    value = serializers.FloatField()


METRIC_VALUE_EXAMPLE = {"metric": "revenue", "unit": "T-LILLE-1", "period": "2026-03", "value": 182340.5}


class MetricValueListApi(mixins.ListModelMixin, OrgApiView):
    """Business and operational values per unit and month; a POST upserts one or a list by
    (metric, unit, period)."""

    model = MetricValue
    serializer_class = MetricValueSerializer

    def org_queryset(self):
        # A total order, so that pages neither repeat nor skip rows.
        return (
            MetricValue.objects.for_org(self.org)
            .filter(self.scope_q("unit__"))
            .select_related("metric", "unit")
            .order_by("-period_start", "metric__code", "unit__path")
        )

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "unit__")
        start, end = self.date_range()
        if start:
            queryset = queryset.filter(period_start__gte=start.replace(day=1))
        if end:
            queryset = queryset.filter(period_start__lt=end)
        metric = self.request.query_params.get("metric")
        if metric:
            queryset = queryset.filter(metric__code=metric)
        return queryset

    @extend_schema(parameters=[UNIT_PARAM, FROM_PARAM, TO_PARAM, OpenApiParameter("metric", OpenApiTypes.STR)])
    def get(self, request):
        return self.list(request)

    @write_schema(
        "MetricValue",
        MetricValueWriteSerializer,
        MetricValueSerializer,
        upsert=True,
        examples=bulk_examples(METRIC_VALUE_EXAMPLE, {**METRIC_VALUE_EXAMPLE, "metric": "contacts", "value": 1250}),
    )
    def post(self, request):
        items, bulk = write_items(request)
        result = metric_values_ingest(org=self.org, items=items)
        return write_response(result, bulk, lambda: self._stored(items[0]))

    def _stored(self, item: dict) -> dict:
        year, month = item["period"].strip().split("-")
        row = (
            MetricValue.objects.for_org(self.org)
            .select_related("metric", "unit")
            .get(
                metric__code=item["metric"].strip(),
                unit__code=item["unit"].strip(),
                period_start=datetime.date(int(year), int(month), 1),
            )
        )
        return MetricValueSerializer(row).data


# --- metrics ---------------------------------------------------------------------------------


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = ["code", "name", "category", "unit_of_measure", "higher_is_better"]


class MetricWriteSerializer(StrictSerializer):
    code = StrictCharField(max_length=64, validators=[code_validator])
    name = StrictCharField(max_length=200)
    category = serializers.ChoiceField(choices=MetricCategory.choices)
    unit_of_measure = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    higher_is_better = serializers.BooleanField(required=False, default=True)


def metric_write(*, org, data: dict, instance: Metric | None = None, partial=False):
    """Create or update one metric definition by code; ``(metric, status)``."""
    serializer = MetricWriteSerializer(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    values = serializer.validated_data
    if instance is None:
        instance = Metric.objects.for_org(org).select_for_update().filter(code=values["code"]).first()
    try:
        if instance is None:
            try:
                with transaction.atomic():
                    return metric_create(org=org, **values), "created"
            except ServiceError:
                instance = Metric.objects.for_org(org).select_for_update().get(code=values["code"])
        return metric_update(metric=instance, **values), "updated"
    except (ServiceError, IntegrityError) as exc:
        raise ValidationError({"code": str(exc) or _("Another metric already has this code.")}) from None


METRIC_CHANGE = {"name": "Panier moyen", "category": "business", "unit_of_measure": "€", "higher_is_better": True}
METRIC_EXAMPLE = {
    "code": "nps_digital",
    "name": "Digital conversion",
    "category": "business",
    "unit_of_measure": "%",
    "higher_is_better": True,
}


class _MetricApi(OrgApiView):
    model = Metric
    serializer_class = MetricSerializer

    def org_queryset(self):
        return Metric.objects.for_org(self.org).order_by("category", "name", "code")

    def write(self, **kwargs):
        return metric_write(org=self.org, **kwargs)


@extend_schema_view(
    post=write_schema(
        "Metric",
        MetricWriteSerializer,
        MetricSerializer,
        upsert=True,
        examples=bulk_examples(METRIC_EXAMPLE, {**METRIC_EXAMPLE, "code": "returns", "higher_is_better": False}),
    )
)
class MetricListApi(mixins.ListModelMixin, UpsertListMixin, _MetricApi):
    """The organization's metric definitions; a POST creates or updates them by code."""

    def get(self, request):
        return self.list(request)


@detail_update_schema(MetricWriteSerializer, MetricSerializer, METRIC_CHANGE, {"unit_of_measure": "k€"})
class MetricDetailApi(mixins.RetrieveModelMixin, DetailUpdateMixin, _MetricApi):
    pass
