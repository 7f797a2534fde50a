from django.contrib import admin

from .models import DirtyPeriod, Metric, MetricValue, SurveyResponse, UploadJob


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["external_id", "organization", "unit", "responded_at", "nps", "ces", "csat", "channel"]
    list_filter = ["organization", "trigger", "channel"]
    search_fields = ["external_id", "unit__code", "comment"]
    list_select_related = ["organization", "unit"]
    raw_id_fields = ["unit"]
    date_hierarchy = "responded_at"


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organization", "category", "unit_of_measure", "higher_is_better"]
    list_filter = ["organization", "category"]
    search_fields = ["code", "name"]
    list_select_related = ["organization"]


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    list_display = ["metric", "unit", "period_start", "value", "organization", "updated_at"]
    list_filter = ["organization", "metric__code"]
    search_fields = ["unit__code", "metric__code"]
    list_select_related = ["organization", "metric", "unit"]
    raw_id_fields = ["metric", "unit"]


@admin.register(DirtyPeriod)
class DirtyPeriodAdmin(admin.ModelAdmin):
    list_display = ["organization", "period_start", "marked_at"]
    list_filter = ["organization"]
    list_select_related = ["organization"]


@admin.register(UploadJob)
class UploadJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "organization", "kind", "status", "total", "processed", "rejected", "created_at"]
    list_filter = ["organization", "kind", "status"]
    search_fields = ["filename"]
    list_select_related = ["organization"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["created_at", "started_at", "finished_at"]
