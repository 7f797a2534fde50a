"""Logging in with the real form (django-axes and all), landing on the right organization, logging out."""

import pytest
from django.urls import reverse

from cxtracker.tenancy.models import Role, UserProfile
from tests.auth.conftest import PASSWORD
from tests.factories import make_membership, make_org, make_user


def _log_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def _landing(client, email, password=PASSWORD):
    """Logs in and follows the redirects; returns the final response."""
    return client.post(reverse("login"), {"username": email, "password": password}, follow=True)


def _template_names(response):
    return [t.name for t in response.templates]


@pytest.mark.django_db
def test_login_with_email_redirects_to_home(client, admin):
    response = _log_in(client, "alice@example.com")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(admin.pk)


@pytest.mark.django_db
def test_user_with_one_organization_lands_on_its_home(client, admin, org):
    response = _landing(client, "alice@example.com")
    assert response.redirect_chain[-1] == (f"/o/{org.slug}/", 302)
    assert response.status_code == 200
    assert response.context["org"] == org


@pytest.mark.django_db
def test_user_with_several_organizations_sees_the_picker(client, nomad):
    response = _landing(client, "dana@example.com")
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "tenancy/pick_organization.html" in _template_names(response)
    body = response.content.decode()
    assert 'href="/o/acme/"' in body
    assert 'href="/o/globex/"' in body


@pytest.mark.django_db
def test_picker_lists_only_the_users_organizations(client, nomad, third_org):
    client.force_login(nomad)
    response = client.get(reverse("home"))
    assert [m.organization.slug for m in response.context["memberships"]] == ["acme", "globex"]
    assert 'href="/o/initech/"' not in response.content.decode()


@pytest.mark.django_db
def test_last_used_organization_is_remembered_across_logins(client, nomad, other_org):
    client.force_login(nomad)
    assert client.get(f"/o/{other_org.slug}/").status_code == 200
    client.post(reverse("logout"))

    response = _landing(client, "dana@example.com")
    assert response.redirect_chain[-1] == (f"/o/{other_org.slug}/", 302)
    assert response.context["org"] == other_org


@pytest.mark.django_db
def test_pick_parameter_always_shows_the_picker(client, nomad, other_org):
    client.force_login(nomad)
    client.get(f"/o/{other_org.slug}/")
    response = client.get(reverse("home") + "?pick")
    assert response.status_code == 200
    assert "tenancy/pick_organization.html" in _template_names(response)


@pytest.mark.django_db
def test_remembered_organization_the_user_left_is_not_used(client, nomad, other_org):
    client.force_login(nomad)
    client.get(f"/o/{other_org.slug}/")
    nomad.memberships.filter(organization=other_org).delete()
    make_membership(nomad, make_org("umbrella", "Umbrella"), Role.MANAGER)

    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert [m.organization.slug for m in response.context["memberships"]] == ["acme", "umbrella"]


@pytest.mark.django_db
def test_user_without_organization_sees_the_empty_state(client):
    make_user("nobody@example.com")
    response = _landing(client, "nobody@example.com")
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert response.context["memberships"] == []
    assert "empty-state" in response.content.decode()


@pytest.mark.django_db
def test_wrong_password_shows_the_form_again_without_session(client, admin):
    response = _log_in(client, "alice@example.com", "wrong password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_follows_a_safe_next_and_ignores_an_offsite_one(client, admin, org):
    response = client.post(
        reverse("login") + "?next=/o/acme/setup/",
        {"username": "alice@example.com", "password": PASSWORD, "next": "/o/acme/setup/"},
    )
    assert response.url == "/o/acme/setup/"
    client.post(reverse("logout"))

    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


@pytest.mark.django_db
def test_logged_in_user_visiting_login_goes_home(client, admin):
    client.force_login(admin)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.django_db
def test_anonymous_home_redirects_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_logout_is_post_only_and_ends_the_session(client, admin, org):
    client.force_login(admin)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(f"/o/{org.slug}/").status_code == 302


@pytest.mark.django_db
def test_header_logout_is_a_post_form(client, admin, org):
    client.force_login(admin)
    body = client.get(f"/o/{org.slug}/").content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in body


@pytest.mark.django_db
def test_profile_remembers_the_organization_opened_last(client, nomad, org, other_org):
    client.force_login(nomad)
    client.get(f"/o/{other_org.slug}/")
    assert UserProfile.objects.get(user=nomad).last_organization == other_org
    client.get(f"/o/{org.slug}/")
    assert UserProfile.objects.get(user=nomad).last_organization == org


@pytest.mark.django_db
def test_pick_parameter_shows_the_picker_to_a_single_organization_user(client, admin, org):
    client.force_login(admin)
    response = client.get(reverse("home") + "?pick")
    assert response.status_code == 200
    assert [m.organization.slug for m in response.context["memberships"]] == [org.slug]


@pytest.mark.django_db
def test_empty_login_form_names_the_missing_fields(client, admin):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_username_errors"' in body
    assert 'id="id_password_errors"' in body
    assert 'aria-invalid="true"' in body


@pytest.mark.django_db
def test_login_field_is_not_capitalized_by_phones(client):
    body = client.get(reverse("login")).content.decode()
    assert 'autocapitalize="none"' in body
