"""Celery tasks of the steering app: its reports' e-mails. Thin: each loads by id and
calls one service of steering.reports.emails."""

import logging

from celery import shared_task
from django.db import OperationalError

from cxtracker.tenancy.models import Organization
from steering.models import Stakeholder
from steering.reports.emails import MAX_ATTEMPTS, ReportSendError, report_emails_due, report_emails_send
from steering.reports.periods import period_parse

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def report_emails_due_task() -> None:
    """The beat job: one task per organization."""
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        report_emails_org_task.delay(organization_id)


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def report_emails_org_task(organization_id: int) -> None:
    """One send task per stakeholder whose period just closed is not sent to everyone yet."""
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        return
    for stakeholder_id, period in report_emails_due(org=org):
        report_email_send_task.delay(org.pk, stakeholder_id, period)


# A failed send comes back after about 1, 2, 4, 8 minutes (jittered), then waits for an admin.
@shared_task(
    ignore_result=True,
    autoretry_for=(ReportSendError, OperationalError),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS - 1,
)
def report_email_send_task(organization_id: int, stakeholder_id: int, period: str) -> None:
    org = Organization.objects.filter(pk=organization_id).first()
    stakeholder = Stakeholder.objects.for_org(org).filter(pk=stakeholder_id).first() if org else None
    if stakeholder is None:
        logger.info("Stakeholder %s of organization %s is gone: no report to send", stakeholder_id, organization_id)
        return
    report_emails_send(org=org, stakeholder=stakeholder, period=period_parse(stakeholder, period))
