"""One organization holding a row of every kind, for the tests that walk every URL.

Each app fills its own section: when you add a view under ``o/<slug:org>/`` whose URL takes a new
keyword argument, add the object it needs here and say in ``URL_KWARGS`` (by keyword) or in
``URL_KWARGS_BY_NAME`` (by URL name, when a keyword means different things in different URLs)
how to fill it. tests/test_tenancy.py fails on a keyword it cannot fill.
"""

import datetime

from cxtracker.tenancy.models import Role
from tests.factories import make_member, make_membership, make_tree, make_user


def _tenancy(org, w):
    w["tree"] = make_tree(org, prefix="W")
    w["unit"] = w["tree"]["T1"]
    w["member"] = make_member(org, w["unit"], code="W-E1", name="Worldly Member", active_from=datetime.date(2025, 1, 1))
    w["admin"] = make_user(f"admin@{org.slug}.example.com")
    w["admin_membership"] = make_membership(w["admin"], org, Role.ADMIN)
    w["manager"] = make_user(f"manager@{org.slug}.example.com")
    w["manager_membership"] = make_membership(w["manager"], org, Role.MANAGER, units=[w["unit"]])
    w["membership"] = w["manager_membership"]


def _experience(org, w):
    """The experience app's rows (model, dimension, behavior, journey)."""


def _deployment(org, w):
    """The deployment app's rows (observation, animation)."""


def _kpis(org, w):
    """The kpis app's rows (survey response, metric, metric value, API key)."""


def build_world(org) -> dict:
    w = {"org": org}
    for section in (_tenancy, _experience, _deployment, _kpis):
        section(org, w)
    return w


# keyword -> how to fill it from the world
URL_KWARGS = {
    "org": lambda w: w["org"].slug,
}

# URL name -> {keyword: how to fill it}, for keywords whose meaning depends on the URL
URL_KWARGS_BY_NAME: dict[str, dict] = {
    **{
        f"tenancy:unit-{action}": {"code": lambda w: w["unit"].code}
        for action in ("edit", "delete")
    },
    **{
        f"tenancy:member-{action}": {"code": lambda w: w["member"].code}
        for action in ("edit", "deactivate", "reactivate")
    },
    "tenancy:membership-edit": {"membership_id": lambda w: w["membership"].pk},
    "tenancy:membership-delete": {"membership_id": lambda w: w["membership"].pk},
}
