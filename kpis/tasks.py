"""Celery tasks of the kpis app: thin, each loads by id and calls one service."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError

from cxtracker.tenancy.models import Organization

from .models import DirtyPeriod
from .recompute import debounce_key, recompute_org

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_org_task(organization_id: int) -> None:
    # Free the debounce slot first: a write from now on must schedule a new run, since this one
    # may already have read the marks.
    cache.delete(debounce_key(organization_id))
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        logger.info("Organization %s is gone: nothing to recompute", organization_id)
        return
    recompute_org(org=org)


@shared_task(ignore_result=True)
def recompute_dirty_task() -> None:
    """The nightly catch-up: every organization with a dirty month, whatever happened to its
    debounced task (broker down, worker restarted)."""
    ids = DirtyPeriod.objects.order_by().values_list("organization_id", flat=True).distinct()
    for org in Organization.objects.filter(pk__in=list(ids)):
        recompute_org(org=org)


@shared_task(ignore_result=True)
def upload_process_task(upload_id: int) -> None:
    from .uploads import upload_process

    upload_process(upload_id=upload_id)
