"""django-axes: 5 failed logins for one username from one IP address lock that pair out."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.auth.conftest import PASSWORD
from tests.factories import make_user

LOCKOUT_TEMPLATE = "registration/locked_out.html"


def _log_in(client, email, password, ip="127.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def _fail(client, email, times, ip="127.0.0.1"):
    return [_log_in(client, email, "wrong password", ip).status_code for _ in range(times)]


def _is_lockout(response):
    return response.status_code == 429 and LOCKOUT_TEMPLATE in [t.name for t in response.templates]


@pytest.mark.django_db
def test_four_failures_still_allow_the_right_password(client, admin):
    assert _fail(client, "alice@example.com", 4) == [200] * 4
    response = _log_in(client, "alice@example.com", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


@pytest.mark.django_db
def test_after_five_failures_even_the_right_password_gets_the_lockout_page(client, admin):
    statuses = _fail(client, "alice@example.com", 5)
    assert statuses[:4] == [200] * 4
    assert statuses[4] == 429

    response = _log_in(client, "alice@example.com", PASSWORD)
    assert _is_lockout(response)
    assert "_auth_user_id" not in client.session
    assert reverse("password_reset") in response.content.decode()


@pytest.mark.django_db
def test_locked_out_user_cannot_reach_pages(client, admin, org):
    _fail(client, "alice@example.com", 5)
    _log_in(client, "alice@example.com", PASSWORD)
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_successful_login_resets_the_failure_count(client, admin):
    _fail(client, "alice@example.com", 4)
    assert _log_in(client, "alice@example.com", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    # Without the reset, these would be failures 5 to 8 and lock the account.
    assert _fail(client, "alice@example.com", 4) == [200] * 4
    assert _log_in(client, "alice@example.com", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockout_is_per_username(client, admin):
    make_user("bob@example.com")
    _fail(client, "alice@example.com", 5)
    assert _log_in(client, "bob@example.com", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockout_is_per_ip_address(client, admin):
    _fail(client, "alice@example.com", 5, ip="203.0.113.7")
    assert _is_lockout(_log_in(client, "alice@example.com", PASSWORD, ip="203.0.113.7"))
    assert _log_in(client, "alice@example.com", PASSWORD, ip="198.51.100.20").status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, admin):
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": "alice@example.com", "password": "wrong password"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        reverse("login"),
        {"username": "alice@example.com", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert _is_lockout(response)


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off_period(client, admin, settings):
    _fail(client, "alice@example.com", 5)
    assert _is_lockout(_log_in(client, "alice@example.com", PASSWORD))

    # AXES_COOLOFF_TIME is in hours: move the failures just past it.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    )
    response = _log_in(client, "alice@example.com", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


@pytest.mark.django_db
def test_e_mail_case_does_not_matter_to_log_in(client, admin):
    response = _log_in(client, "  Alice@Example.COM ", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


@pytest.mark.django_db
def test_failures_in_other_capitalizations_count_towards_the_same_lockout(client, admin):
    for spelling in ("alice@example.com", "Alice@example.com", "ALICE@EXAMPLE.COM", "alice@Example.com"):
        _log_in(client, spelling, "wrong password")
    assert _is_lockout(_log_in(client, "aLiCe@example.com", "wrong password"))
    assert _is_lockout(_log_in(client, "alice@example.com", PASSWORD))
    assert "_auth_user_id" not in client.session
