"""The model editor: dimensions and behaviors, their order, their guidance; what a locked version allows."""

import pytest
from django.utils import timezone

from deployment.models import Observation, Rating
from experience.models import Behavior, Dimension
from experience.services import experience_model_copy, experience_model_create_from_json, journey_create
from tests.experience.conftest import sample_data, url
from tests.factories import make_member

GUIDANCE = {"guidance_unknown": "", "guidance_known": "", "guidance_applied": "", "guidance_mastered": ""}


@pytest.fixture
def draft(org, model_v1):
    return experience_model_copy(org=org, model=model_v1)


def _codes(queryset):
    return list(queryset.order_by("position", "id").values_list("code", flat=True))


def _rate(org, tree, behavior, level=3):
    member = make_member(org, tree["T1"])
    now = timezone.now()
    observation = Observation.objects.create(organization=org, member=member, observed_at=now, model=behavior.model)
    return Rating.objects.create(
        organization=org, observation=observation, behavior=behavior, level=level, member=member, observed_at=now
    )


# --- dimensions ----------------------------------------------------------------------------------


def test_add_a_dimension_linked_to_journeys(admin_client, org, draft):
    journey = journey_create(org=org, code="achat", name="Achat")
    response = admin_client.post(
        url("dimension-create", org, model_pk=draft.pk),
        {"code": "conclusion", "name": "Conclusion", "description": "", "journeys": [journey.pk]},
    )
    assert response.url == url("model-detail", org, model_pk=draft.pk)
    dimension = draft.dimensions.get(code="conclusion")
    assert dimension.position == 2
    assert list(dimension.journeys.all()) == [journey]
    assert _codes(draft.dimensions) == ["accueil", "conseil", "conclusion"]


def test_dimension_code_must_be_unique_and_valid(admin_client, org, draft):
    create = url("dimension-create", org, model_pk=draft.pk)
    duplicate = admin_client.post(create, {"code": "accueil", "name": "Bis"})
    invalid = admin_client.post(create, {"code": "pas bon", "name": "Bis"})
    assert duplicate.status_code == invalid.status_code == 400
    assert "Another dimension of this version already has this code." in duplicate.content.decode()
    assert "Use letters, digits" in invalid.content.decode()
    assert draft.dimensions.count() == 2


def test_a_journey_of_another_org_cannot_be_linked(admin_client, org, other_org, draft):
    foreign = journey_create(org=other_org, code="x", name="Foreign")
    response = admin_client.post(
        url("dimension-create", org, model_pk=draft.pk), {"code": "d", "name": "D", "journeys": [foreign.pk]}
    )
    assert response.status_code == 400
    assert not draft.dimensions.filter(code="d").exists()


def test_edit_a_dimension(admin_client, org, draft):
    dimension = draft.dimensions.get(code="accueil")
    response = admin_client.post(
        url("dimension-edit", org, dimension_pk=dimension.pk),
        {"code": "welcome", "name": "Welcome", "description": "First seconds"},
    )
    dimension.refresh_from_db()
    assert response.status_code == 302
    assert (dimension.code, dimension.name, dimension.description) == ("welcome", "Welcome", "First seconds")


def test_reorder_dimensions_without_javascript(admin_client, org, draft):
    conseil = draft.dimensions.get(code="conseil")
    response = admin_client.post(url("dimension-move", org, dimension_pk=conseil.pk), {"direction": "up"})
    assert response.url == url("model-detail", org, model_pk=draft.pk) + f"#dimension-{conseil.pk}"
    assert _codes(draft.dimensions) == ["conseil", "accueil"]
    # Already first: nothing moves.
    admin_client.post(url("dimension-move", org, dimension_pk=conseil.pk), {"direction": "up"})
    assert _codes(draft.dimensions) == ["conseil", "accueil"]


def test_move_needs_a_direction(admin_client, org, draft):
    dimension = draft.dimensions.first()
    assert (
        admin_client.post(url("dimension-move", org, dimension_pk=dimension.pk), {"direction": "x"}).status_code == 400
    )
    assert admin_client.get(url("dimension-move", org, dimension_pk=dimension.pk)).status_code == 405


def test_delete_a_dimension_of_a_draft(admin_client, org, draft):
    dimension = draft.dimensions.get(code="conseil")
    confirm = admin_client.get(url("dimension-delete", org, dimension_pk=dimension.pk))
    assert "Its behaviors are deleted with it." in confirm.content.decode()
    admin_client.post(url("dimension-delete", org, dimension_pk=dimension.pk))
    assert _codes(draft.dimensions) == ["accueil"]
    assert not Behavior.objects.filter(model=draft, code="reformule").exists()


