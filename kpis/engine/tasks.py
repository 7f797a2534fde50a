"""Celery tasks of the engine: thin, each loads by id and calls one service.

``acks_late`` with ``reject_on_worker_lost`` (settings): a recomputation whose worker dies midway
is delivered again; and whatever is lost, the marks stay due and the next sweep sends it again.
"""

import logging

from celery import shared_task
from django.db import OperationalError

from cxtracker.queue import BrokerUnavailable, enqueue, heartbeat
from cxtracker.tenancy.models import Organization

from .marks import organizations_due
from .recompute import recompute_catch_up, recompute_org

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "kpis.engine.tasks.recompute_org_task"
# A sweep's task not started by the next sweep is dropped: that sweep sends a fresh one.
SWEEP_SECONDS = 60


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_org_task(organization_id: int) -> None:
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        logger.info("Organization %s is gone: nothing to recompute", organization_id)
        return
    # Another recomputation of the organization is running: it, or the next sweep, does the rest.
    recompute_org(org=org, wait=False)


@shared_task(ignore_result=True)
def recompute_due_task() -> None:
    """The sweep, every minute: one recomputation per organization with a mark due. It also tells
    the readiness check that beat and a worker are alive."""
    heartbeat()
    for organization_id in organizations_due():
        try:
            enqueue(RECOMPUTE_TASK, organization_id, expires=SWEEP_SECONDS)
        except BrokerUnavailable:
            logger.warning("Broker unreachable: the next sweep recomputes organization %s", organization_id)
            return


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_catch_up_task(organization_id: int) -> None:
    org = Organization.objects.filter(pk=organization_id).first()
    if org is not None:
        recompute_catch_up(org=org)


@shared_task(ignore_result=True)
def recompute_dirty_task() -> None:
    """The nightly catch-up: one task per organization, due marks or not, which also computes a
    month that has just begun."""
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        recompute_catch_up_task.delay(organization_id)
