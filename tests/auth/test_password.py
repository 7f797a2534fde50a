"""Changing a password (old one required) and resetting a forgotten one by e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.auth.conftest import PASSWORD

NEW_PASSWORD = "purple elephant umbrella 42"


def _can_log_in(client, email, password):
    """Through the real login form, in a fresh session."""
    client.logout()
    response = client.post(reverse("login"), {"username": email, "password": password})
    ok = response.status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    return ok


def _reset_link(message):
    match = re.search(r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match[1]


def _request_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


# --- change -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_password_change_with_wrong_old_password_changes_nothing(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("password_change"),
        {"old_password": "not my password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_change_rejects_mismatched_new_passwords(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_change_sets_the_new_password_and_keeps_the_session(client, admin, org):
    client.force_login(admin)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    # The session survives the change (update_session_auth_hash).
    assert client.get(f"/o/{org.slug}/").status_code == 200

    assert _can_log_in(client, "alice@example.com", NEW_PASSWORD)
    assert not _can_log_in(client, "alice@example.com", PASSWORD)


@pytest.mark.django_db
def test_header_links_to_password_change(client, admin, org):
    client.force_login(admin)
    assert f'href="{reverse("password_change")}"' in client.get(f"/o/{org.slug}/").content.decode()


# --- reset ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_links_to_password_reset(client):
    assert f'href="{reverse("password_reset")}"' in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_password_reset_sends_a_working_link(client, admin):
    response = _request_reset(client, "alice@example.com")
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "\n" not in message.subject
    assert message.subject.strip()

    # The link leads to the form (Django first swaps the token for a session-held one).
    response = client.get(_reset_link(message), follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    form_url = response.redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    assert client.get(response.url).status_code == 200

    assert _can_log_in(client, "alice@example.com", NEW_PASSWORD)
    assert not _can_log_in(client, "alice@example.com", PASSWORD)


@pytest.mark.django_db
def test_reset_link_works_only_once(client, admin):
    _request_reset(client, "alice@example.com")
    link = _reset_link(mail.outbox[0])
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "<form" not in response.content.decode().split("<main", 1)[1].split("</main>")[0]


@pytest.mark.django_db
def test_reset_with_a_forged_token_is_refused(client, admin):
    _request_reset(client, "alice@example.com")
    link = _reset_link(mail.outbox[0])
    forged = re.sub(r"/[^/]+/$", "/abc-0123456789abcdef/", link)
    response = client.get(forged)
    assert response.status_code == 200
    assert response.context["validlink"] is False
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


@pytest.mark.django_db
def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, admin):
    known = _request_reset(client, "alice@example.com")
    unknown = _request_reset(client, "nobody@example.com")
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url) == (302, reverse("password_reset_done"))
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]

    done = client.get(unknown.url)
    assert done.status_code == 200
    assert "registration/password_reset_done.html" in [t.name for t in done.templates]


@pytest.mark.django_db
def test_reset_with_an_invalid_email_shows_a_form_error(client):
    response = _request_reset(client, "not an e-mail")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert mail.outbox == []


@pytest.mark.django_db
def test_resetting_the_password_lifts_a_lockout(client, admin):
    """The lockout page sends the user to the reset: the e-mailed link proves they own the account."""
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice@example.com", "password": "wrong password"})
    assert client.post(reverse("login"), {"username": "alice@example.com", "password": PASSWORD}).status_code == 429

    _request_reset(client, "alice@example.com")
    form_url = client.get(_reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert _can_log_in(client, "alice@example.com", NEW_PASSWORD)


@pytest.mark.django_db
def test_a_failed_reset_form_keeps_the_lockout(client, admin):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice@example.com", "password": "wrong password"})
    _request_reset(client, "alice@example.com")
    form_url = client.get(_reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": "something else"})
    assert response.status_code == 200

    assert client.post(reverse("login"), {"username": "alice@example.com", "password": PASSWORD}).status_code == 429
