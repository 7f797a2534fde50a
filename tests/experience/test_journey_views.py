"""Customer journeys (org-wide) and their stages."""

import pytest

from experience.models import Journey, JourneyStage
from experience.services import journey_create, journey_stage_create
from tests.experience.conftest import url


@pytest.fixture
def journey(org):
    journey = journey_create(org=org, code="achat", name="Achat en magasin")
    for name in ("Entrée", "Conseil", "Caisse"):
        journey_stage_create(org=org, journey=journey, name=name, is_moment_of_truth=name == "Caisse")
    return journey


def _stages(journey):
    return list(journey.stages.order_by("position", "id").values_list("name", flat=True))


def test_list_shows_journeys_and_their_stages(admin_client, org, journey):
    body = admin_client.get(url("journey-list", org)).content.decode()
    assert "Achat en magasin" in body
    assert "Entrée → Conseil → Caisse ★" in body


def test_list_has_an_empty_state(admin_client, org):
    assert "No customer journey yet" in admin_client.get(url("journey-list", org)).content.decode()


def test_create_a_journey(admin_client, org):
    response = admin_client.post(url("journey-create", org), {"code": "sav", "name": "Contact SAV"})
    journey = Journey.objects.get(code="sav")
    assert response.url == url("journey-detail", org, journey_pk=journey.pk)
    assert journey.organization == org


def test_journey_code_is_unique_in_the_org_but_not_across_orgs(admin_client, org, other_org, journey):
    journey_create(org=other_org, code="sav", name="Their SAV")
    duplicate = admin_client.post(url("journey-create", org), {"code": "achat", "name": "Bis"})
    assert duplicate.status_code == 400
    assert "Another journey already has this code." in duplicate.content.decode()
    ok = admin_client.post(url("journey-create", org), {"code": "sav", "name": "SAV"})
    assert ok.status_code == 302
    assert Journey.objects.for_org(org).count() == 2


def test_edit_a_journey(admin_client, org, journey):
    response = admin_client.post(
        url("journey-edit", org, journey_pk=journey.pk), {"code": "achat", "name": "Achat", "description": "d"}
    )
    journey.refresh_from_db()
    assert response.status_code == 302
    assert (journey.name, journey.description) == ("Achat", "d")


def test_delete_a_journey_unlinks_dimensions(admin_client, org, journey, model_v1):
    dimension = model_v1.dimensions.first()
    dimension.journeys.add(journey)
    confirm = admin_client.get(url("journey-delete", org, journey_pk=journey.pk))
    assert "dimensions lose their link" in confirm.content.decode()
    response = admin_client.post(url("journey-delete", org, journey_pk=journey.pk))
    assert response.url == url("journey-list", org)
    assert not Journey.objects.exists()
    assert not JourneyStage.objects.exists()
    assert dimension.journeys.count() == 0


def test_detail_lists_linked_dimensions(admin_client, org, journey, model_v1):
    model_v1.dimensions.get(code="accueil").journeys.add(journey)
    body = admin_client.get(url("journey-detail", org, journey_pk=journey.pk)).content.decode()
    assert "Accueil" in body
    assert "moment of truth" in body


def test_add_edit_move_and_delete_stages(admin_client, org, journey):
    add = admin_client.post(
        url("stage-create", org, journey_pk=journey.pk), {"name": "Retrait", "is_moment_of_truth": "on"}
    )
    assert add.status_code == 302
    retrait = journey.stages.get(name="Retrait")
    assert retrait.is_moment_of_truth is True
    assert _stages(journey) == ["Entrée", "Conseil", "Caisse", "Retrait"]

    admin_client.post(url("stage-move", org, stage_pk=retrait.pk), {"direction": "up"})
    assert _stages(journey) == ["Entrée", "Conseil", "Retrait", "Caisse"]

    admin_client.post(url("stage-edit", org, stage_pk=retrait.pk), {"name": "Retrait colis"})
    retrait.refresh_from_db()
    assert (retrait.name, retrait.is_moment_of_truth) == ("Retrait colis", False)

    admin_client.post(url("stage-delete", org, stage_pk=retrait.pk))
    assert _stages(journey) == ["Entrée", "Conseil", "Caisse"]


def test_stage_needs_a_name(admin_client, org, journey):
    response = admin_client.post(url("stage-create", org, journey_pk=journey.pk), {"name": ""})
    assert response.status_code == 400
    assert journey.stages.count() == 3


@pytest.mark.parametrize("role", ["executive", "steering", "manager"])
def test_other_roles_read_journeys_but_get_403_on_writes(request, client_for, org, journey, role):
    client = client_for(request.getfixturevalue(role))
    assert client.get(url("journey-list", org)).status_code == 200
    assert client.get(url("journey-detail", org, journey_pk=journey.pk)).status_code == 200
    stage = journey.stages.first()
    targets = [
        url("journey-create", org),
        url("journey-edit", org, journey_pk=journey.pk),
        url("journey-delete", org, journey_pk=journey.pk),
        url("stage-create", org, journey_pk=journey.pk),
        url("stage-edit", org, stage_pk=stage.pk),
        url("stage-delete", org, stage_pk=stage.pk),
        url("stage-move", org, stage_pk=stage.pk),
    ]
    for target in targets:
        assert client.post(target, {"code": "x", "name": "Hacked", "direction": "down"}).status_code == 403, target
    assert Journey.objects.get().name == "Achat en magasin"
    assert _stages(journey) == ["Entrée", "Conseil", "Caisse"]


def test_outsider_gets_404_on_another_orgs_journey_through_their_own_org(client_for, other_org, journey, outsider):
    client = client_for(outsider)
    stage = journey.stages.first()
    targets = [
        url("journey-detail", other_org, journey_pk=journey.pk),
        url("journey-edit", other_org, journey_pk=journey.pk),
        url("journey-delete", other_org, journey_pk=journey.pk),
        url("stage-create", other_org, journey_pk=journey.pk),
        url("stage-edit", other_org, stage_pk=stage.pk),
        url("stage-delete", other_org, stage_pk=stage.pk),
        url("stage-move", other_org, stage_pk=stage.pk),
    ]
    for target in targets:
        assert client.post(target, {"code": "x", "name": "Hacked", "direction": "down"}).status_code == 404, target
    assert Journey.objects.get().name == "Achat en magasin"
    assert _stages(journey) == ["Entrée", "Conseil", "Caisse"]
