"""Fixtures of the field workflow: an active experience model, observations in the past, teams
grown to a size. The team pages' tests (tests/dashboards) use them too."""

import datetime

import pytest
from django.utils import timezone

from deployment.services import observation_create
from experience.models import Behavior, Dimension, ExperienceModel
from tests.factories import make_member


def make_experience_model(org, *, version=1, active=True, dimensions=(("accueil", 2), ("conseil", 2))):
    """A model with the given (dimension code, number of behaviors); behavior codes are
    ``<dimension>-<n>``."""
    model = ExperienceModel.objects.create(organization=org, name=f"Model {version}", version=version, is_active=active)
    for position, (code, n) in enumerate(dimensions):
        dimension = Dimension.objects.create(
            organization=org, model=model, code=code, name=code.title(), position=position
        )
        for i in range(1, n + 1):
            Behavior.objects.create(
                organization=org,
                model=model,
                dimension=dimension,
                code=f"{code}-{i}",
                name=f"{code.title()} behavior {i}",
                position=i,
                guidance_mastered=f"Does {code} {i} perfectly",
            )
    return model


@pytest.fixture
def exp_model(org):
    return make_experience_model(org)


@pytest.fixture
def behaviors(exp_model):
    return {b.code: b for b in Behavior.objects.filter(model=exp_model)}


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def recently(org, now):
    """A moment in the past yet within the current month of the organization."""
    local = timezone.localtime(now, org.tzinfo)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return max(now - datetime.timedelta(hours=1), month_start + datetime.timedelta(seconds=1))


def grow_teams(org, tree, sizes):
    """Teams of the given sizes: Léa and Hugo (T1), Inès (T2) and Paul (T3) of the ``members``
    fixture are already there."""
    already = {"T1": 2, "T2": 1, "T3": 1}
    for team, size in sizes.items():
        for i in range(size - already[team]):
            make_member(org, tree[team], code=f"{team}-{i}", name=f"Someone {team} {i}")


@pytest.fixture
def lea_observed(org, members, manager, behaviors, recently):
    """Léa (T1) observed by her manager, with a level and a next step."""
    return observation_create(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["accueil-1"]: 3},
        strengths="Greets every customer",
        next_step="Suggest the loyalty card",
    )
