"""The version of a past month is the one active at its end: the activations are kept."""

import datetime
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation

from cxtracker.months import Month
from experience.models import ExperienceModel, ExperienceModelActivation
from experience.selectors import models_active_at
from experience.services import (
    experience_model_activate,
    experience_model_copy,
    experience_model_create_from_json,
    experience_model_delete,
    experience_model_delete_problem,
)
from tests.experience.conftest import sample_data, url

PARIS = ZoneInfo("Europe/Paris")


def _at(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def _history(org):
    return list(ExperienceModelActivation.objects.for_org(org).values_list("model__version", flat=True))


def _dated(org, *moments):
    """Give the organization's activations, in order, these moments (the clock cannot be moved)."""
    activations = list(ExperienceModelActivation.objects.for_org(org).order_by("activated_at", "id"))
    assert len(activations) == len(moments)
    for activation, moment in zip(activations, moments, strict=True):
        activation.activated_at = moment
        activation.save(update_fields=["activated_at"])


def test_each_activation_is_kept_including_a_return_to_an_earlier_version(org, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)
    experience_model_activate(org=org, model=v2)
    experience_model_activate(org=org, model=v2)  # already active: no new activation
    experience_model_activate(org=org, model=model_v1)

    assert _history(org) == [1, 2, 1]
    model_v1.refresh_from_db()
    assert model_v1.activations.order_by("activated_at").last().activated_at == model_v1.activated_at


def test_a_month_uses_the_version_active_at_its_end(org, model_v1, django_assert_max_num_queries):
    v2 = experience_model_copy(org=org, model=model_v1)
    experience_model_activate(org=org, model=v2)
    experience_model_activate(org=org, model=model_v1)
    # v1 from 10 January, v2 from 15 March 14:00, v1 again from 1 May 00:00 (Paris).
    _dated(org, _at(2026, 1, 10, 9, 0), _at(2026, 3, 15, 14, 0), _at(2026, 5, 1, 0, 0))
    month_ends = {
        m: m.bounds(PARIS)[1] - datetime.timedelta(microseconds=1)
        for m in Month.range(*map(Month.parse, ("2025-12", "2026-06")))
    }

    with django_assert_max_num_queries(1):
        versions = models_active_at(org=org, moments=month_ends.values())

    by_month = {str(m): versions[moment].version for m, moment in month_ends.items()}
    assert by_month == {
        # Before the first activation: the first version, with which the organization's data starts.
        "2025-12": 1,
        "2026-01": 1,
        "2026-02": 1,
        # v2 was activated mid-March: March ends with it.
        "2026-03": 2,
        # v1 came back at midnight on 1 May: April ended with v2 still.
        "2026-04": 2,
        "2026-05": 1,
        "2026-06": 1,
    }


def test_an_activation_counts_from_its_very_moment(org, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)
    experience_model_activate(org=org, model=v2)
    switch = _at(2026, 3, 15, 14, 0)
    _dated(org, _at(2026, 1, 10, 9, 0), switch)
    just_before = switch - datetime.timedelta(microseconds=1)

    versions = models_active_at(org=org, moments=[just_before, switch])

    assert {moment: model.version for moment, model in versions.items()} == {just_before: 1, switch: 2}


def test_an_organization_that_never_activated_a_version_has_none(org, other_org):
    experience_model_create_from_json(org=other_org, data=sample_data(), activate=True)
    experience_model_create_from_json(org=org, data=sample_data())  # a draft only
    moment = _at(2026, 3, 31, 23, 59)

    assert models_active_at(org=org, moments=[moment]) == {moment: None}


def test_an_active_version_without_recorded_activation_holds_everywhere(org):
    model = ExperienceModel.objects.create(organization=org, name="M", version=1, is_active=True)
    moments = [_at(2025, 6, 30, 12, 0), _at(2026, 3, 31, 23, 59)]

    assert models_active_at(org=org, moments=moments) == dict.fromkeys(moments, model)


def test_another_organizations_activations_are_ignored(org, other_org, model_v1):
    _dated(org, _at(2026, 1, 10, 9, 0))
    theirs = experience_model_create_from_json(org=other_org, data=sample_data(), activate=True)
    ExperienceModelActivation.objects.filter(model=theirs).update(activated_at=_at(2026, 2, 1, 0, 0))
    moment = _at(2026, 3, 1, 0, 0)

    assert models_active_at(org=org, moments=[moment]) == {moment: model_v1}
    assert models_active_at(org=other_org, moments=[moment]) == {moment: theirs}


def test_the_migration_backfills_the_last_activation_of_each_version(org, other_org, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)
    experience_model_activate(org=org, model=v2)
    experience_model_copy(org=org, model=v2)  # a draft, never activated
    theirs = experience_model_create_from_json(org=other_org, data=sample_data(), activate=True)
    ExperienceModelActivation.objects.all().delete()
    migration = importlib.import_module("experience.migrations.0002_activation_history")

    migration.backfill(apps, None)

    rows = set(ExperienceModelActivation.objects.values_list("organization_id", "model_id", "activated_at"))
    model_v1.refresh_from_db()
    v2.refresh_from_db()
    theirs.refresh_from_db()
    assert rows == {
        (org.pk, model_v1.pk, model_v1.activated_at),
        (org.pk, v2.pk, v2.activated_at),
        (other_org.pk, theirs.pk, theirs.activated_at),
    }
    assert models_active_at(org=org, moments=[v2.activated_at])[v2.activated_at] == v2


def test_a_version_active_in_the_past_cannot_be_deleted(org, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)
    experience_model_activate(org=org, model=v2)
    model_v1.refresh_from_db()

    with translation.override("en"):
        assert "active in the past" in experience_model_delete_problem(model=model_v1)
        with pytest.raises(ValidationError, match="active in the past"):
            experience_model_delete(org=org, model=model_v1)
    assert _history(org) == [1, 2]


def test_the_activation_page_says_levels_carry_over_by_behavior_code(admin_client, org, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)

    page = admin_client.get(url("model-activate", org, model_pk=v2.pk)).content.decode()

    assert "Levels carry over by behavior code" in page
    assert "A behavior new in this version starts at level 1 for everyone." in page
    assert "past months keep the version that was active at their end" in page
    assert "members start from level 1" not in page
