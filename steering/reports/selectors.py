"""Reads of the steering reports' e-mails (the sent log)."""

from django.db.models import Case, Count, IntegerField, Value, When

from cxtracker.tenancy.models import Organization
from steering.models import DeliveryStatus, ReportDelivery, Stakeholder


def delivery_list(*, org: Organization, stakeholder: Stakeholder, status: str | None = None):
    """The stakeholder's report e-mails: failed ones first (they need an admin), then the newest."""
    deliveries = ReportDelivery.objects.for_org(org).filter(stakeholder=stakeholder).select_related("user")
    if status:
        deliveries = deliveries.filter(status=status)
    failed_first = Case(
        When(status=DeliveryStatus.FAILED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return deliveries.order_by(failed_first, "-period", "-created_at", "-id")


def delivery_counts(*, org: Organization) -> dict[int, dict[str, int]]:
    """stakeholder id → status → how many e-mails."""
    counts: dict[int, dict[str, int]] = {}
    rows = ReportDelivery.objects.for_org(org).values("stakeholder_id", "status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts.setdefault(row["stakeholder_id"], {})[row["status"]] = row["n"]
    return counts
