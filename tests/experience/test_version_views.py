"""The list of versions: create, rename, copy, delete a draft, read-only access for other roles."""

import pytest
from django.utils import timezone

from deployment.models import Observation
from experience.models import ExperienceModel
from experience.services import experience_model_copy
from tests.experience.conftest import url
from tests.factories import make_member


def test_list_shows_versions_with_counts(admin_client, org, model_v1):
    experience_model_copy(org=org, model=model_v1)
    response = admin_client.get(url("model-list", org))
    body = response.content.decode()
    assert response.status_code == 200
    assert "v1" in body and "v2" in body
    assert body.count("Expérience 2026") == 2
    assert ">3</td>" in body  # behaviors of each version


def test_list_has_an_empty_state(admin_client, org):
    response = admin_client.get(url("model-list", org))
    assert "No experience model yet." in response.content.decode()


@pytest.mark.parametrize("role", ["executive", "steering", "manager"])
def test_other_roles_read_the_model_without_edit_controls(request, client_for, org, model_v1, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    listing = client.get(url("model-list", org))
    detail = client.get(url("model-detail", org, model_pk=model_v1.pk))
    assert listing.status_code == detail.status_code == 200
    assert "Salue en moins de 30 s" in detail.content.decode()
    assert url("behavior-create", org, dimension_pk=model_v1.dimensions.first().pk) not in detail.content.decode()
    assert url("model-copy", org, model_pk=model_v1.pk) not in listing.content.decode()


def test_active_url_leads_to_the_active_version(client_for, org, model_v1, manager):
    response = client_for(manager).get(url("model-active", org))
    assert response.url == url("model-detail", org, model_pk=model_v1.pk)


def test_create_a_model(admin_client, org, model_v1):
    response = admin_client.post(url("model-create", org), {"name": "Expérience 2027", "description": ""})
    created = ExperienceModel.objects.get(name="Expérience 2027")
    assert response.url == url("model-detail", org, model_pk=created.pk)
    assert (created.version, created.is_active, created.organization) == (2, False, org)


def test_create_needs_a_name(admin_client, org):
    response = admin_client.post(url("model-create", org), {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ExperienceModel.objects.exists()


def test_rename_a_version(admin_client, org, model_v1):
    response = admin_client.post(url("model-edit", org, model_pk=model_v1.pk), {"name": "Renamed", "description": "d"})
    model_v1.refresh_from_db()
    assert response.status_code == 302
    assert (model_v1.name, model_v1.description) == ("Renamed", "d")


def test_copy_a_version_into_a_draft(admin_client, org, model_v1):
    response = admin_client.post(url("model-copy", org, model_pk=model_v1.pk))
    copy = ExperienceModel.objects.get(version=2)
    assert response.url == url("model-detail", org, model_pk=copy.pk)
    assert copy.is_active is False
    assert sorted(copy.behaviors.values_list("code", flat=True)) == ["reformule", "salue-30s", "sourit"]


def test_copy_is_post_only(admin_client, org, model_v1):
    assert admin_client.get(url("model-copy", org, model_pk=model_v1.pk)).status_code == 405
    assert ExperienceModel.objects.count() == 1


def test_delete_a_draft(admin_client, org, model_v1):
    draft = experience_model_copy(org=org, model=model_v1)
    confirm = admin_client.get(url("model-delete", org, model_pk=draft.pk))
    assert "This cannot be undone." in confirm.content.decode()
    response = admin_client.post(url("model-delete", org, model_pk=draft.pk))
    assert response.status_code == 302
    assert list(ExperienceModel.objects.all()) == [model_v1]


def test_active_version_cannot_be_deleted(admin_client, org, model_v1):
    confirm = admin_client.get(url("model-delete", org, model_pk=model_v1.pk))
    assert "The active version cannot be deleted" in confirm.content.decode()
    response = admin_client.post(url("model-delete", org, model_pk=model_v1.pk), follow=True)
    assert "The active version cannot be deleted" in response.content.decode()
    assert ExperienceModel.objects.filter(pk=model_v1.pk).exists()


def test_version_with_observations_cannot_be_deleted(admin_client, org, tree, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)
    admin_client.post(url("model-activate", org, model_pk=v2.pk))
    Observation.objects.create(
        organization=org, member=make_member(org, tree["T1"]), observed_at=timezone.now(), model=model_v1
    )
    response = admin_client.post(url("model-delete", org, model_pk=model_v1.pk), follow=True)
    assert "observations were made with it" in response.content.decode()
    assert ExperienceModel.objects.filter(pk=model_v1.pk).exists()
    assert model_v1.behaviors.count() == 3


@pytest.mark.parametrize("role", ["executive", "steering", "manager"])
def test_other_roles_get_403_on_version_writes(request, client_for, org, model_v1, role):
    client = client_for(request.getfixturevalue(role))
    draft = experience_model_copy(org=org, model=model_v1)
    posts = [
        url("model-create", org),
        url("model-edit", org, model_pk=draft.pk),
        url("model-copy", org, model_pk=draft.pk),
        url("model-delete", org, model_pk=draft.pk),
        url("model-import", org),
    ]
    for target in posts:
        assert client.post(target, {"name": "Hacked"}).status_code == 403, target
    assert client.get(url("model-export", org, model_pk=draft.pk)).status_code == 403
    assert ExperienceModel.objects.count() == 2
    assert not ExperienceModel.objects.filter(name="Hacked").exists()


def test_outsider_cannot_touch_versions_of_another_org_through_their_own_org(
    client_for, org, other_org, model_v1, outsider
):
    client = client_for(outsider)
    for name in ("model-detail", "model-edit", "model-copy", "model-delete", "model-export", "model-activate"):
        target = url(name, other_org, model_pk=model_v1.pk)
        assert client.post(target, {"name": "Hacked"}).status_code == 404, name
    model_v1.refresh_from_db()
    assert model_v1.name == "Expérience 2026"
    assert ExperienceModel.objects.count() == 1


def test_retired_versions_are_labelled(admin_client, org, model_v1):
    v2 = experience_model_copy(org=org, model=model_v1)
    admin_client.post(url("model-activate", org, model_pk=v2.pk))
    experience_model_copy(org=org, model=v2)
    body = admin_client.get(url("model-list", org)).content.decode()
    assert body.count(">active</span>") == 1
    assert body.count(">retired</span>") == 1
    assert body.count(">draft</span>") == 1


def _queries(client, target):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(target).status_code == 200
    return len(ctx.captured_queries)


def test_list_and_editor_queries_do_not_grow_with_the_model(admin_client, org, model_v1):
    from experience.services import behavior_create, dimension_create

    admin_client.get(url("model-list", org))  # the first visit also remembers the organization
    small_list = _queries(admin_client, url("model-list", org))
    draft = experience_model_copy(org=org, model=model_v1)
    small_editor = _queries(admin_client, url("model-detail", org, model_pk=draft.pk))
    for i in range(4):
        experience_model_copy(org=org, model=model_v1)
        dimension = dimension_create(org=org, model=draft, code=f"d{i}", name=f"D{i}")
        for j in range(3):
            behavior_create(org=org, dimension=dimension, code=f"b{i}-{j}", name=f"B{i}{j}")
    assert _queries(admin_client, url("model-list", org)) == small_list
    assert _queries(admin_client, url("model-detail", org, model_pk=draft.pk)) == small_editor
