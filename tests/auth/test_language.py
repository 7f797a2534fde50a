"""The UI language: the user's choice (profile, else cookie), else the browser's, else the
organization's default, else French. And the header's switcher that records the choice."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from cxtracker.tenancy.models import UserProfile

COOKIE = settings.LANGUAGE_COOKIE_NAME


def _lang(response):
    """The language the page was rendered in, as the page and the headers declare it."""
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang>"
    assert response["Content-Language"] == match[1]
    return match[1]


@pytest.fixture
def english_org(org):
    org.language = "en"
    org.save(update_fields=["language"])
    return org


# --- choosing the language ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_any_preference_the_site_default_is_french(client):
    assert _lang(client.get(reverse("login"))) == "fr"


@pytest.mark.django_db
def test_without_preference_an_organization_page_uses_the_organization_language(client, admin, english_org):
    client.force_login(admin)
    response = client.get(f"/o/{english_org.slug}/")
    assert _lang(response) == "en"
    assert "Log out" in response.content.decode()


@pytest.mark.django_db
def test_pages_outside_organizations_use_the_language_of_the_organization_in_use(client, nomad, english_org):
    client.force_login(nomad)
    assert _lang(client.get(reverse("password_change"))) == "fr"
    client.get(f"/o/{english_org.slug}/")
    assert _lang(client.get(reverse("password_change"))) == "en"
    assert _lang(client.get(reverse("home") + "?pick")) == "en"
    client.get("/o/globex/")
    assert _lang(client.get(reverse("password_change"))) == "fr"


@pytest.mark.django_db
def test_outsider_cannot_tell_an_organization_exists_from_the_language(client, outsider, english_org):
    client.force_login(outsider)
    existing = client.get(f"/o/{english_org.slug}/")
    missing = client.get("/o/no-such-org/")
    assert existing.status_code == missing.status_code == 404
    assert existing["Content-Language"] == missing["Content-Language"] == "fr"


@pytest.mark.django_db
def test_anonymous_redirect_does_not_reveal_the_organization_language(client, english_org):
    response = client.get(f"/o/{english_org.slug}/")
    assert response.status_code == 302
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_browser_language_beats_the_organization_language(client, admin, english_org):
    client.force_login(admin)
    response = client.get(f"/o/{english_org.slug}/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert _lang(response) == "fr"


@pytest.mark.django_db
def test_english_browser_gets_english_outside_organizations(client):
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")) == "en"


@pytest.mark.django_db
def test_unsupported_browser_language_falls_back_on_the_organization(client, admin, english_org):
    client.force_login(admin)
    response = client.get(f"/o/{english_org.slug}/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert _lang(response) == "en"


@pytest.mark.django_db
def test_browser_second_choice_is_used_when_the_first_is_unsupported(client):
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")) == "en"


@pytest.mark.django_db
def test_cookie_beats_the_browser(client):
    client.cookies[COOKIE] = "en"
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "en"


@pytest.mark.django_db
def test_users_saved_choice_beats_cookie_and_browser(client, admin, english_org):
    UserProfile.objects.create(user=admin, language="fr")
    client.force_login(admin)
    client.cookies[COOKIE] = "en"
    response = client.get(f"/o/{english_org.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(response) == "fr"


@pytest.mark.django_db
def test_responses_vary_on_what_chooses_the_language(client):
    vary = {v.strip().lower() for v in client.get(reverse("login"))["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


# --- the switcher -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_switcher_sets_a_cookie_and_returns_to_the_page(client):
    response = client.post(reverse("language-set"), {"language": "en", "next": "/accounts/login/?next=/x/"})
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/x/"
    assert response.cookies[COOKIE].value == "en"
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")) == "en"


@pytest.mark.django_db
def test_switcher_saves_a_logged_in_users_choice_on_the_profile(client, admin, org):
    client.force_login(admin)
    client.post(reverse("language-set"), {"language": "en", "next": f"/o/{org.slug}/"})
    assert UserProfile.objects.get(user=admin).language == "en"

    # The choice follows the user to a new browser: no cookie, a French browser.
    client.logout()
    client.cookies.clear()
    client.force_login(admin)
    assert _lang(client.get(f"/o/{org.slug}/", HTTP_ACCEPT_LANGUAGE="fr-FR")) == "en"


@pytest.mark.django_db
def test_switching_back_updates_the_saved_choice(client, admin, english_org):
    client.force_login(admin)
    client.post(reverse("language-set"), {"language": "en"})
    client.post(reverse("language-set"), {"language": "fr"})
    assert UserProfile.objects.get(user=admin).language == "fr"
    assert _lang(client.get(f"/o/{english_org.slug}/")) == "fr"


@pytest.mark.django_db
def test_anonymous_switch_creates_no_profile(client):
    client.post(reverse("language-set"), {"language": "en"})
    assert not UserProfile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "", "EN", "en-us; drop table"])
def test_switcher_refuses_an_unsupported_language(client, admin, language):
    client.force_login(admin)
    response = client.post(reverse("language-set"), {"language": language, "next": "/"})
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    assert not UserProfile.objects.filter(user=admin).exclude(language="").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "http://testserver.evil/", ""])
def test_switcher_never_redirects_off_site(client, next_url):
    response = client.post(reverse("language-set"), {"language": "en", "next": next_url})
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[COOKIE].value == "en"


@pytest.mark.django_db
def test_switcher_is_post_only(client):
    assert client.get(reverse("language-set") + "?language=en").status_code == 405


@pytest.mark.django_db
def test_header_switcher_posts_back_to_the_current_page(client, admin, org):
    client.force_login(admin)
    body = client.get(f"/o/{org.slug}/?tab=x").content.decode()
    form = re.search(r'<form method="post" action="/language/" class="language-switcher">(.*?)</form>', body, re.S)
    assert form
    assert '<input type="hidden" name="next" value="/o/acme/?tab=x">' in form[1]
    assert re.findall(r'name="language" value="(\w+)"', form[1]) == ["fr", "en"]


# --- the French interface -----------------------------------------------------------------------------
# These read the root catalogue (locale/fr): they fail when it is missing or incomplete.


@pytest.mark.django_db
def test_login_page_in_french(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Se connecter" in body
    assert "Mot de passe" in body
    assert "Log in" not in body
    assert "Password" not in body


@pytest.mark.django_db
def test_organization_header_in_french(client, admin, org):
    client.force_login(admin)
    body = client.get(f"/o/{org.slug}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for french in ("Se déconnecter", "Accueil", "Mes organisations", "Changer de mot de passe"):
        assert french in body
    for english in ("Log out", "My organizations", "Change password"):
        assert english not in body


@pytest.mark.django_db
def test_organization_picker_in_french(client, nomad):
    client.force_login(nomad)
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vos organisations" in body
    assert "Your organizations" not in body


@pytest.mark.django_db
def test_same_pages_in_english(client, admin, org):
    client.force_login(admin)
    body = client.get(f"/o/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for english in ("Log out", "Home", "My organizations", "Change password"):
        assert english in body
    assert "Se déconnecter" not in body
