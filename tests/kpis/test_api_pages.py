"""The rates and KPIs APIs read only the units of the page asked for: every page, whatever its
size and wherever it cuts a unit's periods, holds exactly the rows of one long answer, in order."""

import datetime

import pytest
from django.utils import timezone

from cxtracker.months import Month
from deployment.services import observation_create
from experience.services import experience_model_create_from_json
from kpis.engine.recompute import snapshots_recompute
from kpis.ingest import survey_responses_ingest
from tests.api.conftest import MODEL_JSON, Api, make_api_key
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(org, tree):
    """Four months of T1, T2 and T3 (5, 2 and 6 members): ratings and responses in two of them."""
    model = experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    behaviors = list(model.behaviors.all())
    current = Month.of(org.today())
    members = {code: [make_member(org, tree[code]) for _ in range(n)] for code, n in (("T1", 5), ("T2", 2), ("T3", 6))}
    now = timezone.now()
    for i, member in enumerate([*members["T1"], *members["T3"]]):
        observation_create(
            org=org,
            member=member,
            observer=None,
            observed_at=now - datetime.timedelta(days=40 if i % 2 else 1),
            kind="observation",
            ratings=[(b, 2 + i % 3) for b in behaviors],
        )
    items = [
        {"external_id": f"r{i}", "unit": ("T1", "T2", "T3")[i % 3], "responded_at": now.isoformat(), "nps": i % 11}
        for i in range(40)
    ]
    assert survey_responses_ingest(org=org, items=items).created == 40
    snapshots_recompute(org=org, months=Month.range(current.shift(-3), current))
    return {"from": str(current.shift(-3)), "to": str(current)}


def _pages(api, path, params, size):
    rows, page = [], 1
    while True:
        response = api.get(path, {**params, "page_size": size, "page": page})
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        if body["next"] is None:
            return body["count"], rows
        page += 1


@pytest.mark.parametrize("path", ["/api/v1/rates/", "/api/v1/kpis/"])
@pytest.mark.parametrize("level", ["team", "business_unit", None])
def test_pages_put_together_are_the_whole_answer(client, org, figures, path, level):
    api = Api(client, make_api_key(org, scopes=["read"]))
    params = {**figures, **({"level": level} if level else {})}
    count, whole = _pages(api, path, params, 1000)
    assert count == len(whole) == {"team": 12, "business_unit": 8, None: 4}[level]
    for size in (1, 3, 5):
        assert _pages(api, path, params, size) == (count, whole)
    assert api.get(path, {**params, "page": 99}).status_code == 404


def test_an_executives_pages_keep_the_small_teams_hidden(client, org, figures, executive):
    """T2 (2 members) is hidden from an executive, with T1 its smallest sibling, on every page."""
    client.force_login(executive)
    api = Api(client)
    params = {**figures, "level": "team"}
    count, whole = _pages(api, "/api/v1/rates/", params, 1000)
    hidden = {(r["unit"], r["period"]) for r in whole if r["suppressed"]}
    assert {unit for unit, _period in hidden} == {"T1", "T2"}
    for size in (1, 5):
        assert _pages(api, "/api/v1/rates/", params, size) == (count, whole)
