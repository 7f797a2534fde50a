import threading

import pytest
from django.db import connection

from cxtracker.tenancy.models import OrgUnit
from tests.api.conftest import Api, make_api_key
from tests.factories import make_member

URL = "/api/v1/units/"
pytestmark = pytest.mark.django_db


def test_list_shows_codes_and_parent_codes(api, tree):
    r = api.get(URL)
    assert r.status_code == 200
    rows = {u["code"]: u for u in r.json()["results"]}
    assert rows["T1"] == {"code": "T1", "name": "Lille 1", "kind": "team", "parent": "B"}
    assert rows["R"]["parent"] is None
    assert r.json()["count"] == 7


def test_list_filters_by_subtree_and_kind(api, tree):
    codes = sorted(u["code"] for u in api.get(URL, {"unit": "R"}).json()["results"])
    assert codes == ["B", "R", "T1", "T2"]
    codes = sorted(u["code"] for u in api.get(URL, {"kind": "team"}).json()["results"])
    assert codes == ["T1", "T2", "T3"]
    assert api.get(URL, {"kind": "planet"}).status_code == 400


def test_create_a_region_then_a_business_unit_under_it(api, org):
    r = api.post(URL, {"code": "R-NORD", "name": "Nord", "kind": "region", "parent": None})
    assert r.status_code == 201
    assert r.json() == {"code": "R-NORD", "name": "Nord", "kind": "region", "parent": None}
    r = api.post(URL, {"code": "BU-LILLE", "name": "Lille", "kind": "business_unit", "parent": "R-NORD"})
    assert r.status_code == 201
    bu = OrgUnit.objects.get(code="BU-LILLE")
    assert bu.organization == org and bu.parent.code == "R-NORD"
    assert bu.path == f"{bu.parent.path}{bu.pk}/"


def test_second_post_of_a_code_updates_it(api, tree):
    r = api.post(URL, {"code": "T1", "name": "Lille Centre", "kind": "team", "parent": "B"})
    assert r.status_code == 200
    assert r.json()["name"] == "Lille Centre"
    assert OrgUnit.objects.get(code="T1").name == "Lille Centre"


def test_bulk_upsert_in_order_with_per_item_report(api, tree):
    r = api.post(
        URL,
        [
            {"code": "R3", "name": "Est", "kind": "region"},
            {"code": "B3", "name": "Metz", "kind": "business_unit", "parent": "R3"},
            {"code": "T1", "name": "Lille 1", "kind": "team", "parent": "B"},
            {"code": "T9", "name": "Nowhere", "kind": "team", "parent": "NOPE"},
        ],
    )
    assert r.status_code == 200
    assert r.json() == {
        "created": 2,
        "duplicates": 0,
        "updated": 1,
        "rejected": 1,
        "results": [
            {"index": 0, "status": "created"},
            {"index": 1, "status": "created"},
            {"index": 2, "status": "updated"},
            {"index": 3, "status": "rejected", "errors": {"parent": ["Unknown unit code: NOPE."]}},
        ],
    }
    assert not OrgUnit.objects.filter(code="T9").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "X", "name": "X", "kind": "planet"}, "kind"),
        ({"code": "X", "name": "X", "kind": "team"}, "parent"),  # a team at the top
        ({"code": "X", "name": "X", "kind": "region", "parent": "B"}, "parent"),  # a region under a BU
        ({"code": "bad code!", "name": "X", "kind": "region"}, "code"),
        ({"code": 12, "name": "X", "kind": "region"}, "code"),
        ({"name": "X", "kind": "region"}, "code"),
        ({"code": "X", "name": "X", "kind": "region", "colour": "red"}, "colour"),
        ({"code": "X", "name": "X" * 201, "kind": "region"}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, tree, body, field):
    r = api.post(URL, body)
    assert r.status_code == 400
    assert field in r.json(), r.json()
    assert not OrgUnit.objects.filter(code="X").exists()


def test_retrieve_put_and_patch_by_code(api, tree):
    assert api.get(URL + "T1/").json()["parent"] == "B"
    r = api.patch(URL + "T1/", {"name": "Lille Gare"})
    assert r.status_code == 200 and r.json()["name"] == "Lille Gare"
    r = api.put(URL + "T1/", {"name": "Lille Gare", "kind": "team", "parent": "B2"})
    assert r.status_code == 200 and r.json()["parent"] == "B2"
    t1 = OrgUnit.objects.get(code="T1")
    assert t1.path.startswith(tree["B2"].path)
    assert api.get(URL + "NOPE/").status_code == 404
    assert api.patch(URL + "NOPE/", {"name": "x"}).status_code == 404


def test_a_unit_cannot_move_under_its_own_subtree(api, tree):
    r = api.patch(URL + "B/", {"parent": "T1"})
    assert r.status_code == 400
    assert "parent" in r.json()


def test_a_team_with_members_keeps_its_kind(api, org, tree):
    make_member(org, tree["T1"])
    r = api.patch(URL + "T1/", {"kind": "business_unit"})
    assert r.status_code == 400
    assert r.json() == {"kind": ["This team has members: it must stay a team."]}


def test_renaming_to_a_taken_code_is_a_400(api, tree):
    r = api.patch(URL + "T1/", {"code": "T2"})
    assert r.status_code == 400
    assert "code" in r.json()


def test_outsider_sees_none_of_the_units_and_touches_nothing(api, outsider_api, org, tree):
    from tests.factories import make_unit

    make_unit(org, "region", code="ONLY-ACME")
    assert outsider_api.get(URL + "ONLY-ACME/").status_code == 404
    assert "ONLY-ACME" not in {u["code"] for u in outsider_api.get(URL).json()["results"]}
    assert outsider_api.patch(URL + "ONLY-ACME/", {"name": "Hacked"}).status_code == 404
    r = outsider_api.post(URL, {"code": "X", "name": "X", "kind": "business_unit", "parent": "ONLY-ACME"})
    assert r.status_code == 400 and r.json() == {"parent": ["Unknown unit code: ONLY-ACME."]}
    # Same code in both orgs: the outsider's write lands in its own organization only.
    outsider_api.post(URL, {"code": "T1", "name": "Theirs", "kind": "team", "parent": "B"})
    assert OrgUnit.objects.get(organization=org, code="T1").name == "Lille 1"


def test_manager_session_reads_their_subtree_and_cannot_write(session_api, manager, tree):
    api = session_api(manager)
    assert sorted(u["code"] for u in api.get(URL).json()["results"]) == ["T1"]
    assert api.get(URL + "T2/").status_code == 404
    r = api.post(URL, {"code": "X", "name": "X", "kind": "region"})
    assert r.status_code == 403


def test_admin_session_writes(session_api, admin, tree):
    r = session_api(admin).post(URL, {"code": "X", "name": "X", "kind": "region"})
    assert r.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_each_unit_once(org):
    from django.test import Client

    key = make_api_key(org)
    items = [{"code": f"R-{i}", "name": f"Region {i}", "kind": "region"} for i in range(30)]
    barrier = threading.Barrier(2)
    outcomes = []

    def post():
        try:
            barrier.wait()
            outcomes.append(Api(Client(), key).post(URL, items).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert OrgUnit.objects.filter(organization=org).count() == 30
    assert sum(o["created"] for o in outcomes) == 30
    assert sum(o["rejected"] for o in outcomes) == 0
