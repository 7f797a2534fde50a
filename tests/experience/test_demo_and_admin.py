from django.contrib.auth import get_user_model
from django.urls import reverse

from experience.demo import seed
from experience.models import Dimension, ExperienceModel, Journey
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


def test_admin_shows_a_versions_structure_read_only(client, org):
    """Dimensions and behaviors are edited in the app, whose services keep a version in use locked
    and mark the months whose rates change."""
    model = seed(org)
    dimension = model.dimensions.get(code="accueil")
    client = _superuser_client(client)
    page = client.get(reverse("admin:experience_dimension_change", args=[dimension.pk]))
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()
    assert 'name="behaviors-0-code"' not in page.content.decode()
    assert client.get(reverse("admin:experience_behavior_add")).status_code == 403
    response = client.post(reverse("admin:experience_dimension_change", args=[dimension.pk]), {"code": "x"})
    assert response.status_code == 403
    assert Dimension.objects.get(pk=dimension.pk).code == "accueil"


def test_admin_renames_a_version_through_the_service_and_cannot_renumber_or_move_it(client, org, other_org):
    model = seed(org)
    client = _superuser_client(client)
    response = client.post(
        reverse("admin:experience_experiencemodel_change", args=[model.pk]),
        {
            "name": "Expérience 2027",
            "description": "",
            "version": 7,
            "organization": other_org.pk,
            "dimensions-TOTAL_FORMS": 0,
            "dimensions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    model.refresh_from_db()
    assert (model.name, model.version, model.organization) == ("Expérience 2027", 1, org)


def test_admin_refuses_to_delete_the_active_version(client, org):
    model = seed(org)
    client = _superuser_client(client)
    page = client.post(reverse("admin:experience_experiencemodel_delete", args=[model.pk]), {"post": "yes"})
    assert page.status_code == 200
    assert ExperienceModel.objects.filter(pk=model.pk).exists()


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
