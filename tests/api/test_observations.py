import threading

import pytest
from django.db import connection

from deployment.models import Observation, Rating
from tests.api.conftest import Api, make_api_key
from tests.factories import make_membership, make_user

URL = "/api/v1/observations/"
pytestmark = pytest.mark.django_db


def observation(**fields):
    return {
        "member": "E0001",
        "observed_at": "2026-03-10T10:00:00+01:00",
        "kind": "coaching",
        "ratings": [{"behavior": "salue-30s", "level": 3}, {"behavior": "reformule", "level": 2}],
        "strengths": "Accueil chaleureux",
        "development_points": "",
        "next_step": "Reformuler",
        "next_step_on": "2026-03-20",
        "external_id": "obs-1",
        **fields,
    }


def test_create_with_an_observer_email(api, field, manager):
    r = api.post(URL, observation(observer="bob@example.com"))
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["member"] == "E0001" and body["observer"] == "bob@example.com"
    assert body["ratings"] == [{"behavior": "salue-30s", "level": 3}, {"behavior": "reformule", "level": 2}]
    assert body["model_version"] == 1 and body["next_step_on"] == "2026-03-20"
    assert Rating.objects.count() == 2


def test_same_external_id_twice_stores_one_observation(api, field):
    assert api.post(URL, observation()).status_code == 201
    r = api.post(URL, observation(kind="observation"))
    assert r.status_code == 200 and r.json()["kind"] == "coaching"
    assert Observation.objects.count() == 1


def test_without_external_id_each_post_is_new(api, field):
    api.post(URL, observation(external_id=None))
    api.post(URL, observation(external_id=None))
    assert Observation.objects.count() == 2


def test_bulk(api, field):
    r = api.post(URL, [observation(), observation(), observation(external_id="obs-2", member="NOPE")])
    assert r.status_code == 200
    assert r.json()["results"] == [
        {"index": 0, "status": "created"},
        {"index": 1, "status": "duplicate"},
        {"index": 2, "status": "rejected", "errors": {"member": ["Unknown member code: NOPE."]}},
    ]


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"member": "NOPE"}, "member"),
        ({"observer": "nobody@example.com"}, "observer"),
        ({"observer": "charlie@example.com"}, "observer"),  # a user, but of another organization
        ({"observed_at": "2026-03-10T10:00:00"}, "observed_at"),
        ({"observed_at": "2999-03-10T10:00:00+01:00"}, "observed_at"),
        ({"kind": "chat"}, "kind"),
        ({"ratings": [{"behavior": "nope", "level": 3}]}, "ratings"),
        ({"ratings": [{"behavior": "salue-30s", "level": 5}]}, "ratings"),
        ({"ratings": [{"behavior": "salue-30s", "level": "3"}]}, "ratings"),  # as survey scores: a number
        ({"ratings": [{"behavior": "salue-30s", "level": 3.0}]}, "ratings"),
        ({"ratings": []}, "ratings"),
        ({"ratings": [{"behavior": "salue-30s", "level": 3, "note": "x"}]}, "ratings"),
        ({"mood": "good"}, "mood"),
        ({"member": 1}, "member"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, field, outsider, fields, key):
    r = api.post(URL, observation(**fields))
    assert r.status_code == 400
    assert key in r.json(), r.json()
    assert not Observation.objects.exists()


def test_list_and_filters(api, field):
    api.post(URL, observation(external_id="a"))
    api.post(URL, observation(external_id="b", member="E0004", observed_at="2026-02-10T10:00:00+01:00"))
    rows = api.get(URL).json()["results"]
    assert [o["external_id"] for o in rows] == ["a", "b"]
    assert [o["external_id"] for o in api.get(URL, {"unit": "R2"}).json()["results"]] == ["b"]
    assert [o["external_id"] for o in api.get(URL, {"from": "2026-03"}).json()["results"]] == ["a"]
    assert api.get(URL + "a/").json()["member"] == "E0001"


def test_outsider_sees_and_touches_nothing(api, outsider_api, field):
    api.post(URL, observation())
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(URL + "obs-1/").status_code == 404
    r = outsider_api.post(URL, observation(external_id="x"))
    assert r.status_code == 400 and r.json()["member"] == ["Unknown member code: E0001."]


def test_manager_session_is_the_observer_and_stays_in_scope(session_api, manager, field):
    api = session_api(manager)
    r = api.post(URL, observation())
    assert r.status_code == 201 and r.json()["observer"] == "bob@example.com"
    r = api.post(URL, observation(external_id="x", member="E0003"))  # team T2: not theirs
    assert r.status_code == 400 and "member" in r.json()
    r = api.post(URL, observation(external_id="y", observer="alice@example.com"))
    assert r.status_code == 400 and "observer" in r.json()


def test_manager_reads_only_their_teams_observations(api, session_api, manager, field):
    api.post(URL, observation(external_id="mine"))
    api.post(URL, observation(external_id="theirs", member="E0003"))
    rows = session_api(manager).get(URL).json()["results"]
    assert [o["external_id"] for o in rows] == ["mine"]
    assert session_api(manager).get(URL + "theirs/").status_code == 404


def test_a_manager_reusing_an_external_id_out_of_scope_sees_nothing(api, session_api, manager, field):
    api.post(URL, observation(external_id="elsewhere", member="E0003"))
    r = session_api(manager).post(URL, observation(external_id="elsewhere"))
    assert r.status_code == 400
    assert r.json() == {"external_id": ["Observation with this external id already exists."]}
    assert "E0003" not in r.content.decode()


def test_executive_and_steering_cannot_write(session_api, org, field):
    for role in ("executive", "steering"):
        user = make_user(f"{role}@x.example.com")
        make_membership(user, org, role)
        assert session_api(user).post(URL, observation()).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_store_each_observation_once(org, tree, members, experience_model):
    from django.test import Client

    key = make_api_key(org)
    items = [observation(external_id=f"race-{i}") for i in range(20)]
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
    assert Observation.objects.count() == 20
    assert Rating.objects.count() == 40
    assert sum(o["created"] for o in outcomes) == 20
    assert sum(o["duplicates"] for o in outcomes) == 20
