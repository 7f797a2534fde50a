"""Aspects: an organization defines the aspects its survey responses score (admin pages and
/api/v1/aspects/); a response scoring an unknown code is refused, keyed ``aspects.<code>``; the
engine keeps each aspect's sums per team and month, and the KPI explorer shows them."""

import datetime

import pytest

from experience.models import Dimension, ExperienceModel
from kpis.engine.marks import periods_mark_all
from kpis.engine.recompute import recompute_org
from kpis.models import Aspect, SurveyResponse, TeamAspectSnapshot
from tests.api.conftest import Api, make_api_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/aspects/"
RESPONSES = "/api/v1/survey-responses/"


def _response(external_id, aspects, **fields):
    return {
        "external_id": external_id,
        "unit": "T1",
        "responded_at": "2026-03-11T18:02:00+01:00",
        "nps": 9,
        "aspects": aspects,
        **fields,
    }


@pytest.fixture
def api(client, org, tree):
    return Api(client, make_api_key(org))


@pytest.fixture
def model(org):
    version = ExperienceModel.objects.create(organization=org, name="M", version=1, is_active=True)
    Dimension.objects.create(organization=org, model=version, code="accueil", name="Accueil")
    return version


def test_an_aspect_is_created_read_and_changed_by_code(api, model):
    r = api.post(URL, {"code": "attente", "name": "Attente", "dimension": "accueil"})
    assert r.status_code == 201, r.json()
    assert r.json() == {"code": "attente", "name": "Attente", "dimension": "accueil"}
    r = api.patch(f"{URL}attente/", {"dimension": None})
    assert r.status_code == 200 and r.json()["dimension"] is None
    codes = [a["code"] for a in api.get(URL).json()["results"]]
    assert codes == ["accueil", "attente", "conseil"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "x", "name": "X", "dimension": "nope"}, "dimension"),
        ({"code": "-bad", "name": "X"}, "code"),
        ({"code": "x"}, "name"),
        ({"code": "x", "name": "X", "mood": 1}, "mood"),
    ],
)
def test_a_bad_aspect_is_a_field_keyed_400(api, model, body, field):
    r = api.post(URL, body)
    assert r.status_code == 400
    assert field in r.json()
    assert not Aspect.objects.filter(code="x").exists()


def test_the_code_of_an_aspect_cannot_change(api):
    r = api.put(f"{URL}accueil/", {"code": "welcome", "name": "Welcome"})
    assert r.status_code == 400 and "code" in r.json()


def test_another_organizations_key_gets_404(client, org, tree, other_org):
    other = Api(client, make_api_key(other_org))
    assert other.get(f"{URL}accueil/").status_code == 404
    assert other.get(URL).json()["results"] == []


def test_a_response_scoring_an_unknown_aspect_is_refused_by_code(api):
    r = api.post(RESPONSES, _response("s1", {"accueil": 4, "attente": 2}))
    assert r.status_code == 400
    assert list(r.json()) == ["aspects.attente"]
    assert not SurveyResponse.objects.exists()
    r = api.post(RESPONSES, [_response("s2", {"accueil": 4}), _response("s3", {"inconnu": 1})])
    assert (r.json()["created"], r.json()["rejected"]) == (1, 1)
    assert list(r.json()["results"][1]["errors"]) == ["aspects.inconnu"]


def test_the_engine_sums_each_aspect_per_team_and_month(org, api, tree):
    api.post(
        RESPONSES,
        [
            _response("a", {"accueil": 5, "conseil": 2}),
            _response("b", {"accueil": 3}),
            _response("c", {}),
            _response("d", {"accueil": 4}, unit="T2"),
        ],
    )
    periods_mark_all(org=org)
    recompute_org(org=org)
    rows = {
        (r.team.code, r.aspect_code): (r.n, r.score_sum, r.score_sq_sum, r.top2)
        for r in TeamAspectSnapshot.objects.for_org(org).filter(period_start=datetime.date(2026, 3, 1))
    }
    assert rows == {
        ("T1", "accueil"): (2, 8, 34, 1),
        ("T1", "conseil"): (1, 2, 4, 0),
        ("T2", "accueil"): (1, 4, 16, 1),
    }


def test_the_explorer_shows_each_aspect_with_its_mean_and_n(org, api, tree, executive, client_for):
    api.post(RESPONSES, [_response("a", {"accueil": 5}), _response("b", {"accueil": 2})])
    periods_mark_all(org=org)
    recompute_org(org=org)
    page = client_for(executive).get(f"/o/{org.slug}/dashboards/kpis/?from=2026-01&to=2026-03")
    assert page.status_code == 200
    row = next(a for a in page.context["aspects"] if a["aspect"] == "accueil")
    assert (row["mean"], row["n"], row["top2"], row["low_sample"]) == (3.5, 2, 50.0, True)
    assert b'id="aspect-accueil"' in page.content


def test_admin_pages_create_and_edit_an_aspect(org, admin, client_for, model):
    client = client_for(admin)
    base = f"/o/{org.slug}/kpis/aspects/"
    assert client.get(base).status_code == 200
    r = client.post(f"{base}new/", {"code": "attente", "name": "Attente", "dimension_code": "accueil"})
    assert r.status_code == 302
    assert Aspect.objects.get(organization=org, code="attente").dimension_code == "accueil"
    r = client.post(f"{base}attente/edit/", {"code": "other", "name": "Temps d'attente", "dimension_code": ""})
    assert r.status_code == 302
    aspect = Aspect.objects.get(organization=org, code="attente")
    assert (aspect.name, aspect.dimension_code) == ("Temps d'attente", "")
    r = client.post(f"{base}new/", {"code": "attente", "name": "Again"})
    assert r.status_code == 200 and "code" in r.context["form"].errors


def test_outsiders_and_managers_get_no_aspect_page(org, tree, outsider, manager, client_for):
    assert client_for(outsider).get(f"/o/{org.slug}/kpis/aspects/accueil/edit/").status_code == 404
    assert client_for(manager).get(f"/o/{org.slug}/kpis/aspects/").status_code in (403, 404)
