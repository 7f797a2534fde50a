"""Bulk observations and animations: set-based (the query count does not grow with the batch),
the same per-item results as one write at a time, one dirty mark per batch."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cxtracker.months import Month
from deployment.api import (
    AnimationWriteSerializer,
    ObservationWriteSerializer,
    _read_animation,
    _read_observation,
)
from deployment.models import Animation, Observation, Rating
from kpis.models import DirtyPeriod
from tests.api.test_animations import animation
from tests.api.test_observations import observation

OBSERVATIONS, ANIMATIONS = "/api/v1/observations/", "/api/v1/animations/"
pytestmark = pytest.mark.django_db


def _queries(api, url, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.post(url, body)
    assert response.status_code == 200, response.json()
    assert response.json()["rejected"] == 0, response.json()
    return len(queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the embedded SQLite default inserts row by row")
def test_the_queries_of_a_bulk_do_not_grow_with_its_size(api, field, manager):
    def observations(prefix, n):
        members = ["E0001", "E0002", "E0003", "E0004"]
        return [
            observation(external_id=f"{prefix}-{i}", member=members[i % 4], observer="bob@example.com")
            for i in range(n)
        ]

    def animations(prefix, n):
        return [animation(external_id=f"{prefix}-{i}", team="T1") for i in range(n)]

    _queries(api, OBSERVATIONS, observations("warm-up", 1))  # records the key's use, once a minute
    assert _queries(api, OBSERVATIONS, observations("a", 3)) == _queries(api, OBSERVATIONS, observations("b", 60))
    assert _queries(api, ANIMATIONS, animations("a", 3)) == _queries(api, ANIMATIONS, animations("b", 60))
    assert Observation.objects.count() == 64 and Rating.objects.count() == 128
    assert Animation.objects.count() == 63
    assert Animation.attendees.through.objects.count() == 126


def test_bulk_ratings_carry_their_observations_member_and_moment(api, field):
    r = api.post(
        OBSERVATIONS,
        [
            observation(external_id="a", member="E0001", observed_at="2026-03-10T10:00:00+01:00"),
            observation(
                external_id="b",
                member="E0004",
                observed_at="2026-02-01T00:30:00+01:00",
                ratings=[{"behavior": "sourit", "level": 4}],
            ),
        ],
    )
    assert r.json()["created"] == 2
    rows = Rating.objects.order_by("observation__external_id", "behavior__code").values_list(
        "observation__external_id", "behavior__code", "level", "member__code", "observed_at"
    )
    march, february = (
        datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC),
        datetime.datetime(2026, 1, 31, 23, 30, tzinfo=datetime.UTC),
    )
    assert list(rows) == [
        ("a", "reformule", 2, "E0001", march),
        ("a", "salue-30s", 3, "E0001", march),
        ("b", "sourit", 4, "E0004", february),
    ]
    stored = Observation.objects.get(external_id="a")
    assert (stored.kind, stored.strengths, stored.next_step_on, stored.model.version) == (
        "coaching",
        "Accueil chaleureux",
        datetime.date(2026, 3, 20),
        1,
    )


def test_the_same_external_id_twice_in_a_bulk_the_second_is_a_duplicate(api, field):
    r = api.post(
        OBSERVATIONS,
        [
            observation(external_id="x", ratings=[{"behavior": "nope", "level": 2}]),  # rejected: claims nothing
            observation(external_id="x", kind="observation"),
            observation(external_id="x", kind="coaching", member="E0002"),
            observation(external_id=None),
            observation(external_id=None),
        ],
    )
    assert [(x["index"], x["status"]) for x in r.json()["results"]] == [
        (0, "rejected"),
        (1, "created"),
        (2, "duplicate"),
        (3, "created"),
        (4, "created"),
    ]
    assert r.json()["results"][0]["errors"] == {"ratings": ["Unknown behavior: nope."]}
    stored = Observation.objects.get(external_id="x")
    assert (stored.kind, stored.member.code) == ("observation", "E0001")
    assert Observation.objects.count() == 3 and Rating.objects.count() == 6


def test_a_stored_external_id_is_a_duplicate_and_changes_nothing(api, field):
    api.post(OBSERVATIONS, observation(external_id="x"))
    api.post(ANIMATIONS, animation(external_id="y"))
    r = api.post(OBSERVATIONS, [observation(external_id="x", member="E0004", kind="observation"), observation()])
    assert r.json()["results"] == [{"index": 0, "status": "duplicate"}, {"index": 1, "status": "created"}]
    r = api.post(ANIMATIONS, [animation(external_id="y", kind="ritual", attendees=[])])
    assert r.json()["results"] == [{"index": 0, "status": "duplicate"}]
    assert Observation.objects.get(external_id="x").member.code == "E0001"
    assert Rating.objects.filter(observation__external_id="x").count() == 2
    stored = Animation.objects.get(external_id="y")
    assert stored.kind == "briefing" and stored.attendees.count() == 2


def test_errors_of_every_kind_in_one_bulk_keep_their_index(api, field):
    r = api.post(
        OBSERVATIONS,
        [
            "not an object",
            observation(external_id="a", member="NOPE"),
            observation(external_id="b", observer="nobody@example.com"),
            observation(external_id="c", ratings=[{"behavior": "salue-30s", "level": 9}]),
            observation(external_id="d", observed_at="2020-01-01T10:00:00+01:00"),  # before E0001 started
            # A level is a number, as a survey score is: "3" is refused, not read as 3.
            observation(external_id="e", ratings=[{"behavior": "salue-30s", "level": "3"}]),
            observation(external_id="f"),
        ],
    )
    body = r.json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (1, 0, 6)
    assert [x["status"] for x in body["results"]] == ["rejected"] * 6 + ["created"]
    errors = [x.get("errors") for x in body["results"]]
    assert errors[0] == {"non_field_errors": ["Expected an object."]}
    assert errors[1] == {"member": ["Unknown member code: NOPE."]}
    assert errors[2] == {"observer": ["No user of the organization has this e-mail."]}
    assert errors[3] == {"ratings": ["The level of salue-30s must be between 1 and 4."]}
    assert errors[4] == {"observed_at": ["Léa Martin was not active on 2020-01-01."]}
    assert list(errors[5]) == ["ratings"]
    assert Observation.objects.get(external_id="f").ratings.count() == len(observation()["ratings"])
    assert not Observation.objects.filter(external_id="e").exists()


TAKEN = "Observation with this external id already exists."


def test_a_manager_bulk_stays_in_scope(session_api, api, manager, field):
    api.post(OBSERVATIONS, observation(external_id="theirs", member="E0003"))
    r = session_api(manager).post(
        OBSERVATIONS,
        [observation(external_id="theirs"), observation(external_id="mine"), observation(external_id="mine")],
    )
    assert r.json()["results"] == [
        {
            "index": 0,
            "status": "rejected",
            "errors": {"external_id": ["Observation with this external id already exists."]},
        },
        {"index": 1, "status": "created"},
        {"index": 2, "status": "duplicate"},
    ]
    assert Observation.objects.get(external_id="mine").observer == manager


def test_one_dirty_mark_per_bulk_cascading_for_observations_only(api, field):
    tree = field["tree"]
    current = Month.of(field["members"]["lea"].organization.today())
    DirtyPeriod.objects.all().delete()  # the model's activation marked everything
    r = api.post(
        OBSERVATIONS,
        [
            observation(external_id="a", member="E0001", observed_at="2026-03-10T10:00:00+01:00"),
            observation(external_id="b", member="E0002", observed_at="2026-05-10T10:00:00+01:00"),
            # 23:30 UTC on 30 April is May in Paris.
            observation(external_id="c", member="E0004", observed_at="2026-04-30T23:30:00+00:00"),
        ],
    )
    assert r.json()["created"] == 3
    # One mark for the batch: its months (March, May) and every later one, for its teams (T1, T3).
    marks = sorted(DirtyPeriod.objects.values_list("team__code", "period_start"))
    assert marks == [(team, m.first_day) for team in ("T1", "T3") for m in Month.range(Month.parse("2026-03"), current)]
    DirtyPeriod.objects.all().delete()
    api.post(
        ANIMATIONS,
        [
            animation(external_id="x", team="T1", held_at="2026-02-02T08:30:00+01:00"),
            animation(external_id="y", team="T3", attendees=["E0004"], held_at="2026-01-31T23:30:00+00:00"),
        ],
    )
    assert sorted(DirtyPeriod.objects.values_list("team_id", "period_start")) == sorted(
        [(tree["T1"].pk, datetime.date(2026, 2, 1)), (tree["T3"].pk, datetime.date(2026, 2, 1))]
    )


def test_a_bulk_of_duplicates_marks_nothing(api, field):
    api.post(OBSERVATIONS, observation(external_id="a"))
    DirtyPeriod.objects.all().delete()
    assert api.post(OBSERVATIONS, [observation(external_id="a")]).json()["duplicates"] == 1
    assert not DirtyPeriod.objects.exists()


def test_animation_bulk_checks_each_item_against_its_own_team(api, field):
    r = api.post(
        ANIMATIONS,
        [
            animation(external_id="a", team="T1", attendees=["E0001", "E0001", "E0002"], dimensions=["accueil"] * 2),
            animation(external_id="b", team="T3", attendees=["E0001"]),
            animation(external_id="c", team="T3", attendees=["E0004"], dimensions=["nope"]),
        ],
    )
    body = r.json()
    assert [x["status"] for x in body["results"]] == ["created", "rejected", "rejected"]
    assert body["results"][1]["errors"] == {"attendees": ["Léa Martin is not a member of this team."]}
    assert body["results"][2]["errors"] == {"dimensions": ["nope is not a dimension of the active experience model."]}
    stored = Animation.objects.get(external_id="a")
    assert sorted(stored.attendees.values_list("code", flat=True)) == ["E0001", "E0002"]
    assert list(stored.dimensions.values_list("code", flat=True)) == ["accueil"]


# The fast reading of well-formed items must return exactly what the serializer returns, and
# leave everything else to it.
OBSERVATION_VARIANTS = [
    {},
    {"member": "  E0001 "},
    {"member": ""},
    {"member": "   "},
    {"member": 1},
    {"member": "E\ud800"},
    {"observer": None},
    {"observer": ""},
    {"observer": "  bob@example.com "},
    {"observer": "not-an-email"},
    {"observer": 3},
    {"observed_at": "2026-03-10T10:00:00Z"},
    {"observed_at": " 2026-03-10T10:00:00+01:00 "},
    {"observed_at": "2026-03-10"},
    {"observed_at": None},
    {"kind": "observation"},
    {"kind": None},
    {"kind": "chat"},
    {"kind": 1},
    {"ratings": []},
    {"ratings": {}},
    {"ratings": [{"behavior": " salue-30s ", "level": 9}]},
    {"ratings": [{"behavior": "salue-30s", "level": "3"}]},
    {"ratings": [{"behavior": "salue-30s", "level": 3.0}]},
    {"ratings": [{"behavior": "salue-30s", "level": True}]},
    {"ratings": [{"behavior": "salue-30s"}]},
    {"ratings": [{"behavior": "salue-30s", "level": 3, "note": ""}]},
    {"ratings": ["salue-30s"]},
    {"strengths": None},
    {"strengths": "  Souriant\n"},
    {"next_step": 5},
    {"next_step_on": None},
    {"next_step_on": ""},
    {"next_step_on": "2026-02-30"},
    {"next_step_on": "20260320"},
    {"next_step_on": "2026-03-20T10:00:00"},
    {"external_id": None},
    {"external_id": ""},
    {"external_id": "  obs-9  "},
    {"external_id": "x" * 128},
    {"external_id": "x" * 129},
    {"external_id": 9},
    {"mood": "good"},
]


@pytest.mark.parametrize("change", OBSERVATION_VARIANTS)
def test_fast_observation_reading_agrees_with_the_serializer(change):
    item = {**observation(observer="bob@example.com"), **change}
    fast = _read_observation(item, timezone.now())
    serializer = ObservationWriteSerializer(data=item)
    if fast is not None:
        assert serializer.is_valid(), serializer.errors
        assert fast == serializer.validated_data


def test_fast_observation_reading_takes_the_minimal_item():
    item = {"member": "E1", "observed_at": "2026-03-10T10:00:00+01:00", "ratings": []}
    fast = _read_observation(item, timezone.now())
    serializer = ObservationWriteSerializer(data=item)
    assert serializer.is_valid() and fast == serializer.validated_data
    assert fast["kind"] == "observation" and fast["external_id"] is None


ANIMATION_VARIANTS = [
    {},
    {"team": " T1 "},
    {"team": ""},
    {"held_by": "bob@example.com"},
    {"held_by": " "},
    {"held_by": "bob@"},
    {"held_at": "2026-03-02T08:30:00"},
    {"kind": None},
    {"kind": "party"},
    {"topic": "x" * 300},
    {"topic": "x" * 301},
    {"topic": None},
    {"attendees": []},
    {"attendees": [" E0001 ", "E0002"]},
    {"attendees": ["E0001", ""]},
    {"attendees": "E0001"},
    {"attendees": [1]},
    {"attendees": None},
    {"dimensions": ["accueil", "accueil"]},
    {"dimensions": {"accueil": 1}},
    {"external_id": "  a-1 "},
    {"music": "loud"},
]


@pytest.mark.parametrize("change", ANIMATION_VARIANTS)
def test_fast_animation_reading_agrees_with_the_serializer(change):
    item = {**animation(), **change}
    fast = _read_animation(item, timezone.now())
    serializer = AnimationWriteSerializer(data=item)
    if fast is not None:
        assert serializer.is_valid(), serializer.errors
        assert fast == serializer.validated_data


def test_fast_animation_reading_takes_the_minimal_item():
    item = {"team": "T1", "held_at": "2026-03-02T08:30:00+01:00", "kind": "ritual"}
    fast = _read_animation(item, timezone.now())
    serializer = AnimationWriteSerializer(data=item)
    assert serializer.is_valid() and fast == serializer.validated_data
    assert fast == {**fast, "topic": "", "attendees": [], "dimensions": [], "external_id": None}
