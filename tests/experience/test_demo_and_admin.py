from django.contrib.auth import get_user_model
from django.urls import reverse

from experience.demo import seed
from experience.models import Behavior, Dimension, ExperienceModel, Journey
from experience.selectors import active_model, model_structure
from experience.services import experience_model_copy, experience_model_create_from_json, experience_model_export


def test_demo_seed_creates_the_french_active_model_once(org):
    model = seed(org)
    assert active_model(org=org) == model
    dimensions = model_structure(model=model)
    assert [d.name for d in dimensions] == ["Accueil", "Découverte", "Conseil", "Conclusion", "Prise de congé"]
    behaviors = [b for d in dimensions for b in d.behaviors.all()]
    assert 20 <= len(behaviors) <= 25
    assert behaviors[0].name == "Salue le client dans les 30 secondes"
    assert all(b.guidance(level) for b in behaviors for level in (1, 2, 3, 4))
    assert sorted(Journey.objects.for_org(org).values_list("name", flat=True)) == [
        "Achat en magasin",
        "Contact SAV",
        "Retrait de commande",
    ]
    assert all(journey.stages.exists() for journey in Journey.objects.for_org(org))
    assert {j.code for j in dimensions[0].journeys.all()} == {"achat-magasin", "contact-sav", "retrait-commande"}

    assert seed(org) == model
    assert ExperienceModel.objects.for_org(org).count() == 1
    assert Journey.objects.for_org(org).count() == 3


def test_demo_model_round_trips_through_json(org):
    model = seed(org)
    copy = experience_model_create_from_json(org=org, data=experience_model_export(model=model))
    assert experience_model_export(model=copy) == experience_model_export(model=model)


def _superuser_client(client):
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "x-very-secret-1")
    client.force_login(user)
    return client


def test_admin_pages_render_with_inlines(client, org):
    model = seed(org)
    client = _superuser_client(client)
    dimension = model.dimensions.first()
    journey = Journey.objects.for_org(org).first()
    for page in (
        reverse("admin:experience_experiencemodel_changelist"),
        reverse("admin:experience_experiencemodel_change", args=[model.pk]),
        reverse("admin:experience_dimension_change", args=[dimension.pk]),
        reverse("admin:experience_behavior_changelist"),
        reverse("admin:experience_journey_change", args=[journey.pk]),
    ):
        assert client.get(page).status_code == 200, page


def test_admin_inline_behavior_takes_the_organization_and_model_of_its_dimension(client, org):
    model = seed(org)
    dimension = model.dimensions.get(code="accueil")
    client = _superuser_client(client)
    page = client.get(reverse("admin:experience_dimension_change", args=[dimension.pk]))
    data = {}
    for name in ("code", "name", "description", "position"):
        data[name] = getattr(dimension, name)
    data["model"] = model.pk
    data["organization"] = org.pk
    behaviors = list(dimension.behaviors.all())
    prefix = "behaviors"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(behaviors) + 1,
            f"{prefix}-INITIAL_FORMS": len(behaviors),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    )
    for i, b in enumerate(behaviors):
        data.update(
            {
                f"{prefix}-{i}-id": b.pk,
                f"{prefix}-{i}-dimension": dimension.pk,
                f"{prefix}-{i}-position": b.position,
                f"{prefix}-{i}-code": b.code,
                f"{prefix}-{i}-name": b.name,
            }
        )
    n = len(behaviors)
    data.update({f"{prefix}-{n}-dimension": dimension.pk, f"{prefix}-{n}-position": 9, f"{prefix}-{n}-code": "neuf"})
    data[f"{prefix}-{n}-name"] = "Nouveau comportement"
    assert page.status_code == 200

    response = client.post(reverse("admin:experience_dimension_change", args=[dimension.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    created = Behavior.objects.get(code="neuf")
    assert (created.organization, created.model, created.dimension) == (org, model, dimension)
    assert Dimension.objects.get(pk=dimension.pk).code == "accueil"


def test_admin_action_activates_through_the_service(client, org):
    model = seed(org)
    draft = experience_model_copy(org=org, model=model)
    client = _superuser_client(client)
    response = client.post(
        reverse("admin:experience_experiencemodel_changelist"),
        {"action": "activate", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    assert active_model(org=org) == draft