def test_a_dimension_with_ratings_cannot_be_deleted(admin_client, org, tree):
    model = experience_model_create_from_json(org=org, data=sample_data())
    dimension = model.dimensions.get(code="conseil")
    _rate(org, tree, dimension.behaviors.get())
    response = admin_client.post(url("dimension-delete", org, dimension_pk=dimension.pk), follow=True)
    assert "cannot be deleted: some of its behaviors have ratings" in response.content.decode()
    assert Dimension.objects.filter(pk=dimension.pk).exists()


def test_active_version_refuses_new_dimensions_and_code_changes(admin_client, org, model_v1):
    create = admin_client.post(url("dimension-create", org, model_pk=model_v1.pk), {"code": "new", "name": "New"})
    assert create.status_code == 400
    assert "only its wording can change" in create.content.decode()
    assert model_v1.dimensions.count() == 2

    dimension = model_v1.dimensions.get(code="accueil")
    # The code field is disabled: a posted code is ignored, the new wording is saved.
    response = admin_client.post(
        url("dimension-edit", org, dimension_pk=dimension.pk), {"code": "changed", "name": "Accueil client"}
    )
    dimension.refresh_from_db()
    assert response.status_code == 302
    assert (dimension.code, dimension.name) == ("accueil", "Accueil client")


def test_active_version_refuses_deletions(admin_client, org, model_v1):
    dimension = model_v1.dimensions.get(code="conseil")
    behavior = model_v1.behaviors.get(code="sourit")
    admin_client.post(url("dimension-delete", org, dimension_pk=dimension.pk))
    response = admin_client.post(url("behavior-delete", org, behavior_pk=behavior.pk), follow=True)
    assert "only its wording can change" in response.content.decode()
    assert model_v1.dimensions.count() == 2
    assert model_v1.behaviors.count() == 3


# --- behaviors -----------------------------------------------------------------------------------


def test_add_a_behavior_with_guidance(admin_client, org, draft):
    dimension = draft.dimensions.get(code="conseil")
    response = admin_client.post(
        url("behavior-create", org, dimension_pk=dimension.pk),
        {
            "dimension": dimension.pk,
            "code": "argumente",
            "name": "Argumente avec les bénéfices",
            "guidance_unknown": "Récite la fiche produit",
            "guidance_known": "",
            "guidance_applied": "",
            "guidance_mastered": "Relie chaque bénéfice au besoin exprimé",
        },
    )
    assert response.status_code == 302
    behavior = draft.behaviors.get(code="argumente")
    assert behavior.dimension == dimension
    assert behavior.guidance(1) == "Récite la fiche produit"
    assert behavior.guidance(4) == "Relie chaque bénéfice au besoin exprimé"
    assert _codes(dimension.behaviors) == ["reformule", "argumente"]
    page = admin_client.get(url("model-detail", org, model_pk=draft.pk)).content.decode()
    assert "Relie chaque bénéfice au besoin exprimé" in page


def test_adding_a_behavior_to_the_active_version_is_allowed(admin_client, org, model_v1):
    dimension = model_v1.dimensions.get(code="accueil")
    response = admin_client.post(
        url("behavior-create", org, dimension_pk=dimension.pk),
        {"dimension": dimension.pk, "code": "regard", "name": "Regarde le client", **GUIDANCE},
    )
    assert response.status_code == 302
    assert model_v1.behaviors.filter(code="regard").exists()


def test_behavior_code_is_unique_within_the_version(admin_client, org, draft):
    dimension = draft.dimensions.get(code="conseil")
    response = admin_client.post(
        url("behavior-create", org, dimension_pk=dimension.pk),
        {"dimension": dimension.pk, "code": "sourit", "name": "Duplicate", **GUIDANCE},
    )
    assert response.status_code == 400
    assert "Another behavior of this version already has this code." in response.content.decode()
    assert draft.behaviors.count() == 3


def test_a_behavior_cannot_be_put_in_a_dimension_of_another_version(admin_client, org, model_v1, draft):
    other_version_dimension = model_v1.dimensions.get(code="conseil")
    behavior = draft.behaviors.get(code="sourit")
    response = admin_client.post(
        url("behavior-edit", org, behavior_pk=behavior.pk),
        {"dimension": other_version_dimension.pk, "code": "sourit", "name": "Sourit", **GUIDANCE},
    )
    assert response.status_code == 400
    behavior.refresh_from_db()
    assert behavior.dimension.model_id == draft.pk


def test_edit_a_behavior_and_move_it_to_another_dimension(admin_client, org, draft):
    behavior = draft.behaviors.get(code="sourit")
    conseil = draft.dimensions.get(code="conseil")
    response = admin_client.post(
        url("behavior-edit", org, behavior_pk=behavior.pk),
        {"dimension": conseil.pk, "code": "sourit", "name": "Sourit sincèrement", **GUIDANCE, "guidance_known": "k"},
    )
    behavior.refresh_from_db()
    assert response.status_code == 302
    assert (behavior.name, behavior.dimension, behavior.guidance_known) == ("Sourit sincèrement", conseil, "k")
    assert _codes(conseil.behaviors) == ["reformule", "sourit"]


