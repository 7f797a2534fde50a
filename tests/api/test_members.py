import datetime
import threading

import pytest
from django.db import connection

from cxtracker.tenancy.models import Member
from tests.api.conftest import Api, make_api_key
from tests.factories import make_member

URL = "/api/v1/members/"
pytestmark = pytest.mark.django_db

LEA = {"code": "E0042", "name": "Léa Martin", "team": "T1", "active_from": "2026-01-01", "active_to": None}


def test_create_then_update_by_code(api, org, tree):
    r = api.post(URL, LEA)
    assert r.status_code == 201
    assert r.json() == {**LEA}
    r = api.post(URL, {**LEA, "team": "T2", "active_to": "2026-06-30"})
    assert r.status_code == 200
    member = Member.objects.get(code="E0042")
    assert member.organization == org
    assert (member.team.code, member.active_to) == ("T2", datetime.date(2026, 6, 30))


def test_bulk_reports_created_updated_rejected(api, members):
    r = api.post(
        URL,
        [
            LEA,
            {"code": "E0001", "name": "Léa M.", "team": "T1", "active_from": "2025-01-01"},
            {**LEA, "code": "E9", "team": "B"},
        ],
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["created"], body["updated"], body["rejected"]) == (1, 1, 1)
    assert body["results"][2] == {"index": 2, "status": "rejected", "errors": {"team": ["B is not a team."]}}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"team": "NOPE"}, "team"),
        ({"team": "R"}, "team"),
        ({"active_from": "01/01/2026"}, "active_from"),
        ({"active_from": None}, "active_from"),
        ({"active_to": "2025-12-31"}, "active_to"),
        ({"name": ["Léa"]}, "name"),
        ({"salary": 3}, "salary"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, tree, fields, field):
    r = api.post(URL, {**LEA, **fields})
    assert r.status_code == 400
    assert field in r.json(), r.json()
    assert not Member.objects.exists()


def test_retrieve_and_patch(api, members):
    assert api.get(URL + "E0001/").json()["name"] == "Léa Martin"
    r = api.patch(URL + "E0001/", {"active_to": "2026-02-28"})
    assert r.status_code == 200 and r.json()["active_to"] == "2026-02-28"
    r = api.put(URL + "E0001/", {"name": "Léa", "team": "T2", "active_from": "2025-01-01"})
    assert r.status_code == 200 and r.json()["team"] == "T2" and r.json()["active_to"] is None


def test_list_filters_by_unit_and_activity(api, org, tree, members):
    make_member(
        org, tree["T3"], code="GONE", active_from=datetime.date(2024, 1, 1), active_to=datetime.date(2024, 12, 31)
    )
    codes = sorted(m["code"] for m in api.get(URL, {"unit": "B"}).json()["results"])
    assert codes == ["E0001", "E0002", "E0003"]
    codes = sorted(m["code"] for m in api.get(URL, {"from": "2024-06", "to": "2024-06"}).json()["results"])
    assert codes == ["GONE"]


def test_outsider_sees_and_touches_nothing(outsider_api, org, members):
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(URL + "E0001/").status_code == 404
    assert outsider_api.patch(URL + "E0001/", {"name": "x"}).status_code == 404
    assert Member.objects.get(organization=org, code="E0001").name == "Léa Martin"


def test_manager_reads_own_team_only(session_api, manager, members):
    api = session_api(manager)
    assert sorted(m["code"] for m in api.get(URL).json()["results"]) == ["E0001", "E0002"]
    assert api.get(URL + "E0003/").status_code == 404
    assert api.post(URL, LEA).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_each_member_once(org):
    from django.test import Client

    from tests.factories import make_tree

    make_tree(org)
    key = make_api_key(org)
    items = [{**LEA, "code": f"E{i}"} for i in range(30)]
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
    assert Member.objects.filter(organization=org).count() == 30
    assert sum(o["created"] for o in outcomes) == 30
