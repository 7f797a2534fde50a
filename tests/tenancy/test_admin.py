"""The Django admin of the tenancy models, for staff."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cxtracker.tenancy.models import ApiKey, Membership, Organization, Role
from kpis.models import Metric


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("staff@example.com", "staff@example.com", "pw-staff-123456")


def test_every_tenancy_changelist_opens(client, staff, org, tree, members, manager):
    client.force_login(staff)
    for model in ("organization", "membership", "orgunit", "member", "userprofile", "apikey"):
        response = client.get(reverse(f"admin:tenancy_{model}_changelist"))
        assert response.status_code == 200, model
    assert client.get(reverse("admin:tenancy_orgunit_change", args=[tree["T1"].pk])).status_code == 200
    assert client.get(reverse("admin:tenancy_organization_change", args=[org.pk])).status_code == 200
    assert client.get(reverse("admin:tenancy_member_change", args=[members["lea"].pk])).status_code == 200
    assert client.get(reverse("admin:tenancy_organization_add")).status_code == 200
    membership = Membership.objects.get(user=manager)
    assert client.get(reverse("admin:tenancy_membership_change", args=[membership.pk])).status_code == 200


def test_staff_creates_an_organization_like_the_command(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:tenancy_organization_add"),
        {
            "slug": "initech",
            "name": "Initech",
            "timezone": "Europe/Paris",
            "language": "fr",
            "admin_email": "peter@example.com",
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(slug="initech")
    assert Metric.objects.for_org(org).filter(code="revenue").exists()
    membership = Membership.objects.get(organization=org)
    assert (membership.user.email, membership.role) == ("peter@example.com", Role.ADMIN)


def test_admin_add_form_refuses_a_taken_slug(client, staff, org):
    client.force_login(staff)
    response = client.post(
        reverse("admin:tenancy_organization_add"),
        {"slug": "acme", "name": "Dup", "timezone": "Europe/Paris", "language": "fr"},
    )
    assert response.status_code == 200
    assert Organization.objects.filter(slug="acme").count() == 1


def test_api_keys_cannot_be_added_in_the_admin_and_hashes_are_read_only(client, staff, org):
    prefix, key = ApiKey.generate()
    api_key = ApiKey.objects.create(organization=org, name="CRM", prefix=prefix, hashed_key=ApiKey.hash(key))
    client.force_login(staff)
    assert client.get(reverse("admin:tenancy_apikey_add")).status_code == 403
    page = client.get(reverse("admin:tenancy_apikey_change", args=[api_key.pk]))
    assert page.status_code == 200
    assert 'name="hashed_key"' not in page.content.decode()
