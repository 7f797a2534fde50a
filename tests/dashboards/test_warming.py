"""A recomputation warms the transformation pages read lately whose figures it changes, on the
new snapshots and before it commits: the next reader of the organization's page, or of the changed
team's region, pays no lag fit and no board; a region the recomputation left alone kept its key;
a page nobody read is not computed ahead.

The organization is tests/dashboards/test_transformation.py's ``world``: T3 in business unit B of
region R, T4 and T5 in B2 of region R2."""

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.utils import translation

from cxtracker.months import Month
from dashboards import caching, warming
from dashboards.transformation.page import board_setup
from deployment.services import observation_create
from experience.models import Behavior
from kpis.engine.recompute import recompute_org
from tests.dashboards.test_transformation import FILTERS, _at, world  # noqa: F401 - the fixture
from tests.dashboards.test_transformation_cache import _get, fits  # noqa: F401 - the fixture


def _warm(org, membership, **params) -> bool:
    """Whether the page for ``params`` is in the cache under the key it has now (in English, as
    ``_get`` reads it)."""
    with translation.override("en"):
        query = QueryDict(mutable=True)
        query.update({**FILTERS, **params})
        setup = board_setup(org=org, membership=membership, query=query)
        return caching.lookup("transformation-page", setup.inputs) is not None


@pytest.fixture
def reads(world, org):  # noqa: F811 - the fixture
    cache.delete(warming.reads_key(org.pk))
    yield
    cache.delete(warming.reads_key(org.pk))


def _observe_mastery(org, team) -> None:
    """One coaching observation in October 2026 rating the last member of ``team`` 4 on salue-30s."""
    behavior = Behavior.objects.for_org(org).get(code="salue-30s")
    member = team.members.order_by("code").last()
    at = _at(Month(2026, 10))
    observation_create(org=org, member=member, observer=None, observed_at=at, kind="coaching", ratings=[(behavior, 4)])


def test_a_recomputation_warms_the_pages_read_that_it_changes(client, world, org, executive, reads, fits):  # noqa: F811
    membership = executive.memberships.get(organization=org)
    for unit in (None, "R", "R2"):
        _get(client, executive, org, **({"unit": unit} if unit else {}))
    fits.clear()
    _observe_mastery(org, world["T3"])
    recompute_org(org=org)

    # The organization and region R are warm under their new keys; region R2's key did not move.
    assert [_warm(org, membership, **p) for p in ({}, {"unit": "R"}, {"unit": "R2"})] == [True] * 3
    # The business unit B (never read) was not computed ahead: the test can tell warm from cold.
    assert not _warm(org, membership, unit="B")
    fitted_while_warming = list(fits)
    assert fitted_while_warming  # the organization's and R's fits moved with T3's figures
    for unit in (None, "R", "R2"):
        _get(client, executive, org, **({"unit": unit} if unit else {}))
    assert fits == fitted_while_warming  # the readers paid for none


def test_warming_leaves_a_page_read_by_a_member_now_a_manager(client, world, org, executive, reads, fits):  # noqa: F811
    _get(client, executive, org)
    membership = executive.memberships.get(organization=org)
    membership.role = "manager"
    membership.save(update_fields=["role"])
    _observe_mastery(org, world["T4"])
    fits.clear()
    recompute_org(org=org)
    assert fits == []
