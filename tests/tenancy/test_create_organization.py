import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cxtracker.tenancy.models import Membership, Organization, Role
from kpis.models import Metric
from tests.factories import make_user


def test_creates_the_organization_with_its_default_metrics(db, capsys):
    call_command(
        "create_organization", "north-wind", "North Wind", "--timezone", "America/Montreal", "--language", "en"
    )
    org = Organization.objects.get(slug="north-wind")
    assert (org.name, org.timezone, org.language) == ("North Wind", "America/Montreal", "en")
    assert set(Metric.objects.for_org(org).values_list("code", flat=True)) == {
        "revenue",
        "gross_margin",
        "average_basket",
        "retention_rate",
        "contacts",
        "handling_time",
    }
    assert "/o/north-wind/" in capsys.readouterr().out


def test_defaults_are_paris_and_french(db):
    call_command("create_organization", "acme", "Acme")
    org = Organization.objects.get(slug="acme")
    assert (org.timezone, org.language) == ("Europe/Paris", "fr")


def test_admin_email_creates_an_admin_without_a_usable_password(db):
    call_command("create_organization", "acme", "Acme", "--admin-email", "boss@example.com")
    user = get_user_model().objects.get(email="boss@example.com")
    assert user.username == "boss@example.com"
    assert not user.has_usable_password()
    assert Membership.objects.get(organization__slug="acme", user=user).role == Role.ADMIN


def test_admin_email_of_an_existing_user_reuses_the_account(db):
    user = make_user("boss@example.com")
    call_command("create_organization", "acme", "Acme", "--admin-email", "Boss@Example.com")
    assert get_user_model().objects.count() == 1
    assert Membership.objects.get(organization__slug="acme").user == user
    user.refresh_from_db()
    assert user.has_usable_password()


def test_existing_slug_is_a_command_error_and_changes_nothing(org):
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_organization", "acme", "Another name")
    assert Organization.objects.get(slug="acme").name == "Acme Retail"
    assert Organization.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Not A Slug", "X"], "slug"),
        (["ok-slug", "X", "--timezone", "Mars/Olympus"], "timezone"),
        (["ok-slug", "X", "--admin-email", "not-an-email"], "admin_email"),
        (["ok-slug", "   "], "name"),
    ],
)
def test_invalid_input_is_a_command_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_organization", *args)
    assert not Organization.objects.exists()
    assert not get_user_model().objects.exists()
