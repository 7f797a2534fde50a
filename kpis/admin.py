from django.contrib import admin
from django.core.exceptions import ValidationError

from cxtracker.tenancy.admin import ReadOnlyAdmin, ServiceModelAdmin

from .ingest import metric_values_ingest
from .models import DirtyPeriod, Metric, MetricValue, SurveyResponse, UploadJob


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: responses come in through the API and the uploads (``kpis.ingest``), which
    check them and mark their months; a response is what a customer said, not staff's to edit."""

    list_display = ["external_id", "organization", "unit", "responded_at", "nps", "ces", "csat", "channel"]
    list_filter = ["organization", "trigger", "channel"]
    search_fields = ["external_id", "unit__code", "comment"]
    list_select_related = ["organization", "unit"]
    date_hierarchy = "responded_at"


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organization", "category", "unit_of_measure", "higher_is_better"]
    list_filter = ["organization", "category"]
    search_fields = ["code", "name"]
    list_select_related = ["organization"]


# The ingestion's field names, as the admin form names them.
_METRIC_VALUE_FORM_FIELDS = {"metric": "metric", "unit": "unit", "period": "period_start", "value": "value"}


@admin.register(MetricValue)
class MetricValueAdmin(ServiceModelAdmin):
    """Values are written by the ingestion service, an upsert by (metric, unit, month) that checks
    them and marks their month: a change edits the value of its key only, and a value is not
    deleted here (a wrong one is corrected)."""

    list_display = ["metric", "unit", "period_start", "value", "organization", "updated_at"]
    list_filter = ["organization", "metric__code"]
    search_fields = ["unit__code", "metric__code"]
    list_select_related = ["organization", "metric", "unit"]
    raw_id_fields = ["metric", "unit"]
    fields = ["organization", "metric", "unit", "period_start", "value"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organization", "metric", "unit", "period_start"]

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, obj, form, change):
        data = form.cleaned_data
        key = self.stored(obj) if change else MetricValue(**{name: data[name] for name in self.fields[:-1]})
        item = {
            "metric": key.metric.code,
            "unit": key.unit.code,
            "period": f"{key.period_start:%Y-%m}",
            "value": data["value"],
        }
        result = metric_values_ingest(org=key.organization, items=[item]).results[0]
        if result["status"] == "rejected":
            raise ValidationError(
                {_METRIC_VALUE_FORM_FIELDS.get(field, "__all__"): errors for field, errors in result["errors"].items()}
            )
        return MetricValue.objects.for_org(key.organization).get(
            metric=key.metric, unit=key.unit, period_start=key.period_start.replace(day=1)
        )


@admin.register(DirtyPeriod)
class DirtyPeriodAdmin(admin.ModelAdmin):
    list_display = ["organization", "period_start", "team", "marked_at"]
    list_filter = ["organization"]
    list_select_related = ["organization", "team"]


@admin.register(UploadJob)
class UploadJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "organization", "kind", "status", "total", "processed", "rejected", "created_at"]
    list_filter = ["organization", "kind", "status"]
    search_fields = ["filename"]
    list_select_related = ["organization"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["created_at", "started_at", "finished_at"]
