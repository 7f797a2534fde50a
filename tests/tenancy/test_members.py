import datetime

from django.urls import reverse

from cxtracker.tenancy.models import Member
from tests.factories import make_member, make_tree


def test_list_shows_team_dates_and_status(client_for, admin, org, tree, members, setup_url):
    make_member(org, tree["T2"], code="E0099", name="Zoé Gone", active_to=datetime.date(2025, 6, 30))
    response = client_for(admin).get(setup_url("tenancy:member-list"))
    assert response.status_code == 200
    page = list(response.context["page"])
    assert [m.code for m in page] == ["E0002", "E0003", "E0001", "E0004", "E0099"]
    status = {m.code: m.is_active for m in page}
    assert status["E0001"] is True and status["E0099"] is False
    body = response.content.decode()
    assert "Lille 2" in body and "inactive" in body


def test_search_by_name_or_code(client_for, admin, members, setup_url):
    client = client_for(admin)
    by_name = client.get(setup_url("tenancy:member-list"), {"q": "inès"})
    assert [m.code for m in by_name.context["page"]] == ["E0003"]
    by_code = client.get(setup_url("tenancy:member-list"), {"q": "e0004"})
    assert [m.code for m in by_code.context["page"]] == ["E0004"]


def test_team_filter(client_for, admin, members, setup_url):
    response = client_for(admin).get(setup_url("tenancy:member-list"), {"team": "T1"})
    assert {m.code for m in response.context["page"]} == {"E0001", "E0002"}


def test_list_is_paginated_by_50_and_keeps_the_filters(client_for, admin, org, tree, setup_url):
    Member.objects.bulk_create(
        Member(
            organization=org,
            team=tree["T1"],
            code=f"P{i:03d}",
            name=f"P {i:03d}",
            active_from=datetime.date(2025, 1, 1),
        )
        for i in range(120)
    )
    client = client_for(admin)
    first = client.get(setup_url("tenancy:member-list"), {"team": "T1"})
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.num_pages == 3
    assert "?team=T1&amp;page=2" in first.content.decode()
    last = client.get(setup_url("tenancy:member-list"), {"team": "T1", "page": 3})
    assert len(last.context["page"]) == 20


def test_admin_creates_a_member(client_for, admin, org, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:member-create"),
        {"code": "E0100", "name": "Nora Blanc", "team": tree["T3"].pk, "active_from": "2026-02-01", "active_to": ""},
    )
    assert response.status_code == 302
    member = Member.objects.for_org(org).get(code="E0100")
    assert (member.team, member.active_from, member.active_to) == (tree["T3"], datetime.date(2026, 2, 1), None)


def test_member_with_a_duplicate_code_or_a_non_team_or_dates_reversed_is_refused(
    client_for, admin, org, tree, members, setup_url
):
    response = client_for(admin).post(
        setup_url("tenancy:member-create"),
        {
            "code": "E0001",
            "name": "Dup",
            "team": tree["B"].pk,
            "active_from": "2026-02-01",
            "active_to": "2026-01-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already used" in str(errors["code"])
    assert "team" in errors
    assert Member.objects.for_org(org).count() == 4


def test_end_before_start_is_a_form_error(client_for, admin, org, tree, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:member-create"),
        {"code": "E0101", "name": "x", "team": tree["T1"].pk, "active_from": "2026-02-01", "active_to": "2026-01-01"},
    )
    assert response.status_code == 200
    assert "before the start date" in str(response.context["form"].errors["active_to"])
    assert not Member.objects.for_org(org).filter(code="E0101").exists()


def test_team_of_another_organization_is_refused(client_for, admin, org, other_org, tree, setup_url):
    foreign = make_tree(other_org, prefix="G")
    response = client_for(admin).post(
        setup_url("tenancy:member-create"),
        {"code": "E0102", "name": "x", "team": foreign["T1"].pk, "active_from": "2026-02-01"},
    )
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert not Member.objects.filter(code="E0102").exists()


def test_admin_edits_a_member(client_for, admin, tree, members, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:member-edit", code="E0001"),
        {"code": "E0001", "name": "Léa Martin-Roux", "team": tree["T2"].pk, "active_from": "2025-01-01"},
    )
    assert response.status_code == 302
    lea = Member.objects.get(pk=members["lea"].pk)
    assert (lea.name, lea.team_id) == ("Léa Martin-Roux", tree["T2"].pk)


def test_deactivate_asks_for_confirmation_with_today_by_default(client_for, admin, org, members, setup_url):
    client = client_for(admin)
    page = client.get(setup_url("tenancy:member-deactivate", code="E0001"))
    assert page.status_code == 200
    assert page.context["form"]["active_to"].value() == org.today()
    assert Member.objects.get(pk=members["lea"].pk).active_to is None
    response = client.post(setup_url("tenancy:member-deactivate", code="E0001"), {"active_to": "2026-03-31"})
    assert response.status_code == 302
    assert Member.objects.get(pk=members["lea"].pk).active_to == datetime.date(2026, 3, 31)


def test_deactivate_before_the_start_date_is_refused(client_for, admin, members, setup_url):
    response = client_for(admin).post(setup_url("tenancy:member-deactivate", code="E0001"), {"active_to": "2024-12-31"})
    assert response.status_code == 200
    assert "before the start date" in str(response.context["form"].errors["active_to"])
    assert Member.objects.get(pk=members["lea"].pk).active_to is None


def test_reactivate_clears_the_end_date(client_for, admin, org, tree, setup_url):
    gone = make_member(org, tree["T1"], code="E0200", active_to=datetime.date(2025, 6, 30))
    client = client_for(admin)
    assert client.get(setup_url("tenancy:member-reactivate", code="E0200")).status_code == 405
    response = client.post(setup_url("tenancy:member-reactivate", code="E0200"))
    assert response.status_code == 302
    assert Member.objects.get(pk=gone.pk).active_to is None


def test_non_admin_members_get_403(client_for, manager, steering, members, setup_url):
    for user in (manager, steering):
        client = client_for(user)
        assert client.get(setup_url("tenancy:member-list")).status_code == 403
        assert (
            client.post(setup_url("tenancy:member-deactivate", code="E0001"), {"active_to": "2026-01-01"}).status_code
            == 403
        )
    assert Member.objects.get(pk=members["lea"].pk).active_to is None


def test_outsider_gets_404(client_for, outsider, members, setup_url):
    client = client_for(outsider)
    assert client.get(setup_url("tenancy:member-list")).status_code == 404
    assert (
        client.post(setup_url("tenancy:member-deactivate", code="E0001"), {"active_to": "2026-01-01"}).status_code
        == 404
    )
    assert Member.objects.get(pk=members["lea"].pk).active_to is None


def test_editing_another_orgs_member_through_my_org_gives_404(client_for, admin, org, other_org, tree, setup_url):
    foreign_tree = make_tree(other_org, prefix="G")
    foreign = make_member(other_org, foreign_tree["T1"], code="G-E1", name="Foreign")
    client = client_for(admin)
    edit = reverse("tenancy:member-edit", kwargs={"org": org.slug, "code": "G-E1"})
    response = client.post(edit, {"code": "G-E1", "name": "Hacked", "team": tree["T1"].pk, "active_from": "2025-01-01"})
    assert response.status_code == 404
    assert (
        client.post(setup_url("tenancy:member-deactivate", code="G-E1"), {"active_to": "2026-01-01"}).status_code == 404
    )
    foreign.refresh_from_db()
    assert (foreign.name, foreign.team_id, foreign.active_to) == ("Foreign", foreign_tree["T1"].pk, None)
