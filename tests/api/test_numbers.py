"""One strictness for numbers across the API's writes: a JSON string is not a score, a level or a
value, whatever it holds ("9", "3", "12.5"), nor is ``true``; where the number is a whole one (a
score, an aspect, a level) 3.0 is refused too. Every numeric field of every write is here, refused
with a 400 naming the field, and in a bulk its item is rejected with the same errors while the
valid item beside it is stored. (Units, members, metrics, experience models and action plans take
no number.)"""

import pytest

from deployment.models import Observation
from kpis.models import MetricValue, SurveyResponse

pytestmark = pytest.mark.django_db


def _survey(external_id="s-1", **fields):
    return {"external_id": external_id, "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": 9, **fields}


def _value(value, unit="T1"):
    return {"metric": "revenue", "unit": unit, "period": "2026-03", "value": value}


def _observation(level, member="E0001"):
    return {
        "member": member,
        "observed_at": "2026-03-10T10:00:00+01:00",
        "ratings": [{"behavior": "salue-30s", "level": level}],
    }


# name: (URL, the item with the number in its place, the path of its errors, the stored rows)
FIELDS = {
    "survey nps": ("survey-responses", lambda v: _survey(nps=v), ["nps"], SurveyResponse),
    "survey ces": ("survey-responses", lambda v: _survey(ces=v), ["ces"], SurveyResponse),
    "survey csat": ("survey-responses", lambda v: _survey(csat=v), ["csat"], SurveyResponse),
    "survey aspect": ("survey-responses", lambda v: _survey(aspects={"accueil": v}), ["aspects"], SurveyResponse),
    "rating level": ("observations", _observation, ["ratings", "0", "level"], Observation),
    "metric value": ("metric-values", _value, ["value"], MetricValue),
}
# A valid item of each write, told apart from the one under test (another id, unit or member).
OTHER = {
    "survey-responses": _survey("s-2", nps=3),
    "observations": _observation(3, member="E0002"),
    "metric-values": _value(3, unit="T2"),
}
WHOLE = ["survey nps", "survey ces", "survey csat", "survey aspect", "rating level"]
STRINGS = ["9", "3", "12.5", " 3", ""]
REFUSED = [
    *((name, value) for name in FIELDS for value in [*STRINGS, True]),
    *((name, 3.0) for name in WHOLE),
]
ACCEPTED = [*((name, 3) for name in FIELDS), ("metric value", 3.0), ("metric value", 12.5)]


@pytest.fixture(autouse=True)
def _data(field, revenue):
    """Teams, members, the active model and a metric: what each write names."""


def _at(errors: dict, path: list[str]):
    for key in path:
        assert isinstance(errors, dict) and list(errors) == [key], errors
        errors = errors[key]
    return errors


@pytest.mark.parametrize(("name", "number"), REFUSED, ids=lambda x: repr(x))
def test_a_non_number_is_refused_naming_its_field(api, name, number):
    url, item, path, model = FIELDS[name]
    r = api.post(f"/api/v1/{url}/", item(number))
    assert r.status_code == 400, r.json()
    messages = _at(r.json(), path)
    assert isinstance(messages, list) and messages
    assert not model.objects.exists()
    # In a bulk: the same errors for the item, and the valid one beside it stored.
    r_bulk = api.post(f"/api/v1/{url}/", [OTHER[url], item(number)])
    assert r_bulk.status_code == 200
    first, second = r_bulk.json()["results"]
    assert first["status"] == "created"
    assert second == {"index": 1, "status": "rejected", "errors": r.json()}
    assert model.objects.count() == 1


@pytest.mark.parametrize(("name", "number"), ACCEPTED, ids=lambda x: repr(x))
def test_a_number_is_taken(api, name, number):
    url, item, _path, model = FIELDS[name]
    r = api.post(f"/api/v1/{url}/", item(number))
    assert r.status_code == 201, r.json()
    assert model.objects.count() == 1
