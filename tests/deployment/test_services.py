"""The write services the browser and the REST API share: validation, idempotency, ratings."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from deployment.models import Animation, Observation, Rating
from deployment.services import (
    animation_create,
    animation_create_or_get,
    animation_delete,
    animation_update,
    observation_create,
    observation_create_or_get,
    observation_delete,
    observation_update,
)
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _create(org, member, observer, when, ratings, **kwargs):
    return observation_create(
        org=org, member=member, observer=observer, observed_at=when, kind="observation", ratings=ratings, **kwargs
    )


def test_observation_create_writes_ratings_with_denormalized_member_and_date(
    org, members, manager, behaviors, recently
):
    obs = _create(org, members["lea"], manager, recently, [(behaviors["accueil-1"], 3), (behaviors["conseil-2"], 4)])
    ratings = list(Rating.objects.filter(observation=obs).order_by("behavior__code"))
    assert [(r.behavior.code, r.level, r.member_id, r.observed_at) for r in ratings] == [
        ("accueil-1", 3, members["lea"].pk, recently),
        ("conseil-2", 4, members["lea"].pk, recently),
    ]
    assert obs.model.is_active and obs.organization == org


def test_ratings_may_be_given_by_behavior_code(org, members, manager, behaviors, recently):
    obs = _create(org, members["lea"], manager, recently, {"accueil-2": 2})
    assert list(obs.ratings.values_list("behavior__code", "level")) == [("accueil-2", 2)]


@pytest.mark.parametrize(
    ("ratings", "field"),
    [
        ([], "ratings"),
        ([("accueil-1", 5)], "ratings"),
        ([("accueil-1", 0)], "ratings"),
        ([("accueil-1", 2), ("accueil-1", 3)], "ratings"),
        ([("nope", 2)], "ratings"),
    ],
)
def test_invalid_ratings_are_rejected_and_nothing_is_written(
    org, members, manager, behaviors, recently, ratings, field
):
    with pytest.raises(ValidationError) as exc:
        _create(org, members["lea"], manager, recently, ratings)
    assert field in exc.value.message_dict
    assert Observation.objects.count() == 0 and Rating.objects.count() == 0


def test_future_naive_and_inactive_dates_are_rejected(org, tree, manager, behaviors, now):
    left = make_member(org, tree["T1"], active_from=datetime.date(2020, 1, 1), active_to=datetime.date(2021, 1, 1))
    for when in (now + datetime.timedelta(minutes=5), now.replace(tzinfo=None)):
        with pytest.raises(ValidationError) as exc:
            _create(org, left, manager, when, [(behaviors["accueil-1"], 2)])
        assert "observed_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _create(org, left, manager, now - datetime.timedelta(days=1), [(behaviors["accueil-1"], 2)])
    assert "was not active" in exc.value.message_dict["observed_at"][0]
    assert Observation.objects.count() == 0


def test_activity_is_checked_on_the_day_in_the_org_timezone(org, tree, manager, behaviors):
    # 2024-03-31 23:30 UTC is already 2024-04-01 in Paris: the member started that day.
    member = make_member(org, tree["T1"], active_from=datetime.date(2024, 4, 1))
    when = datetime.datetime(2024, 3, 31, 23, 30, tzinfo=datetime.UTC)
    obs = _create(org, member, manager, when, [(behaviors["accueil-1"], 2)])
    assert obs.pk


def test_behaviors_of_an_inactive_model_or_another_org_are_rejected(
    org, other_org, members, manager, behaviors, recently
):
    old = make_experience_model(org, version=0, active=False, dimensions=(("x", 1),))
    foreign = make_experience_model(other_org, dimensions=(("y", 1),))
    for model in (old, foreign):
        with pytest.raises(ValidationError) as exc:
            _create(org, members["lea"], manager, recently, [(model.behaviors.get(), 2)])
        assert "active experience model" in exc.value.message_dict["ratings"][0]


def test_member_of_another_org_is_rejected(org, other_org, manager, behaviors, recently):
    from tests.factories import make_unit

    stranger = make_member(other_org, make_unit(other_org, kind="team"))
    with pytest.raises(ValidationError) as exc:
        _create(org, stranger, manager, recently, [(behaviors["accueil-1"], 2)])
    assert "member" in exc.value.message_dict


def test_duplicate_external_id_changes_nothing(org, members, manager, behaviors, recently):
    first, created = observation_create_or_get(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="coaching",
        ratings={"accueil-1": 2},
        external_id="obs-1",
    )
    again, created_again = observation_create_or_get(
        org=org,
        member=members["hugo"],
        observer=manager,
        observed_at=recently,
        kind="observation",
        ratings={"accueil-1": 4},
        external_id="obs-1",
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.member == members["lea"]
    assert list(Rating.objects.values_list("level", flat=True)) == [2]


def test_observation_update_replaces_ratings_and_moves_denormalized_fields(org, members, manager, behaviors, recently):
    obs = _create(org, members["lea"], manager, recently, {"accueil-1": 2, "accueil-2": 2})
    earlier = recently - datetime.timedelta(minutes=30)
    observation_update(observation=obs, observed_at=earlier, ratings={"conseil-1": 4}, strengths="Smiles")
    assert list(Rating.objects.values_list("behavior__code", "level", "observed_at")) == [("conseil-1", 4, earlier)]
    obs.refresh_from_db()
    assert obs.strengths == "Smiles"
    observation_update(observation=obs, member=members["hugo"])
    assert set(Rating.objects.values_list("member_id", flat=True)) == {members["hugo"].pk}


def test_observation_update_validates_like_create(org, members, manager, behaviors, recently, now):
    obs = _create(org, members["lea"], manager, recently, {"accueil-1": 2})
    with pytest.raises(ValidationError):
        observation_update(observation=obs, observed_at=now + datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        observation_update(observation=obs, ratings={"accueil-1": 9})
    obs.refresh_from_db()
    assert obs.observed_at == recently and list(obs.ratings.values_list("level", flat=True)) == [2]


def test_observation_delete_removes_its_ratings(org, members, manager, behaviors, recently):
    obs = _create(org, members["lea"], manager, recently, {"accueil-1": 2})
    observation_delete(observation=obs)
    assert Observation.objects.count() == 0 and Rating.objects.count() == 0


def test_animation_create_checks_team_attendees_and_dimensions(org, tree, members, manager, exp_model, recently):
    animation = animation_create(
        org=org,
        team=tree["T1"],
        held_by=manager,
        held_at=recently,
        kind="briefing",
        topic="Greeting",
        dimensions=["accueil"],
        attendees=[members["lea"], "E0002"],
    )
    assert sorted(animation.attendees.values_list("code", flat=True)) == ["E0001", "E0002"]
    assert list(animation.dimensions.values_list("code", flat=True)) == ["accueil"]
    with pytest.raises(ValidationError) as exc:
        animation_create(
            org=org,
            team=tree["T1"],
            held_by=manager,
            held_at=recently,
            kind="party",
            dimensions=["nope"],
            attendees=[members["ines"]],
        )
    assert set(exc.value.message_dict) == {"kind", "dimensions", "attendees"}
    assert Animation.objects.count() == 1


def test_animation_rejects_future_and_inactive_attendee(org, tree, manager, exp_model, now):
    left = make_member(org, tree["T1"], active_from=datetime.date(2020, 1, 1), active_to=datetime.date(2021, 1, 1))
    with pytest.raises(ValidationError) as exc:
        animation_create(
            org=org, team=tree["T1"], held_by=manager, held_at=now + datetime.timedelta(hours=2), kind="ritual"
        )
    assert "held_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        animation_create(org=org, team=tree["T1"], held_by=manager, held_at=now, kind="ritual", attendees=[left])
    assert "attendees" in exc.value.message_dict


def test_animation_idempotent_update_and_delete(org, tree, members, manager, exp_model, recently):
    a, created = animation_create_or_get(
        org=org, team=tree["T1"], held_by=manager, held_at=recently, kind="training", external_id="a-1"
    )
    b, created_b = animation_create_or_get(
        org=org, team=tree["T1"], held_by=manager, held_at=recently, kind="ritual", external_id="a-1"
    )
    assert (created, created_b, a.pk) == (True, False, b.pk)
    animation_update(animation=a, kind="challenge", attendees=[members["hugo"]], dimensions=["conseil"])
    a.refresh_from_db()
    assert a.kind == "challenge" and list(a.attendees.all()) == [members["hugo"]]
    assert list(a.dimensions.values_list("code", flat=True)) == ["conseil"]
    animation_delete(animation=a)
    assert Animation.objects.count() == 0


def test_every_write_marks_the_months_for_recomputation(org, tree, members, manager, behaviors):
    from cxtracker.months import Month
    from kpis.models import DirtyPeriod

    def marked():
        rows = DirtyPeriod.objects.filter(organization=org).values_list("period_start", "team_id")
        marks = sorted(rows)
        DirtyPeriod.objects.filter(organization=org).delete()
        return marks

    current, team = Month.of(org.today()), members["lea"].team_id
    march = datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC)
    obs = _create(org, members["lea"], manager, march, {"accueil-1": 2})
    # A rating counts at the end of its month and of every later one: all of them, for its team.
    assert marked() == [(m.first_day, team) for m in Month.range(Month.parse("2026-03"), current)]
    observation_update(observation=obs, observed_at=march.replace(month=1))
    assert marked() == [(m.first_day, team) for m in Month.range(Month.parse("2026-01"), current)]
    # An animation counts in its month only.
    animation_create(org=org, team=tree["T2"], held_by=manager, held_at=march.replace(month=5), kind="ritual")
    assert marked() == [(datetime.date(2026, 5, 1), tree["T2"].pk)]
    observation_delete(observation=obs)
    assert marked() == [(m.first_day, team) for m in Month.range(Month.parse("2026-01"), current)]
