"""The dashboard's answers are cached on what they are computed from, and only on that: the page and
its lag fit are reused until the snapshots are recomputed (whole months or one team), a unit is
renamed or moved, an action plan or a business metric's value is written, a setting changes; who
reads and in which language get answers of their own; with the cache down the page is computed as
before.

The organization is tests/dashboards/test_transformation.py's ``world`` (Lille 1, three members,
hidden from an executive with its sibling Lille 2)."""

import contextlib
import datetime

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

import kpis.engine.panel
from cxtracker.months import Month
from cxtracker.tenancy.models import UnitKind
from dashboards import caching
from deployment.services import observation_create
from experience.models import Behavior
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.recompute import snapshots_recompute
from kpis.engine.targets import Target
from kpis.ingest import metric_values_ingest
from steering.models import ActionPlan
from tests.dashboards.test_transformation import FILTERS, PARIS, SPAN, _figure, world  # noqa: F401 - the fixture
from tests.factories import make_member, make_unit

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def fits(monkeypatch):
    """The lag fits the dashboard runs: one entry (the outcome) per call of kpis.engine.lag.lag_analysis."""
    calls = []
    real = kpis.engine.panel.lag_analysis

    def counting(panel, **kwargs):
        calls.append(kwargs.get("outcome"))
        return real(panel, **kwargs)

    monkeypatch.setattr(kpis.engine.panel, "lag_analysis", counting)
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
    first = _get(client, executive, org)
    again = _get(client, executive, org)
    assert fits == ["nps"]
    sentence = first.context["board"].lag["sentence"]
    assert sentence in first.content.decode() and sentence in again.content.decode()
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


def _section(response, name: str) -> str:
    """The HTML of the board (below the filters) or of its tiles."""
    body = response.content.decode()
    if name == "tiles":
        start = body.index('<section class="tiles"')
        return body[start : body.index("</section>", start)]
    return body[body.index('<p class="muted period-line">') : body.index("</main>")]


def _rows(response) -> dict:
    return {r["code"]: r for r in response.context["board"].table}


def test_the_page_is_computed_once_then_read_from_the_cache(client, world, executive, org, fits):  # noqa: F811
    first = _get(client, executive, org, unit="B")
    again = _get(client, executive, org, unit="B")
    assert fits == ["nps"], "the second page came from the cache"
    for chart in ("trend", "children", "heatmap", "scatter"):
        assert _figure(again, chart) == _figure(first, chart)
    assert _section(again, "tiles") == _section(first, "tiles")
    assert "csrfmiddlewaretoken" not in _section(first, "board"), "no token in the cached board"
    # The page around the figures is rendered for each request (the log-out form's CSRF token).
    assert again.content.count(b"<tr data-href") == first.content.count(b"<tr data-href") == 3
    # The CSV of a cached page is that page's chart, the same as computed alone.
    url = reverse("dashboards:transformation", kwargs={"org": org.slug})
    cached_csv = client.get(url, {**FILTERS, "unit": "B", "csv": "children"}, HTTP_ACCEPT_LANGUAGE="en")
    with cache_down():
        computed_csv = client.get(url, {**FILTERS, "unit": "B", "csv": "children"}, HTTP_ACCEPT_LANGUAGE="en")
    assert cached_csv.content == computed_csv.content


def test_a_recomputation_shows_at_once(client, world, executive, org, fits):  # noqa: F811
    before = _rows(_get(client, executive, org, unit="B"))["T3"]["transformation_rate"]
    behaviors = list(Behavior.objects.filter(organization=org))
    member = world["T3"].members.order_by("code").last()
    observation_create(
        org=org,
        member=member,
        observer=None,
        observed_at=datetime.datetime(2026, 10, 20, 10, tzinfo=PARIS),
        kind="coaching",
        ratings=[(b, 4) for b in behaviors],
    )
    snapshots_recompute(org=org, months=[Month(2026, 10)], teams=[world["T3"]])
    after = _rows(_get(client, executive, org, unit="B"))["T3"]["transformation_rate"]
    [engine] = rates_read(org=org, targets=[Target(world["T3"])], periods=[SPAN], reader=Reader.protected())
    assert after == engine["transformation_rate"] and after > before


def test_a_rename_a_plan_a_metric_value_and_a_setting_show_at_once(client, world, executive, org, fits):  # noqa: F811
    _get(client, executive, org, unit="B")
    world["T3"].name = "Lille Centre"
    world["T3"].save()
    assert _rows(_get(client, executive, org, unit="B"))["T3"]["name"] == "Lille Centre"

    ActionPlan.objects.create(
        organization=org,
        title="Greet within 30 s",
        unit=world["T3"],
        status="in_progress",
        start_on=datetime.date(2026, 9, 5),
        due_on=datetime.date(2099, 3, 31),
    )
    fig = _figure(_get(client, executive, org, unit="B"), "trend")
    assert [t["customdata"][0][0] for t in fig["data"] if t["name"] == "Action plans"] == ["Greet within 30 s"]

    metric_values_ingest(org=org, items=[{"metric": "revenue", "unit": "T3", "period": "2026-10", "value": 2000}])
    fig = _figure(_get(client, executive, org, unit="T3"), "trend")
    [revenue] = [t for t in fig["data"] if t.get("yaxis") == "y3"]
    assert revenue["y"] == [1000.0, 1500.0, 2000.0]

    # Lille 1 and 2 are hidden from an executive at a minimum of 5; at 3 nothing is.
    assert _rows(_get(client, executive, org, unit="B"))["T2"]["suppressed"] is True
    org.min_group_size = 3
    org.save()
    assert _rows(_get(client, executive, org, unit="B"))["T2"]["suppressed"] is False


def test_each_reader_and_language_has_its_own_answer(client, world, executive, admin, org, fits):  # noqa: F811
    # An admin sees the individuals' groups: Lille 1 is shown to them, never to the executive.
    assert _rows(_get(client, admin, org, unit="B"))["T1"]["suppressed"] is False
    assert _rows(_get(client, executive, org, unit="B"))["T1"]["suppressed"] is True
    english = _get(client, executive, org, unit="B")
    client.force_login(executive)
    url = reverse("dashboards:transformation", kwargs={"org": org.slug})
    french = client.get(url, {**FILTERS, "unit": "B"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert _figure(english, "trend")["layout"]["title"]["text"] == "Deployment and transformation over time"
    assert _figure(french, "trend")["layout"]["title"]["text"] != "Deployment and transformation over time"
