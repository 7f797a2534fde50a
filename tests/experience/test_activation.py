"""Activating a new version: observations keep theirs, rates switch."""

import datetime

from django.utils import timezone

from deployment.models import Observation, Rating
from experience.models import ExperienceModel
from experience.selectors import active_model
from experience.services import experience_model_copy
from tests.experience.conftest import url
from tests.factories import make_member


def _observe(org, member, model, levels: dict[str, int], observer=None):
    observed_at = timezone.now() - datetime.timedelta(days=3)
    observation = Observation.objects.create(
        organization=org, member=member, observer=observer, observed_at=observed_at, model=model
    )
    for code, level in levels.items():
        Rating.objects.create(
            organization=org,
            observation=observation,
            behavior=model.behaviors.get(code=code),
            level=level,
            member=member,
            observed_at=observed_at,
        )
    return observation


def test_activating_v2_keeps_observations_of_v1_intact_and_readable(admin_client, org, tree, model_v1, manager):
    member = make_member(org, tree["T1"])
    observation = _observe(org, member, model_v1, {"salue-30s": 3, "reformule": 2}, observer=manager)
    v2 = experience_model_copy(org=org, model=model_v1)

    confirm = admin_client.get(url("model-activate", org, model_pk=v2.pk))
    assert confirm.status_code == 200
    assert "1 observation" in confirm.content.decode()
    response = admin_client.post(url("model-activate", org, model_pk=v2.pk))

    assert response.status_code == 302
    assert active_model(org=org) == v2
    model_v1.refresh_from_db()
    assert model_v1.is_active is False
    observation.refresh_from_db()
    assert observation.model_id == model_v1.pk
    ratings = {(r.behavior.model_id, r.behavior.code): r.level for r in observation.ratings.select_related("behavior")}
    assert ratings == {(model_v1.pk, "salue-30s"): 3, (model_v1.pk, "reformule"): 2}
    # v1 stays readable, with its observation counted.
    page = admin_client.get(url("model-detail", org, model_pk=model_v1.pk))
    assert page.status_code == 200
    assert "Salue en moins de 30 s" in page.content.decode()
    listing = admin_client.get(url("model-list", org)).content.decode()
    assert listing.count('class="badge ok"') == 1


def test_activating_an_empty_version_is_refused(admin_client, org, model_v1):
    draft = admin_client.post(url("model-create", org), {"name": "Empty"})
    empty = ExperienceModel.objects.get(name="Empty")
    assert draft.status_code == 302

    response = admin_client.post(url("model-activate", org, model_pk=empty.pk), follow=True)

    assert "at least one behavior" in response.content.decode()
    assert active_model(org=org) == model_v1


def test_manager_and_executive_cannot_activate(client_for, org, model_v1, manager, executive):
    v2 = experience_model_copy(org=org, model=model_v1)
    for user in (manager, executive):
        response = client_for(user).post(url("model-activate", org, model_pk=v2.pk))
        assert response.status_code == 403
    assert active_model(org=org) == model_v1


def test_outsider_cannot_activate_another_orgs_version(client_for, org, model_v1, outsider):
    v2 = experience_model_copy(org=org, model=model_v1)
    response = client_for(outsider).post(url("model-activate", org, model_pk=v2.pk))
    assert response.status_code == 404
    assert active_model(org=org) == model_v1


def test_the_active_version_offers_no_activation(admin_client, org, model_v1):
    body = admin_client.get(url("model-activate", org, model_pk=model_v1.pk)).content.decode()
    assert "This version is already the active one." in body
    assert "Activate this version" not in body
