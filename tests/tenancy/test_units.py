from django.urls import reverse

from cxtracker.tenancy.models import OrgUnit, UnitKind
from tests.factories import make_member, make_tree


def test_tree_lists_units_indented_with_active_member_counts(client_for, admin, tree, members, setup_url):
    response = client_for(admin).get(setup_url("tenancy:unit-list"))
    assert response.status_code == 200
    units = response.context["rows"]
    assert [u.code for u in units] == ["R", "B", "T1", "T2", "R2", "B2", "T3"]
    counts = {u.code: u.member_count for u in units}
    assert (counts["T1"], counts["T2"], counts["T3"]) == (2, 1, 1)
    body = response.content.decode()
    assert "Marseille 1" in body
    assert "padding-left: calc(.5rem + 2 * 1.25rem)" in body


def test_inactive_members_are_not_counted_in_the_tree(client_for, admin, org, tree, setup_url):
    import datetime

    make_member(org, tree["T2"], active_to=datetime.date(2025, 1, 31))
    response = client_for(admin).get(setup_url("tenancy:unit-list"))
    assert {u.code: u.member_count for u in response.context["rows"]}["T2"] == 0


def test_empty_tree_shows_the_empty_state(client_for, admin, setup_url):
    response = client_for(admin).get(setup_url("tenancy:unit-list"))
    assert "No unit yet" in response.content.decode()


def test_admin_creates_a_team_under_a_business_unit(client_for, admin, org, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:unit-create"),
        {"code": "T9", "name": "Lille 9", "kind": "team", "parent": tree["B"].pk},
    )
    assert response.status_code == 302
    unit = OrgUnit.objects.for_org(org).get(code="T9")
    assert unit.parent == tree["B"]
    assert unit.path == f"{tree['B'].path}{unit.pk}/"


def test_duplicate_code_is_a_form_error(client_for, admin, org, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:unit-create"), {"code": "T1", "name": "Again", "kind": "team", "parent": tree["B"].pk}
    )
    assert response.status_code == 200
    assert "already used in this organization" in str(response.context["form"].errors["code"])
    assert OrgUnit.objects.for_org(org).filter(code="T1").count() == 1


def test_same_code_as_another_organization_is_fine(client_for, admin, org, other_org, setup_url):
    make_tree(other_org)
    response = client_for(admin).post(
        setup_url("tenancy:unit-create"), {"code": "R", "name": "North", "kind": "region"}
    )
    assert response.status_code == 302
    assert OrgUnit.objects.for_org(org).filter(code="R").exists()


def test_team_at_the_top_of_the_tree_is_refused(client_for, admin, org, setup_url):
    response = client_for(admin).post(setup_url("tenancy:unit-create"), {"code": "X", "name": "X", "kind": "team"})
    assert response.status_code == 200
    assert "Only a region can be at the top" in str(response.context["form"].errors["parent"])
    assert not OrgUnit.objects.for_org(org).exists()


