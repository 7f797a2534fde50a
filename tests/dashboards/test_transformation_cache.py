"""The dashboard's lag fit is cached on what it is computed from: the same answer is reused until the
snapshots are recomputed, a business metric's values change or the unit's teams change; with the
cache down the page is computed as before.

The organization is tests/dashboards/test_transformation.py's ``world``."""

import contextlib

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

import dashboards.transformation
from cxtracker.months import Month
from cxtracker.tenancy.models import UnitKind
from dashboards import caching
from kpis.ingest import metric_values_ingest
from kpis.services import snapshots_recompute
from tests.dashboards.test_transformation import FILTERS, world  # noqa: F401 - the fixture
from tests.factories import make_member, make_unit

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def fits(monkeypatch):
    """The lag fits the dashboard runs: one entry (the outcome) per call of kpis.lag.lag_analysis."""
    calls = []
    real = dashboards.transformation.lag_analysis

    def counting(panel, **kwargs):
        calls.append(kwargs.get("outcome"))
        return real(panel, **kwargs)

    monkeypatch.setattr(dashboards.transformation, "lag_analysis", counting)
    caching.outage.reset()
    yield calls
    caching.outage.reset()


def _get(client, user, org, **params):
    client.force_login(user)
    url = reverse("dashboards:transformation", kwargs={"org": org.slug})
    response = client.get(url, {**FILTERS, **params}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


@contextlib.contextmanager
def cache_down():
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}
    with override_settings(CACHES=caches):
        caching.outage.reset()
        try:
            yield
        finally:
            caching.outage.reset()


def test_the_lag_is_fitted_once_until_the_snapshots_change(client, world, executive, org, fits):  # noqa: F811
    first = _get(client, executive, org).context["board"].lag
    again = _get(client, executive, org).context["board"].lag
    assert fits == ["nps"]
    assert again["result"] == first["result"] and again["sentence"] == first["sentence"]
    # Another outcome, another unit: answers of their own.
    _get(client, executive, org, lag="csat")
    _get(client, executive, org, unit="B")
    assert fits == ["nps", "csat", "nps"]
    # A recomputation, of one team (the debounced task's) or of whole months, moves the snapshots'
    # version: fitted again, then reused again.
    snapshots_recompute(org=org, months=[Month(2026, 10)], teams=[world["T3"]])
    _get(client, executive, org)
    _get(client, executive, org)
    assert fits == ["nps", "csat", "nps", "nps"]
    snapshots_recompute(org=org, months=[Month(2026, 9)])
    _get(client, executive, org)
    assert fits == ["nps", "csat", "nps", "nps", "nps"]


def test_a_metrics_new_values_or_the_units_teams_refit(client, world, executive, org, fits):  # noqa: F811
    _get(client, executive, org, lag="revenue")
    _get(client, executive, org, lag="revenue")
    assert fits == ["revenue"]
    result = metric_values_ingest(org=org, items=[{"metric": "revenue", "unit": "T5", "period": "2026-09", "value": 1}])
    assert result.created == 1
    _get(client, executive, org, lag="revenue")
    assert fits == ["revenue", "revenue"]
    # A team moved into Marseille (no recomputation: roll-ups read the tree) changes its panel.
    _get(client, executive, org, unit="B2")
    moved = make_unit(org, UnitKind.TEAM, world["B2"], code="T6", name="Marseille 3")
    make_member(org, moved, code="T6-M0")
    _get(client, executive, org, unit="B2")
    assert fits == ["revenue", "revenue", "nps", "nps"]


def test_with_the_cache_down_the_dashboard_is_computed(client, world, executive, org, fits):  # noqa: F811
    cached = _get(client, executive, org).context["board"].lag
    with cache_down():
        with pytest.raises(caching.CACHE_ERRORS):
            cache.get("anything")  # really unreachable
        caching.outage.reset()
        down = _get(client, executive, org)
        _get(client, executive, org)
        assert down.context["board"].lag["result"] == cached["result"]
        assert b'id="figure-trend"' in down.content
    assert fits == ["nps", "nps", "nps"]
