"""Dashboards warmed ahead of their readers: a recomputation renders again the transformation
pages read lately whose figures it changes, so that no reader pays for a cold page.

The view remembers what it served (``remember``: the membership, the language, the query
string), a few dozen recent reads per organization, in the cache. The recomputation sends
``kpis.engine.recompute.snapshots_written`` inside its transaction, before it commits: the pages
are rendered there, on the new snapshots, and cached under the keys they will have once it
commits (a key holds the version of the snapshots of the page's subtree). Until the commit readers
get the previous figures, from their own warm keys; from the commit on, the new ones, warm. A
page of a subtree the recomputation left alone keeps its key and needs nothing.

A failure here is logged and leaves the recomputation whole (each page in a savepoint).
"""

from __future__ import annotations

import heapq
import logging
import time
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.http import QueryDict
from django.utils import translation

from cxtracker.tenancy.models import Membership, OrgUnit, Role, Tree
from kpis.engine.recompute import snapshots_written

from .caching import CACHE_ERRORS, outage
from .transformation.page import board_setup

logger = logging.getLogger(__name__)

# The most recent reads kept per organization, and for how long a read is worth warming again.
KEEP = 24
FORGET_SECONDS = 3600
# A recomputation waits this long at most for its pages (they hold its transaction open).
BUDGET_SECONDS = 30.0


def reads_key(organization_id: int) -> str:
    return f"cxtracker:dashboard-reads:{organization_id}"


def remember(*, org, membership, query) -> None:
    """The page for ``query`` was just served to ``membership``: warm it after recomputations."""
    if outage.skip():
        return
    recipe = (membership.pk, translation.get_language() or "fr", urlencode(sorted(query.lists()), doseq=True))
    try:
        reads = cache.get(reads_key(org.pk)) or {}
        reads[recipe] = time.time()
        newest = heapq.nlargest(KEEP, reads.items(), key=lambda item: item[1])
        cache.set(reads_key(org.pk), dict(newest), timeout=FORGET_SECONDS)
    except CACHE_ERRORS as exc:
        outage.failed(exc)


def _recent_reads(org) -> list[tuple]:
    if outage.skip():
        return []
    try:
        reads = cache.get(reads_key(org.pk)) or {}
    except CACHE_ERRORS as exc:
        outage.failed(exc)
        return []
    now = time.time()
    recent = [(seen, recipe) for recipe, seen in reads.items() if now - seen < FORGET_SECONDS]
    return [recipe for _seen, recipe in sorted(recent, reverse=True)]


def _changed_units(org, team_ids) -> set[int] | None:
    """The units whose figures the recomputation of ``team_ids`` changes: those teams and every
    unit above them (None: every unit)."""
    if team_ids is None:
        return None
    paths = OrgUnit.objects.for_org(org).filter(pk__in=team_ids).values_list("path", flat=True)
    return {pk for path in paths for pk in OrgUnit.path_ids(path)}


@receiver(snapshots_written, dispatch_uid="dashboards.warming")
def _warm(sender, *, org, team_ids, **kwargs) -> None:
    changed = _changed_units(org, team_ids)
    deadline = time.monotonic() + BUDGET_SECONDS
    for membership_pk, language, query in _recent_reads(org):
        if time.monotonic() > deadline:
            logger.info("Dashboard warming of organization %s stopped at its time budget", org.pk)
            return
        membership = Membership.objects.filter(pk=membership_pk, organization=org).first()
        if membership is None or membership.role == Role.MANAGER:
            continue  # gone, or now a manager: the page is no longer theirs
        try:
            with translation.override(language), transaction.atomic():
                setup = board_setup(org=org, membership=membership, query=QueryDict(query))
                if not setup.form.is_valid() or setup.form.cleaned_data["csv"]:
                    continue
                unit = setup.board.unit
                # As-was, a unit's past months hold teams outside its subtree today: always warmed.
                as_is = setup.board.filters.tree == Tree.AS_IS
                if as_is and changed is not None and unit is not None and unit.pk not in changed:
                    continue  # its subtree's snapshots did not change: its key neither
                setup.context()
        except Exception:
            logger.exception("Warming a dashboard of organization %s failed", org.pk)
