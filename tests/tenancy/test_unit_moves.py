"""Moving a unit in the browser (the unit's edit page, for admins) with an effective month."""

import datetime

import pytest

from cxtracker.tenancy.models import OrgUnit
from tests.factories import make_tree

pytestmark = pytest.mark.django_db


def _move(client, setup_url, tree, **extra):
    data = {"code": "B", "name": "Lille", "kind": "business_unit", "parent": tree["R2"].pk, **extra}
    return client.post(setup_url("tenancy:unit-edit", code="B"), data)


def _placements(unit) -> list:
    rows = OrgUnit.objects.get(pk=unit.pk).placements.select_related("parent")
    return sorted(
        ((p.parent.code if p.parent else None, p.since) for p in rows), key=lambda p: (p[1] is not None, p[1])
    )


def test_the_edit_page_offers_the_effective_month(client_for, admin, tree, setup_url):
    page = client_for(admin).get(setup_url("tenancy:unit-edit", code="B"))
    assert page.status_code == 200
    assert 'name="effective_month"' in page.content.decode()


def test_an_admin_moves_a_unit_from_a_month(client_for, admin, tree, setup_url):
    response = _move(client_for(admin), setup_url, tree, effective_month="2026-06")
    assert response.status_code == 302
    assert _placements(tree["B"]) == [("R", None), ("R2", datetime.date(2026, 6, 1))]


def test_a_move_without_a_month_takes_effect_this_month(client_for, admin, org, tree, setup_url):
    assert _move(client_for(admin), setup_url, tree).status_code == 302
    assert _placements(tree["B"]) == [("R", None), ("R2", org.today().replace(day=1))]


@pytest.mark.parametrize(
    ("month", "error"),
    [
        ("2026-13", "Give a month as YYYY-MM (for example 2026-03)."),
        ("2999-01", "A move takes effect in the current month at the latest."),
    ],
)
def test_a_bad_month_is_a_form_error(client_for, admin, tree, setup_url, month, error):
    response = _move(client_for(admin), setup_url, tree, effective_month=month)
    assert response.status_code == 200
    assert response.context["form"].errors == {"effective_month": [error]}
    assert _placements(tree["B"]) == [("R", None)]
    assert OrgUnit.objects.get(pk=tree["B"].pk).parent_id == tree["R"].pk


def test_a_month_before_the_new_parent_existed_is_a_form_error(client_for, admin, org, tree, setup_url):
    client = client_for(admin)
    created = client.post(
        setup_url("tenancy:unit-create"), {"code": "R3", "name": "Est", "kind": "region", "effective_month": "2026-04"}
    )
    assert created.status_code == 302
    r3 = OrgUnit.objects.get(organization=org, code="R3")
    data = {"code": "B", "name": "Lille", "kind": "business_unit", "parent": r3.pk, "effective_month": "2026-02"}
    response = client.post(setup_url("tenancy:unit-edit", code="B"), data)
    assert response.context["form"].errors == {
        "effective_month": ["R3 exists from 2026-04: choose that month or a later one."]
    }
    assert _placements(tree["B"]) == [("R", None)]


def test_non_admins_cannot_move(client_for, manager, executive, tree, setup_url):
    for user in (manager, executive):
        assert _move(client_for(user), setup_url, tree, effective_month="2026-06").status_code == 403
    assert _placements(tree["B"]) == [("R", None)]


def test_an_outsider_gets_404(client_for, outsider, tree, setup_url):
    assert _move(client_for(outsider), setup_url, tree, effective_month="2026-06").status_code == 404
    assert _placements(tree["B"]) == [("R", None)]


def test_another_organizations_unit_cannot_be_moved_through_mine(client_for, admin, other_org, tree, setup_url):
    foreign = make_tree(other_org, prefix="G")
    data = {
        "code": "GB",
        "name": "Lille",
        "kind": "business_unit",
        "parent": tree["R2"].pk,
        "effective_month": "2026-06",
    }
    assert client_for(admin).post(setup_url("tenancy:unit-edit", code="GB"), data).status_code == 404
    assert _placements(foreign["B"]) == [("GR", None)]