def test_parent_from_another_organization_is_refused(client_for, admin, org, other_org, setup_url):
    foreign = make_tree(other_org, prefix="G")
    response = client_for(admin).post(
        setup_url("tenancy:unit-create"), {"code": "T9", "name": "x", "kind": "team", "parent": foreign["B"].pk}
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert not OrgUnit.objects.for_org(org).filter(code="T9").exists()


def test_rename_keeps_the_place_in_the_tree(client_for, admin, tree, setup_url):
    t1 = tree["T1"]
    response = client_for(admin).post(
        setup_url("tenancy:unit-edit", code="T1"),
        {"code": "T1", "name": "Lille Centre", "kind": "team", "parent": tree["B"].pk},
    )
    assert response.status_code == 302
    t1.refresh_from_db()
    assert (t1.name, t1.parent_id) == ("Lille Centre", tree["B"].pk)


def test_moving_a_business_unit_re_paths_its_teams(client_for, admin, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:unit-edit", code="B"),
        {"code": "B", "name": "Lille", "kind": "business_unit", "parent": tree["R2"].pk},
    )
    assert response.status_code == 302
    b, t1 = OrgUnit.objects.get(pk=tree["B"].pk), OrgUnit.objects.get(pk=tree["T1"].pk)
    assert b.path == f"/{tree['R2'].pk}/{b.pk}/"
    assert t1.path == f"/{tree['R2'].pk}/{b.pk}/{t1.pk}/"
    assert {u.code for u in tree["R2"].subtree()} == {"R2", "B", "T1", "T2", "B2", "T3"}


def test_moving_a_business_unit_under_another_business_unit_is_refused(client_for, admin, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:unit-edit", code="B"),
        {"code": "B", "name": "Lille", "kind": "business_unit", "parent": tree["B2"].pk},
    )
    assert response.status_code == 200
    assert "cannot sit under" in str(response.context["form"].errors["parent"])
    assert OrgUnit.objects.get(pk=tree["B"].pk).parent_id == tree["R"].pk


def test_a_unit_cannot_move_under_its_own_subtree(client_for, admin, org, tree, setup_url):
    # A region cannot have a parent at all, and a business unit's subtree holds only teams:
    # the subtree is simply not offered as a parent, so the choice is invalid.
    response = client_for(admin).post(
        setup_url("tenancy:unit-edit", code="B"),
        {"code": "B", "name": "Lille", "kind": "business_unit", "parent": tree["B"].pk},
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors


def test_a_team_with_members_cannot_change_kind(client_for, admin, tree, members, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:unit-edit", code="T1"),
        {"code": "T1", "name": "Lille 1", "kind": "business_unit", "parent": tree["R"].pk},
    )
    assert response.status_code == 200
    assert "Members belong to this team" in str(response.context["form"].errors["kind"])
    assert OrgUnit.objects.get(pk=tree["T1"].pk).kind == UnitKind.TEAM


def test_empty_unit_is_deleted_after_confirmation(client_for, admin, org, tree, setup_url):
    client = client_for(admin)
    confirm = client.get(setup_url("tenancy:unit-delete", code="T2"))
    assert confirm.status_code == 200
    assert "This cannot be undone" in confirm.content.decode()
    assert OrgUnit.objects.for_org(org).filter(code="T2").exists()
    response = client.post(setup_url("tenancy:unit-delete", code="T2"))
    assert response.status_code == 302
    assert not OrgUnit.objects.for_org(org).filter(code="T2").exists()


def test_unit_with_members_or_children_is_not_deleted(client_for, admin, org, tree, members, setup_url):
    client = client_for(admin)
    response = client.post(setup_url("tenancy:unit-delete", code="T1"))
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert dict(response.context["attached"]) == {"members": 2}
    response = client.post(setup_url("tenancy:unit-delete", code="R"))
    assert "cannot be deleted" in response.content.decode()
    assert OrgUnit.objects.for_org(org).count() == 7


def test_non_admin_members_get_403(client_for, manager, executive, tree, setup_url):
    for user in (manager, executive):
        client = client_for(user)
        assert client.get(setup_url("tenancy:unit-list")).status_code == 403
        response = client.post(
            setup_url("tenancy:unit-edit", code="T1"), {"code": "T1", "name": "Hacked", "kind": "team"}
        )
        assert response.status_code == 403
    assert OrgUnit.objects.get(pk=tree["T1"].pk).name == "Lille 1"


def test_outsider_gets_404(client_for, outsider, tree, setup_url):
    client = client_for(outsider)
    assert client.get(setup_url("tenancy:unit-list")).status_code == 404
    assert client.post(setup_url("tenancy:unit-delete", code="T2")).status_code == 404
    assert OrgUnit.objects.filter(pk=tree["T2"].pk).exists()


def test_editing_another_orgs_unit_through_my_org_gives_404(client_for, admin, org, other_org, setup_url):
    foreign = make_tree(other_org, prefix="G")
    client = client_for(admin)
    url = reverse("tenancy:unit-edit", kwargs={"org": org.slug, "code": "GT1"})
    response = client.post(url, {"code": "GT1", "name": "Hacked", "kind": "team"})
    assert response.status_code == 404
    assert client.post(setup_url("tenancy:unit-delete", code="GT2")).status_code == 404
    assert OrgUnit.objects.get(pk=foreign["T1"].pk).name == "Lille 1"
    assert OrgUnit.objects.filter(pk=foreign["T2"].pk).exists()


def test_a_code_taken_between_the_check_and_the_save_is_a_form_error(
    client_for, admin, org, tree, setup_url, monkeypatch
):
    from cxtracker.tenancy import forms

    # As if another admin had saved the same code after this form checked it.
    monkeypatch.setattr(forms._CodeUniqueInOrg, "clean_code", lambda self: self.cleaned_data["code"])
    response = client_for(admin).post(
        setup_url("tenancy:unit-create"), {"code": "T1", "name": "Again", "kind": "team", "parent": tree["B"].pk}
    )
    assert response.status_code == 200
    assert "just taken" in str(response.context["form"].errors["code"])
    assert OrgUnit.objects.for_org(org).filter(code="T1").count() == 1


def test_a_rejected_edit_keeps_the_saved_name_in_the_title(client_for, admin, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:unit-edit", code="T1"), {"code": "T1", "name": "New name", "kind": "team", "parent": ""}
    )
    assert response.status_code == 200
    assert "<h1>Edit Lille 1</h1>" in response.content.decode()
