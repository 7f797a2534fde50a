"""Every experience page renders for an admin of the organization, in both languages."""

import pytest
from django.urls import reverse

from tests.test_tenancy import _url, org_url_patterns
from tests.world import build_world

EXPERIENCE_URLS = [entry for entry in org_url_patterns() if entry[1].startswith("experience:")]


@pytest.fixture
def world(org):
    return build_world(org)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_experience_page_renders_for_an_admin(client, settings, world, language):
    client.force_login(world["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for _route, name, _callback, converters in EXPERIENCE_URLS:
        url = _url(world, name, converters)
        response = client.get(url)
        # The move and copy actions are POST only.
        assert response.status_code in (200, 302, 405), f"GET {url} ({name}) gave {response.status_code}"


def test_the_nav_links_to_the_experience_model_for_every_role(client_for, org, manager):
    response = client_for(manager).get(reverse("org-home", kwargs={"org": org.slug}))
    assert reverse("experience:model-list", kwargs={"org": org.slug}) in response.content.decode()


def test_the_editor_reads_in_french(client, settings, world):
    client.force_login(world["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    body = client.get(
        reverse("experience:model-detail", kwargs={"org": world["org"].slug, "model_pk": world["model"].pk})
    )
    text = body.content.decode()
    for french in ("Ajouter un comportement", "Exporter en JSON", "Copier dans un brouillon", "À quoi ressemble"):
        assert french in text
    for english in ("Add a behavior", "Export JSON", "Copy into a draft", "What each level looks like", "Move down"):
        assert english not in text
