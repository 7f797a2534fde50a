import pytest
from django.core.exceptions import ValidationError

from experience.models import Behavior, Dimension, ExperienceModel
from experience.selectors import active_model, model_structure
from experience.services import (
    experience_model_activate,
    experience_model_copy,
    experience_model_create_from_json,
    experience_model_export,
)
from tests.experience.conftest import sample_data


def test_create_from_json_builds_the_structure_in_order(org):
    model = experience_model_create_from_json(org=org, data=sample_data())
    assert (model.version, model.is_active) == (1, False)
    dims = model_structure(model=model)
    assert [d.code for d in dims] == ["accueil", "conseil"]
    assert [b.code for b in dims[0].behaviors.all()] == ["salue-30s", "sourit"]
    assert dims[0].behaviors.all()[0].guidance(4) == "Salue toujours"


def test_versions_are_numbered_per_organization(org, other_org):
    experience_model_create_from_json(org=other_org, data=sample_data())
    first = experience_model_create_from_json(org=org, data=sample_data())
    second = experience_model_create_from_json(org=org, data=sample_data())
    assert (first.version, second.version) == (1, 2)


def test_export_round_trips(org):
    data = sample_data()
    model = experience_model_create_from_json(org=org, data=data)
    exported = experience_model_export(model=model)
    assert exported == data
    again = experience_model_create_from_json(org=org, data=exported)
    assert experience_model_export(model=again) == data


def test_activate_switches_the_one_active_version(org, model_v1):
    v2 = experience_model_create_from_json(org=org, data=sample_data())
    experience_model_activate(org=org, model=v2)
    model_v1.refresh_from_db()
    assert model_v1.is_active is False
    assert active_model(org=org) == v2
    assert v2.activated_at is not None


def test_copy_is_an_identical_draft(org, model_v1):
    copy = experience_model_copy(org=org, model=model_v1)
    assert (copy.version, copy.is_active) == (2, False)
    assert experience_model_export(model=copy) == experience_model_export(model=model_v1)
    assert Behavior.objects.filter(model=copy).count() == 3


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("name"), "name"),
        (lambda d: d.update(name="  "), "name"),
        (lambda d: d.update(dimensions=[]), "dimensions"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["dimensions"][1].update(code="accueil"), "dimensions[1].code"),
        (lambda d: d["dimensions"][1]["behaviors"][0].update(code="sourit"), "dimensions[1].behaviors[0].code"),
        (lambda d: d["dimensions"][0]["behaviors"][1].update(code="pas bon"), "dimensions[0].behaviors[1].code"),
        (
            lambda d: d["dimensions"][0]["behaviors"][1].update(guidance={"5": "x"}),
            "dimensions[0].behaviors[1].guidance.5",
        ),
        (lambda d: d["dimensions"][0].update(journeys=["nope"]), "dimensions[0].journeys[0]"),
        (lambda d: [dim.update(behaviors=[]) for dim in d["dimensions"]], "dimensions"),
    ],
)
def test_invalid_data_is_refused_with_the_field_path_and_nothing_written(org, mutate, path):
    data = sample_data()
    mutate(data)
    with pytest.raises(ValidationError) as exc:
        experience_model_create_from_json(org=org, data=data)
    assert path in exc.value.message_dict
    assert ExperienceModel.objects.count() == 0
    assert Dimension.objects.count() == 0


def test_not_an_object_is_refused(org):
    with pytest.raises(ValidationError):
        experience_model_create_from_json(org=org, data=["x"])


def test_locked_version_refuses_code_changes_even_from_a_modified_instance(org, model_v1):
    from experience.services import behavior_update, dimension_update

    behavior = model_v1.behaviors.get(code="sourit")
    behavior.code = "changed"  # as a bound ModelForm leaves it
    with pytest.raises(ValidationError):
        behavior_update(org=org, behavior=behavior, code="changed", name="x", dimension=behavior.dimension)
    dimension = model_v1.dimensions.get(code="accueil")
    dimension.code = "changed"
    with pytest.raises(ValidationError):
        dimension_update(org=org, dimension=dimension, code="changed", name="x", description="", journeys=[])
    assert sorted(model_v1.behaviors.values_list("code", flat=True)) == ["reformule", "salue-30s", "sourit"]
    assert sorted(model_v1.dimensions.values_list("code", flat=True)) == ["accueil", "conseil"]


def test_activation_marks_the_current_month_for_recomputation(org, model_v1):
    from kpis.models import DirtyPeriod

    DirtyPeriod.objects.all().delete()
    v2 = experience_model_copy(org=org, model=model_v1)
    experience_model_activate(org=org, model=v2)
    assert list(DirtyPeriod.objects.for_org(org).values_list("period_start", flat=True)) == [org.today().replace(day=1)]


def test_model_structure_takes_two_queries(org, model_v1, django_assert_num_queries):
    with django_assert_num_queries(2):
        dims = model_structure(model=model_v1)
        codes = [[b.code for b in d.behaviors.all()] for d in dims]
    assert codes == [["salue-30s", "sourit"], ["reformule"]]


def test_a_rating_written_after_the_check_turns_a_delete_into_a_clear_refusal(org, tree, monkeypatch):
    from django.utils import timezone, translation

    from deployment.models import Observation, Rating
    from experience import services
    from tests.factories import make_member

    model = experience_model_create_from_json(org=org, data=sample_data())
    behavior = model.behaviors.get(code="sourit")
    member = make_member(org, tree["T1"])
    observation = Observation.objects.create(organization=org, member=member, observed_at=timezone.now(), model=model)
    Rating.objects.create(
        organization=org, observation=observation, behavior=behavior, level=2, member=member, observed_at=timezone.now()
    )
    # As if the rating had been written between the check and the delete.
    monkeypatch.setattr(services, "behavior_delete_problem", lambda **kwargs: None)
    with translation.override("en"), pytest.raises(ValidationError, match="observations now refer to it"):
        services.behavior_delete(org=org, behavior=behavior)
    assert Behavior.objects.filter(pk=behavior.pk).exists()
