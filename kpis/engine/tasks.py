"""Celery tasks of the engine: thin, each loads by id and calls one service."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError
from redis.exceptions import RedisError

from cxtracker.tenancy.models import Organization

from .recompute import debounce_key, recompute_catch_up, recompute_org

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_org_task(organization_id: int) -> None:
    # Free the debounce slot first: a write from now on must schedule a new run, since this one
    # may already have read the marks.
    try:
        cache.delete(debounce_key(organization_id))
    except RedisError:
        logger.warning("Cache unreachable: debounce key of organization %s left to expire", organization_id)
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        logger.info("Organization %s is gone: nothing to recompute", organization_id)
        return
    recompute_org(org=org)


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_catch_up_task(organization_id: int) -> None:
    org = Organization.objects.filter(pk=organization_id).first()
    if org is not None:
        recompute_catch_up(org=org)


@shared_task(ignore_result=True)
def recompute_dirty_task() -> None:
    """The nightly catch-up: one task per organization, whatever happened to its debounced task
    (broker down, worker restarted), which also computes a month that has just begun."""
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        recompute_catch_up_task.delay(organization_id)
