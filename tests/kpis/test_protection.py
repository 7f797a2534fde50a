"""Small groups' member-derived figures are hidden above the managers, with complementary
suppression so that no hidden group is its parent minus its siblings."""

import datetime

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from experience.services import experience_model_create_from_json
from kpis.engine.protection import ROOT, suppressed_groups
from kpis.engine.recompute import snapshots_recompute
from tests.api.conftest import MODEL_JSON, Api
from tests.factories import make_member, make_membership, make_user


def test_no_small_group_no_suppression():
    parents = {"R": ROOT, "B": "R", "T1": "B", "T2": "B"}
    sizes = {ROOT: 20, "R": 20, "B": 20, "T1": 10, "T2": 10}
    assert suppressed_groups(parents, sizes, 5) == set()


def test_a_small_team_hides_its_smallest_sibling_too():
    # B = T1 + T2 + T3: with T1 alone hidden, T1 = B − T2 − T3. T2, the smallest other, goes too.
    parents = {"R": ROOT, "B": "R", "T1": "B", "T2": "B", "T3": "B"}
    sizes = {ROOT: 29, "R": 29, "B": 29, "T1": 3, "T2": 8, "T3": 18}
    assert suppressed_groups(parents, sizes, 5) == {"T1", "T2"}


def test_a_hidden_unit_is_not_the_sum_of_shown_children():
    # Region R holds B1 (small: 4 = T1 alone would be too) and B2. B1 hidden → B2 hidden (sibling),
    # then B2's children cannot all be shown: its smallest team is hidden, then a second one.
    parents = {"R": ROOT, "B1": "R", "B2": "R", "T1": "B1", "T2": "B2", "T3": "B2", "T4": "B2"}
    sizes = {ROOT: 34, "R": 34, "B1": 4, "B2": 30, "T1": 4, "T2": 6, "T3": 12, "T4": 12}
    hidden = suppressed_groups(parents, sizes, 5)
    assert hidden == {"B1", "T1", "B2", "T2", "T3"}
    # Under every parent, a lone hidden child has no shown sibling to be derived from, and no
    # hidden unit has all its children shown.
    for parent in [ROOT, *parents]:
        kids = [k for k, p in parents.items() if p == parent]
        if len([k for k in kids if k in hidden]) == 1:
            assert all(k in hidden for k in kids)
        if parent in hidden and kids:
            assert any(k in hidden for k in kids)


def test_empty_teams_are_left_alone():
    parents = {"R": ROOT, "T1": "R", "T2": "R"}
    assert suppressed_groups(parents, {ROOT: 12, "R": 12, "T1": 12, "T2": 0}, 5) == set()


def test_an_executive_sees_a_business_unit_with_one_small_team_hidden_and_an_admin_sees_it(
    client, org, tree, admin, executive
):
    # T1 has 3 members (small), T2 has 8, T3 (another region) 10; minimum group size 5.
    for i in range(3):
        make_member(org, tree["T1"], code=f"A{i}")
    for i in range(8):
        make_member(org, tree["T2"], code=f"B{i}")
    for i in range(10):
        make_member(org, tree["T3"], code=f"C{i}")
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    month = Month(2026, 3)
    snapshots_recompute(org=org, months=[month])
    params = {"level": "team", "from": str(month), "to": str(month)}

    client.force_login(executive)
    rows = {r["unit"]: r for r in Api(client).get("/api/v1/rates/", params).json()["results"]}
    # T1 is small; T2 is hidden too (else T1 = B − T2); T3 alone in its region stays shown.
    assert {u for u, r in rows.items() if r["suppressed"]} == {"T1", "T2"}
    assert rows["T1"]["transformation_rate"] is None and rows["T1"]["coverage"] is None
    assert rows["T1"]["active_members"] == 3, "the headcount is no one's level: shown, to say why"
    assert rows["T3"]["transformation_rate"] == 0.0 and not rows["T3"]["suppressed"]
    business_units = Api(client).get("/api/v1/rates/", {**params, "level": "business_unit"}).json()["results"]
    assert all(not r["suppressed"] for r in business_units)

    client.force_login(admin)
    rows = {r["unit"]: r for r in Api(client).get("/api/v1/rates/", params).json()["results"]}
    assert not any(r["suppressed"] for r in rows.values())
    assert rows["T1"]["transformation_rate"] == 0.0


def test_a_manager_sees_their_own_small_team(client, org, tree):
    for i in range(2):
        make_member(org, tree["T1"], code=f"A{i}", active_from=datetime.date(2025, 1, 1))
    manager = make_user("mgr@example.com")
    make_membership(manager, org, Role.MANAGER, units=[tree["T1"]])
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    snapshots_recompute(org=org, months=[Month(2026, 3)])
    client.force_login(manager)
    rows = Api(client).get("/api/v1/rates/", {"from": "2026-03", "to": "2026-03"}).json()["results"]
    assert [(r["unit"], r["suppressed"], r["transformation_rate"]) for r in rows] == [("T1", False, 0.0)]
