from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from cxtracker.tenancy.models import Membership, Role
from tests.factories import make_membership, make_tree, make_user


def test_list_shows_emails_roles_and_manager_units(client_for, admin, manager, executive, setup_url):
    response = client_for(admin).get(setup_url("tenancy:membership-list"))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("alice@example.com", "bob@example.com", "erin@example.com", "Field manager", "Lille 1"):
        assert text in body


def test_adding_a_new_email_creates_the_user_and_sends_an_invitation(client_for, admin, org, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:membership-create"),
        {"email": "New.Person@Example.com", "role": "manager", "units": [tree["B"].pk]},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email__iexact="new.person@example.com")
    assert user.username == "New.Person@example.com"
    assert not user.has_usable_password()
    membership = Membership.objects.get(organization=org, user=user)
    assert membership.role == Role.MANAGER
    assert list(membership.units.all()) == [tree["B"]]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["New.Person@example.com"]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert "Acme Retail" in mail.outbox[0].subject


def test_adding_an_existing_user_reuses_the_account_without_e_mail(client_for, admin, org, other_org, setup_url):
    charlie = make_user("charlie@example.com")
    make_membership(charlie, other_org, Role.ADMIN)
    response = client_for(admin).post(
        setup_url("tenancy:membership-create"), {"email": "CHARLIE@example.com", "role": "executive"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(organization=org, user=charlie).role == Role.EXECUTIVE
    assert get_user_model().objects.filter(email__iexact="charlie@example.com").count() == 1
    assert mail.outbox == []


def test_a_manager_needs_a_unit(client_for, admin, org, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:membership-create"), {"email": "m@example.com", "role": "manager"}
    )
    assert response.status_code == 200
    assert "at least one unit" in str(response.context["form"].errors["units"])
    assert not get_user_model().objects.filter(email="m@example.com").exists()


def test_a_user_already_in_the_org_is_a_form_error(client_for, admin, manager, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:membership-create"), {"email": "bob@example.com", "role": "admin"}
    )
    assert response.status_code == 200
    assert "already belongs" in str(response.context["form"].errors["email"])


def test_units_of_another_organization_are_refused(client_for, admin, org, other_org, manager, tree, setup_url):
    foreign = make_tree(other_org, prefix="G")
    membership = Membership.objects.get(organization=org, user=manager)
    response = client_for(admin).post(
        setup_url("tenancy:membership-edit", membership_id=membership.pk),
        {"role": "manager", "units": [foreign["T1"].pk]},
    )
    assert response.status_code == 200
    assert "units" in response.context["form"].errors
    assert list(membership.units.all()) == [tree["T1"]]


def test_changing_role_and_units(client_for, admin, org, manager, tree, setup_url):
    membership = Membership.objects.get(organization=org, user=manager)
    client = client_for(admin)
    response = client.post(
        setup_url("tenancy:membership-edit", membership_id=membership.pk),
        {"role": "manager", "units": [tree["T2"].pk, tree["T3"].pk]},
    )
    assert response.status_code == 302
    assert set(membership.units.all()) == {tree["T2"], tree["T3"]}
    response = client.post(setup_url("tenancy:membership-edit", membership_id=membership.pk), {"role": "executive"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.EXECUTIVE
    assert not membership.units.exists()


def test_the_last_admin_cannot_step_down_or_leave(client_for, admin, org, setup_url):
    mine = Membership.objects.get(organization=org, user=admin)
    client = client_for(admin)
    response = client.post(setup_url("tenancy:membership-edit", membership_id=mine.pk), {"role": "executive"})
    assert response.status_code == 200
    assert "at least one administrator" in str(response.context["form"].errors["role"])
    response = client.post(setup_url("tenancy:membership-delete", membership_id=mine.pk))
    assert response.status_code == 409
    assert "at least one administrator" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN


def test_an_admin_may_leave_when_another_admin_remains(client_for, admin, org, setup_url):
    make_membership(make_user("dana@example.com"), org, Role.ADMIN)
    mine = Membership.objects.get(organization=org, user=admin)
    response = client_for(admin).post(setup_url("tenancy:membership-delete", membership_id=mine.pk))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert not Membership.objects.filter(pk=mine.pk).exists()


def test_removing_a_membership_asks_first_and_keeps_the_user(client_for, admin, org, manager, setup_url):
    membership = Membership.objects.get(organization=org, user=manager)
    client = client_for(admin)
    page = client.get(setup_url("tenancy:membership-delete", membership_id=membership.pk))
    assert page.status_code == 200
    assert "will no longer have access" in page.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert client.post(setup_url("tenancy:membership-delete", membership_id=membership.pk)).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert get_user_model().objects.filter(pk=manager.pk).exists()


def test_non_admin_members_get_403(client_for, org, manager, executive, setup_url):
    membership = Membership.objects.get(organization=org, user=manager)
    for user in (manager, executive):
        client = client_for(user)
        assert client.get(setup_url("tenancy:membership-list")).status_code == 403
        response = client.post(setup_url("tenancy:membership-edit", membership_id=membership.pk), {"role": "admin"})
        assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER


def test_outsider_gets_404(client_for, outsider, org, manager, setup_url):
    membership = Membership.objects.get(organization=org, user=manager)
    client = client_for(outsider)
    assert client.get(setup_url("tenancy:membership-list")).status_code == 404
    assert client.post(setup_url("tenancy:membership-delete", membership_id=membership.pk)).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_editing_another_orgs_membership_through_my_org_gives_404(client_for, admin, org, outsider, other_org):
    theirs = Membership.objects.get(organization=other_org, user=outsider)
    client = client_for(admin)
    edit = reverse("tenancy:membership-edit", kwargs={"org": org.slug, "membership_id": theirs.pk})
    assert client.post(edit, {"role": "executive"}).status_code == 404
    delete = reverse("tenancy:membership-delete", kwargs={"org": org.slug, "membership_id": theirs.pk})
    assert client.post(delete).status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == Role.ADMIN


def test_the_role_has_no_default(client_for, admin, org, setup_url):
    client = client_for(admin)
    page = client.get(setup_url("tenancy:membership-create"))
    assert '<option value="" selected>' in page.content.decode()
    response = client.post(setup_url("tenancy:membership-create"), {"email": "x@example.com"})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not Membership.objects.filter(organization=org, user__email="x@example.com").exists()
