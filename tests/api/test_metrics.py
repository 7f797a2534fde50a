import pytest

from kpis.models import Metric

URL = "/api/v1/metrics/"
pytestmark = pytest.mark.django_db

METRIC = {"code": "nps_web", "name": "Web NPS", "category": "business", "unit_of_measure": "pts"}


def test_create_then_update_by_code(api, org):
    r = api.post(URL, METRIC)
    assert r.status_code == 201
    assert r.json() == {**METRIC, "higher_is_better": True}
    r = api.post(URL, {**METRIC, "name": "NPS web", "higher_is_better": False})
    assert r.status_code == 200
    metric = Metric.objects.get(organization=org, code="nps_web")
    assert (metric.name, metric.higher_is_better) == ("NPS web", False)


def test_list_retrieve_patch(api, revenue):
    assert [m["code"] for m in api.get(URL).json()["results"]] == ["revenue"]
    assert api.get(URL + "revenue/").json()["category"] == "business"
    r = api.patch(URL + "revenue/", {"unit_of_measure": "€"})
    assert r.status_code == 200 and r.json()["unit_of_measure"] == "€"
    assert api.get(URL + "nope/").status_code == 404


def test_bulk(api):
    r = api.post(URL, [METRIC, {**METRIC, "code": "x", "category": "vanity"}])
    assert r.status_code == 200
    assert r.json()["created"] == 1 and r.json()["results"][1]["status"] == "rejected"
    assert "category" in r.json()["results"][1]["errors"]


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"category": "vanity"}, "category"),
        ({"code": "a b"}, "code"),
        ({"higher_is_better": "maybe"}, "higher_is_better"),
        ({"owner": "x"}, "owner"),
    ],
)
def test_bad_input(api, fields, key):
    r = api.post(URL, {**METRIC, **fields})
    assert r.status_code == 400 and key in r.json()


def test_outsider_sees_and_touches_nothing(outsider_api, org, revenue):
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(URL + "revenue/").status_code == 404
    assert outsider_api.patch(URL + "revenue/", {"name": "x"}).status_code == 404
    assert Metric.objects.get(organization=org).name == "Revenue"


def test_only_admins_write_through_a_session(session_api, admin, manager):
    assert session_api(manager).post(URL, METRIC).status_code == 403
    assert session_api(admin).post(URL, METRIC).status_code == 201
