"""Reads of the kpis app's setup screens."""

from django.db.models import Count, F

from cxtracker.tenancy.models import ApiKey, Organization

from .models import Metric, UploadJob


def api_key_list(*, org: Organization):
    """Active keys first, newest first; then the revoked ones."""
    return (
        ApiKey.objects.for_org(org)
        .select_related("created_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-created_at")
    )


def metric_list(*, org: Organization):
    return Metric.objects.for_org(org).annotate(value_count=Count("values")).order_by("category", "name")


def upload_list(*, org: Organization):
    return UploadJob.objects.for_org(org).select_related("created_by").defer("errors")
