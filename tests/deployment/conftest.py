"""Fixtures of the field workflow: an active experience model, observations in the past."""

import datetime

import pytest
from django.utils import timezone

from experience.models import Behavior, Dimension, ExperienceModel


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
