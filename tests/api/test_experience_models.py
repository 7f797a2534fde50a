import pytest

from experience.models import ExperienceModel
from tests.api.conftest import MODEL_JSON

URL = "/api/v1/experience-models/"
pytestmark = pytest.mark.django_db

NEW = {
    "name": "Expérience 2027",
    "dimensions": [{"code": "accueil", "name": "Accueil", "behaviors": [{"code": "salue", "name": "Salue"}]}],
}


def test_list_nests_dimensions_and_behaviors_in_order(api, experience_model):
    r = api.get(URL)
    assert r.status_code == 200
    (model,) = r.json()["results"]
    assert (model["version"], model["name"], model["is_active"]) == (1, "Expérience 2026", True)
    assert [d["code"] for d in model["dimensions"]] == ["accueil", "conseil"]
    assert [b["code"] for b in model["dimensions"][0]["behaviors"]] == ["salue-30s", "sourit"]


def test_retrieve_by_version(api, experience_model):
    assert api.get(URL + "1/").json()["dimensions"][1]["behaviors"][0]["code"] == "reformule"
    assert api.get(URL + "2/").status_code == 404


def test_create_and_activate(api, org, experience_model):
    r = api.post(URL, {**NEW, "activate": True})
    assert r.status_code == 201
    assert (r.json()["version"], r.json()["is_active"]) == (2, True)
    assert ExperienceModel.objects.for_org(org).active().get().version == 2


def test_create_without_activating(api, org, experience_model):
    r = api.post(URL, NEW)
    assert r.status_code == 201 and r.json()["is_active"] is False
    assert ExperienceModel.objects.for_org(org).active().get().version == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW, "activate": "yes"}, "activate"),
        ({**NEW, "dimensions": []}, "dimensions"),
        ({"dimensions": NEW["dimensions"]}, "name"),
        ({**NEW, "flavour": "x"}, "flavour"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(api, org, body, field):
    r = api.post(URL, body)
    assert r.status_code == 400
    assert any(key.startswith(field) for key in r.json()), r.json()
    assert not ExperienceModel.objects.for_org(org).exists()


def test_bulk_creates_versions_and_rejects_bad_ones(api, org):
    r = api.post(URL, [MODEL_JSON, {"name": "x"}])
    assert r.status_code == 200
    assert (r.json()["created"], r.json()["rejected"]) == (1, 1)
    assert ExperienceModel.objects.for_org(org).count() == 1


def test_outsider_sees_none_and_its_creation_stays_in_its_org(outsider_api, org, other_org, experience_model):
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(URL + "1/").status_code == 404
    assert outsider_api.post(URL, NEW).status_code == 201
    assert ExperienceModel.objects.for_org(org).count() == 1
    assert ExperienceModel.objects.for_org(other_org).count() == 1


def test_only_admins_create_through_a_session(session_api, manager, executive, experience_model):
    assert session_api(manager).get(URL).status_code == 200
    assert session_api(manager).post(URL, NEW).status_code == 403
    assert session_api(executive).post(URL, NEW).status_code == 403
