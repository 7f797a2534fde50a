"""Moving a unit by the API with an effective month: the tree of each month is kept; a month that
is not one, ahead of the current one, or before the unit or its new parent existed is a 400 on
``effective_month``, a move that breaks the kinds' ranks a 400 on ``parent``."""

import datetime

import pytest

from cxtracker.tenancy.models import OrgUnit
from tests.api.conftest import Api, make_api_key

URL = "/api/v1/units/"
pytestmark = pytest.mark.django_db


def _placements(code) -> list:
    unit = OrgUnit.objects.get(code=code)
    rows = sorted(unit.placements.select_related("parent"), key=lambda p: (p.since is not None, p.since))
    return [(p.parent.code if p.parent else None, p.since) for p in rows]


def test_a_dated_move_keeps_the_earlier_parent_until_then(api, tree):
    r = api.patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"})
    assert r.status_code == 200
    assert r.json() == {"code": "B", "name": "Lille", "kind": "business_unit", "parent": "R2"}
    assert _placements("B") == [("R", None), ("R2", datetime.date(2026, 6, 1))]
    assert OrgUnit.objects.get(code="T1").path.startswith(OrgUnit.objects.get(code="R2").path)


def test_an_earlier_dated_move_replaces_the_later_ones(api, tree):
    api.patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"})
    assert api.patch(URL + "B/", {"parent": "R2", "effective_month": "2026-03"}).status_code == 200
    assert _placements("B") == [("R", None), ("R2", datetime.date(2026, 3, 1))]
    # Back under R from September: R2 from March to August only.
    assert api.patch(URL + "B/", {"parent": "R", "effective_month": "2026-09"}).status_code == 200
    assert _placements("B") == [("R", None), ("R2", datetime.date(2026, 3, 1)), ("R", datetime.date(2026, 9, 1))]


def test_a_move_without_a_month_takes_effect_this_month(api, org, tree):
    assert api.patch(URL + "B/", {"parent": "R2"}).status_code == 200
    assert _placements("B") == [("R", None), ("R2", org.today().replace(day=1))]


def test_a_unit_created_with_a_month_exists_from_then(api, tree):
    body = {"code": "R3", "name": "Est", "kind": "region", "parent": None, "effective_month": "2026-04"}
    assert api.post(URL, body).status_code == 201
    assert _placements("R3") == [(None, datetime.date(2026, 4, 1))]
    r = api.patch(URL + "B/", {"parent": "R3", "effective_month": "2026-03"})
    assert r.status_code == 400
    assert r.json() == {"effective_month": ["R3 exists from 2026-04: choose that month or a later one."]}
    assert OrgUnit.objects.get(code="B").parent.code == "R"
    assert api.patch(URL + "B/", {"parent": "R3", "effective_month": "2026-04"}).status_code == 200


@pytest.mark.parametrize("month", ["2026-13", "June", "26-06", 202606, "1960-01"])
def test_a_month_that_is_not_one_is_a_400(api, tree, month):
    r = api.patch(URL + "B/", {"parent": "R2", "effective_month": month})
    assert r.status_code == 400
    assert list(r.json()) == ["effective_month"]
    assert _placements("B") == [("R", None)]


def test_a_month_ahead_is_a_400(api, org, tree):
    ahead = org.today().replace(day=1) + datetime.timedelta(days=40)
    r = api.patch(URL + "B/", {"parent": "R2", "effective_month": ahead.strftime("%Y-%m")})
    assert r.status_code == 400
    assert r.json() == {"effective_month": ["A move takes effect in the current month at the latest."]}
    assert OrgUnit.objects.get(code="B").parent.code == "R"


def test_a_move_that_breaks_the_ranks_is_a_400_on_parent(api, tree):
    r = api.patch(URL + "T1/", {"parent": "T3", "effective_month": "2026-06"})
    assert r.status_code == 400
    assert list(r.json()) == ["parent"]
    assert _placements("T1") == [("B", None)]


def test_bulk_moves_answer_per_item(api, tree):
    r = api.post(
        URL,
        [
            {"code": "B", "name": "Lille", "kind": "business_unit", "parent": "R2", "effective_month": "2026-06"},
            {"code": "B2", "name": "Marseille", "kind": "business_unit", "parent": "R", "effective_month": "20-6"},
        ],
    )
    assert r.status_code == 200
    assert [row["status"] for row in r.json()["results"]] == ["updated", "rejected"]
    assert list(r.json()["results"][1]["errors"]) == ["effective_month"]
    assert _placements("B2") == [("R2", None)]


def test_another_organizations_key_moves_its_own_unit_only(outsider_api, org, tree):
    # The outsider's organization has the same codes: its own B moves, never ours.
    assert outsider_api.patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"}).status_code == 200
    assert OrgUnit.objects.get(organization=org, code="B").parent.code == "R"
    assert _placements_of(org, "B") == [("R", None)]


def _placements_of(org, code) -> list:
    unit = OrgUnit.objects.get(organization=org, code=code)
    return [(p.parent.code if p.parent else None, p.since) for p in unit.placements.select_related("parent")]


def test_an_outsiders_key_cannot_reach_a_unit_it_does_not_have(client, org, other_org, tree):
    outsider = Api(client, make_api_key(other_org))
    assert outsider.patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"}).status_code == 404
    assert _placements_of(org, "B") == [("R", None)]


def test_a_read_key_and_non_admin_sessions_cannot_move(read_api, session_api, manager, executive, tree):
    assert read_api.patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"}).status_code == 403
    for user in (manager, executive):
        r = session_api(user).patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"})
        assert r.status_code in (403, 404)
    assert _placements("B") == [("R", None)]


def test_an_admin_session_moves(session_api, admin, tree):
    assert session_api(admin).patch(URL + "B/", {"parent": "R2", "effective_month": "2026-06"}).status_code == 200
    assert _placements("B") == [("R", None), ("R2", datetime.date(2026, 6, 1))]
