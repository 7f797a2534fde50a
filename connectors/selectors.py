"""Reads of the connectors."""

from django.http import Http404

from cxtracker.tenancy.models import Organization

from .models import WEBHOOK_TOOLS, Connector, Delivery


def connector_list(*, org: Organization):
    return Connector.objects.for_org(org).select_related("created_by")


def delivery_list(*, connector: Connector):
    return Delivery.objects.for_org(connector.organization).filter(connector=connector)


def connector_for_inbound(*, pk) -> Connector:
    """The webhook connector a tool posts to, found by its id alone: here the connector decides the
    organization (nobody is logged in), and only its own secret or key lets a delivery in."""
    connector = (
        Connector.objects.select_related("organization").filter(pk=pk, tool__in=WEBHOOK_TOOLS).first()
        if str(pk).isdigit()
        else None
    )
    if connector is None:
        raise Http404
    return connector
