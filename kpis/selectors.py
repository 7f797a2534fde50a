"""Reads of the kpis app's setup screens: metrics and uploads. The figures are read by the engine
(``kpis.engine``)."""

from django.db.models import Count

from cxtracker.tenancy.models import Organization

from .models import Metric, UploadJob


def metric_list(*, org: Organization):
    return Metric.objects.for_org(org).annotate(value_count=Count("values")).order_by("category", "name")


def upload_list(*, org: Organization):
    return UploadJob.objects.for_org(org).select_related("created_by").defer("errors")
