import threading

import pytest
from django.db import connection

from deployment.models import Animation
from tests.api.conftest import Api, make_api_key

URL = "/api/v1/animations/"
pytestmark = pytest.mark.django_db


def animation(**fields):
    return {
        "team": "T1",
        "held_at": "2026-03-02T08:30:00+01:00",
        "kind": "briefing",
        "attendees": ["E0001", "E0002"],
        "dimensions": ["accueil"],
        "external_id": "anim-9",
        **fields,
    }


def test_create_and_duplicate(api, field):
    r = api.post(URL, animation(topic="Accueil"))
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["team"] == "T1" and sorted(body["attendees"]) == ["E0001", "E0002"]
    assert body["dimensions"] == ["accueil"] and body["held_by"] is None
    r = api.post(URL, animation(kind="training"))
    assert r.status_code == 200 and r.json()["kind"] == "briefing"
    assert Animation.objects.count() == 1


def test_bulk(api, field):
    r = api.post(URL, [animation(), animation(external_id="a2", team="B")])
    assert r.json()["results"][1] == {"index": 1, "status": "rejected", "errors": {"team": ["B is not a team."]}}
    assert r.json()["created"] == 1


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"team": "NOPE"}, "team"),
        ({"kind": "party"}, "kind"),
        ({"held_at": "2026-03-02"}, "held_at"),
        ({"held_at": "2026-03-02T08:30:00"}, "held_at"),
        ({"attendees": ["E0003"]}, "attendees"),  # not in T1
        ({"attendees": "E0001"}, "attendees"),
        ({"dimensions": ["nope"]}, "dimensions"),
        ({"held_by": "nobody@example.com"}, "held_by"),
        ({"music": "loud"}, "music"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, field, fields, key):
    r = api.post(URL, animation(**fields))
    assert r.status_code == 400
    assert key in r.json(), r.json()
    assert not Animation.objects.exists()


def test_list_filters_and_retrieve(api, field):
    api.post(URL, animation(external_id="a"))
    api.post(URL, animation(external_id="b", team="T3", attendees=["E0004"], held_at="2026-01-05T09:00:00+01:00"))
    assert [a["external_id"] for a in api.get(URL).json()["results"]] == ["a", "b"]
    assert [a["external_id"] for a in api.get(URL, {"unit": "R"}).json()["results"]] == ["a"]
    assert [a["external_id"] for a in api.get(URL, {"to": "2026-01"}).json()["results"]] == ["b"]
    assert api.get(URL + "b/").json()["team"] == "T3"


def test_outsider_sees_and_touches_nothing(api, outsider_api, field):
    api.post(URL, animation())
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(URL + "anim-9/").status_code == 404
    r = outsider_api.post(URL, animation(external_id="x", attendees=[], dimensions=[]))
    # The outsider's org has its own T1 (same codes): the animation is theirs, not ours.
    assert r.status_code == 201
    assert Animation.objects.get(external_id="x").organization != field["tree"]["T1"].organization


def test_manager_session_holds_animations_of_their_team_only(session_api, manager, field):
    api = session_api(manager)
    r = api.post(URL, animation())
    assert r.status_code == 201 and r.json()["held_by"] == "bob@example.com"
    r = api.post(URL, animation(external_id="x", team="T2", attendees=["E0003"]))
    assert r.status_code == 400 and r.json()["team"] == ["Unknown unit code: T2."]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_store_each_animation_once(org, tree, members, experience_model):
    from django.test import Client

    key = make_api_key(org)
    items = [animation(external_id=f"race-{i}") for i in range(20)]
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
    assert Animation.objects.count() == 20
    assert sum(o["created"] for o in outcomes) == 20
