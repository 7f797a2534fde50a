"""Rules of the schema that keep tables distributable by organization (SPEC §7)."""

from django.apps import apps
from django.db import models

from cxtracker.tenancy.models import TenantModel

PROJECT_APPS = {"tenancy", "experience", "deployment", "kpis", "dashboards"}


def _tenant_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS and issubclass(m, TenantModel)]


def test_every_project_table_but_the_tenant_and_user_profile_is_a_tenant_table():
    exempt = {"Organization", "UserProfile"}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS and model.__name__ not in exempt:
            assert issubclass(model, TenantModel), f"{model.__name__} has no organization"


def test_every_unique_constraint_of_a_tenant_table_includes_the_organization():
    for model in _tenant_models():
        for field in model._meta.local_fields:
            assert not field.unique or field.primary_key, f"{model.__name__}.{field.name} is unique on its own"
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                assert "organization" in constraint.fields, f"{model.__name__}: {constraint.name}"
        for fields in model._meta.unique_together:
            assert "organization" in fields, f"{model.__name__}: unique_together {fields}"