def test_active_version_edits_wording_only(admin_client, org, model_v1):
    behavior = model_v1.behaviors.get(code="sourit")
    conseil = model_v1.dimensions.get(code="conseil")
    response = admin_client.post(
        url("behavior-edit", org, behavior_pk=behavior.pk),
        {"dimension": conseil.pk, "code": "other", "name": "Sourit toujours", **GUIDANCE, "guidance_mastered": "m"},
    )
    behavior.refresh_from_db()
    assert response.status_code == 302
    assert (behavior.code, behavior.dimension.code) == ("sourit", "accueil")
    assert (behavior.name, behavior.guidance_mastered) == ("Sourit toujours", "m")


def test_reorder_behaviors(admin_client, org, draft):
    dimension = draft.dimensions.get(code="accueil")
    first = dimension.behaviors.get(code="salue-30s")
    admin_client.post(url("behavior-move", org, behavior_pk=first.pk), {"direction": "down"})
    assert _codes(dimension.behaviors) == ["sourit", "salue-30s"]


def test_a_behavior_with_ratings_cannot_be_deleted(admin_client, org, tree):
    model = experience_model_create_from_json(org=org, data=sample_data())
    behavior = model.behaviors.get(code="sourit")
    _rate(org, tree, behavior)
    confirm = admin_client.get(url("behavior-delete", org, behavior_pk=behavior.pk))
    assert "cannot be deleted: observations rated it" in confirm.content.decode()
    admin_client.post(url("behavior-delete", org, behavior_pk=behavior.pk))
    assert Behavior.objects.filter(pk=behavior.pk).exists()


def test_delete_a_behavior_of_a_draft(admin_client, org, draft):
    behavior = draft.behaviors.get(code="sourit")
    response = admin_client.post(url("behavior-delete", org, behavior_pk=behavior.pk))
    assert response.status_code == 302
    assert not Behavior.objects.filter(pk=behavior.pk).exists()


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["executive", "steering", "manager"])
def test_other_roles_get_403_on_editor_writes(request, client_for, org, draft, role):
    client = client_for(request.getfixturevalue(role))
    dimension = draft.dimensions.get(code="accueil")
    behavior = draft.behaviors.get(code="sourit")
    targets = [
        url("dimension-create", org, model_pk=draft.pk),
        url("dimension-edit", org, dimension_pk=dimension.pk),
        url("dimension-delete", org, dimension_pk=dimension.pk),
        url("dimension-move", org, dimension_pk=dimension.pk),
        url("behavior-create", org, dimension_pk=dimension.pk),
        url("behavior-edit", org, behavior_pk=behavior.pk),
        url("behavior-delete", org, behavior_pk=behavior.pk),
        url("behavior-move", org, behavior_pk=behavior.pk),
    ]
    for target in targets:
        response = client.post(target, {"code": "x", "name": "Hacked", "direction": "down", "dimension": dimension.pk})
        assert response.status_code == 403, target
    assert _codes(draft.dimensions) == ["accueil", "conseil"]
    assert _codes(dimension.behaviors) == ["salue-30s", "sourit"]
    assert not Behavior.objects.filter(name="Hacked").exists()


def test_outsider_editing_another_orgs_behavior_through_their_own_org_gets_404(client_for, other_org, draft, outsider):
    client = client_for(outsider)
    behavior = draft.behaviors.get(code="sourit")
    dimension = behavior.dimension
    payload = {"dimension": dimension.pk, "code": "hacked", "name": "Hacked", "direction": "up", **GUIDANCE}
    targets = [
        url("behavior-edit", other_org, behavior_pk=behavior.pk),
        url("behavior-delete", other_org, behavior_pk=behavior.pk),
        url("behavior-move", other_org, behavior_pk=behavior.pk),
        url("behavior-create", other_org, dimension_pk=dimension.pk),
        url("dimension-edit", other_org, dimension_pk=dimension.pk),
        url("dimension-delete", other_org, dimension_pk=dimension.pk),
        url("dimension-move", other_org, dimension_pk=dimension.pk),
        url("dimension-create", other_org, model_pk=draft.pk),
    ]
    for target in targets:
        assert client.post(target, payload).status_code == 404, target
    behavior.refresh_from_db()
    assert (behavior.code, behavior.name) == ("sourit", "Sourit")
    assert draft.behaviors.count() == 3
    assert draft.dimensions.count() == 2
