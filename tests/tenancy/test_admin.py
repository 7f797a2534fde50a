"""The Django admin of the tenancy models, for staff."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.models import ApiKey, Member, Membership, Organization, OrgUnit, Role, UnitKind
from deployment.services import animation_create
from kpis.models import DirtyPeriod, Metric
from tests.factories import make_unit


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


# --- writes go through the services: their checks and their dirty marks -------------------------


def _marks(org):
    rows = DirtyPeriod.objects.for_org(org).values_list("period_start", "team__code")
    return {(str(Month.of(start)), team) for start, team in rows}


def _from(org, first, *teams):
    return {(str(m), team) for m in Month.range(first, Month.of(org.today())) for team in teams}


def _member_form(member, **changes):
    data = {
        "code": member.code,
        "name": member.name,
        "team": member.team_id,
        "active_from": member.active_from.isoformat(),
        "active_to": member.active_to.isoformat() if member.active_to else "",
    }
    return {**data, **changes}


def test_a_team_change_in_the_admin_marks_both_teams(client, staff, org, tree, members):
    lea = members["lea"]
    DirtyPeriod.objects.all().delete()
    client.force_login(staff)

    response = client.post(reverse("admin:tenancy_member_change", args=[lea.pk]), _member_form(lea, team=tree["T3"].pk))

    assert response.status_code == 302
    lea.refresh_from_db()
    assert lea.team == tree["T3"]
    assert _marks(org) == _from(org, Month.of(lea.active_from), "T1", "T3")


def test_a_member_added_in_the_admin_marks_their_team(client, staff, org, tree):
    client.force_login(staff)
    start = org.today().replace(day=1)
    response = client.post(
        reverse("admin:tenancy_member_add"),
        {"organization": org.pk, "code": "E0050", "name": "Zoé", "team": tree["T2"].pk, "active_from": start},
    )
    assert response.status_code == 302
    assert Member.objects.for_org(org).get(code="E0050").team == tree["T2"]
    assert _marks(org) == {(str(Month.of(start)), "T2")}


def test_a_team_of_another_organization_is_a_form_error_in_the_admin(client, staff, org, other_org, members):
    foreign = make_unit(other_org, UnitKind.TEAM, code="X1")
    lea = members["lea"]
    DirtyPeriod.objects.all().delete()
    client.force_login(staff)

    response = client.post(reverse("admin:tenancy_member_change", args=[lea.pk]), _member_form(lea, team=foreign.pk))

    assert response.status_code == 200
    assert "team" in response.context["adminform"].form.errors
    lea.refresh_from_db()
    assert lea.team.organization_id == org.pk
    assert _marks(org) == set()


def test_a_member_deleted_in_the_admin_marks_their_team(client, staff, org, members):
    hugo = members["hugo"]
    DirtyPeriod.objects.all().delete()
    client.force_login(staff)

    response = client.post(reverse("admin:tenancy_member_delete", args=[hugo.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Member.objects.filter(pk=hugo.pk).exists()
    assert _marks(org) == _from(org, Month.of(hugo.active_from), "T1")


def test_a_settings_change_in_the_admin_marks_every_month(client, staff, org):
    client.force_login(staff)
    editable = [f.name for f in Organization._meta.concrete_fields if f.editable and not f.primary_key]
    data = {**{name: getattr(org, name) for name in editable}, "rate_weight": "0.80"}

    response = client.post(reverse("admin:tenancy_organization_change", args=[org.pk]), data)

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.rate_weight == Decimal("0.80")
    # No data yet: the history is the current month.
    assert _marks(org) == {(str(Month.of(org.today())), None)}


def test_a_unit_moved_in_the_admin_is_re_pathed_and_needs_no_mark(client, staff, org, tree, members):
    DirtyPeriod.objects.all().delete()
    client.force_login(staff)
    t1 = tree["T1"]

    response = client.post(
        reverse("admin:tenancy_orgunit_change", args=[t1.pk]),
        {"code": t1.code, "name": t1.name, "kind": t1.kind, "parent": tree["B2"].pk},
    )

    assert response.status_code == 302
    t1.refresh_from_db()
    assert t1.path == f"{tree['B2'].path}{t1.pk}/"
    assert t1.organization_id == org.pk
    assert _marks(org) == set()


def test_the_admin_refuses_to_delete_a_unit_that_holds_data(client, staff, org, tree):
    """Animations would go with the team by cascade: the admin refuses, as the setup screens do."""
    team = make_unit(org, UnitKind.TEAM, tree["B"], code="T9")
    animation_create(org=org, team=team, held_by=None, held_at=timezone.now(), kind="briefing")
    client.force_login(staff)

    page = client.post(reverse("admin:tenancy_orgunit_delete", args=[team.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert "T9 (T9): still holds 1 animations" in page.content.decode()
    assert OrgUnit.objects.filter(pk=team.pk).exists()
    assert team.animations.count() == 1
