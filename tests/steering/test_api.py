"""/api/v1/action-plans/ and /api/v1/stakeholders/: the write protocol (one, duplicate, bulk), the
date rules, bad codes named by field, and tenant isolation."""

import datetime

import pytest

from cxtracker.tenancy.models import Role
from steering.models import ActionPlan
from steering.services import action_plan_create, stakeholder_create
from tests.api.conftest import Api, make_api_key
from tests.factories import make_membership, make_user

URL = "/api/v1/action-plans/"


@pytest.fixture
def owner(org):
    user = make_user("manager@example.com")
    make_membership(user, org, Role.MANAGER)
    return user


def plan(**overrides):
    return {
        "external_id": "ap-12",
        "title": "Accueil en moins de 30 secondes",
        "unit": "T1",
        "owner": "manager@example.com",
        "target_kpi": "nps",
        "target_dimension": None,
        "status": "in_progress",
        "start_on": "2026-03-01",
        "due_on": "2026-05-31",
        "done_on": None,
        "notes": "",
    } | overrides


def test_create_answers_201_with_the_stored_plan(api, tree, owner):
    response = api.post(URL, plan())
    assert response.status_code == 201, response.content
    assert response.json() == plan()
    stored = ActionPlan.objects.get(external_id="ap-12")
    assert (stored.unit, stored.owner, stored.status) == (tree["T1"], owner, "in_progress")
    assert stored.start_on == datetime.date(2026, 3, 1)


def test_duplicate_external_id_changes_nothing(api, tree, owner):
    api.post(URL, plan())
    response = api.post(URL, plan(title="Autre chose", status="dropped"))
    assert response.status_code == 200
    assert response.json()["title"] == "Accueil en moins de 30 secondes"
    assert ActionPlan.objects.get().status == "in_progress"


def test_bulk_keeps_the_valid_items_and_reports_the_rejected_one(api, tree, owner):
    api.post(URL, plan(external_id="ap-1"))
    response = api.post(
        URL,
        [
            plan(external_id="ap-1"),
            plan(external_id="ap-2", unit="T2", target_kpi="csat.trigger=event"),
            plan(external_id="ap-3", due_on="2026-02-01"),
            plan(external_id="ap-4", owner=None, target_kpi=None, target_dimension=None, status="planned"),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "duplicates": 1,
        "rejected": 1,
        "results": [
            {"index": 0, "status": "duplicate"},
            {"index": 1, "status": "created"},
            {"index": 2, "status": "rejected", "errors": {"due_on": ["The due date is before the start date."]}},
            {"index": 3, "status": "created"},
        ],
    }
    assert sorted(ActionPlan.objects.values_list("external_id", flat=True)) == ["ap-1", "ap-2", "ap-4"]
    assert ActionPlan.objects.get(external_id="ap-2").target_kpi == "csat.trigger=event"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"due_on": "2026-02-28"}, "due_on", "The due date is before the start date."),
        ({"done_on": "2026-04-01"}, "done_on", "A completion date goes with the status “done” only."),
        ({"status": "done"}, "done_on", "Give the completion date of a done plan."),
        ({"status": "done", "done_on": "2026-02-01"}, "done_on", "The completion date is before the start date."),
        ({"status": "done", "done_on": "2999-12-31"}, "done_on", "The completion date is in the future."),
        ({"start_on": "0001-01-01"}, "start_on", "Give a date between 1970 and 2999."),
        ({"start_on": "2026-13-01"}, "start_on", None),
        ({"status": "finished"}, "status", None),
        ({"unit": "NOPE"}, "unit", "Unknown unit code: NOPE."),
        ({"owner": "nobody@example.com"}, "owner", "No user of the organization has this e-mail."),
        ({"owner": "not an e-mail"}, "owner", None),
        ({"target_kpi": "happiness"}, "target_kpi", None),
        ({"target_kpi": "revenue.journey=purchase"}, "target_kpi", None),
        ({"target_kpi": "nps.trigger=lukewarm"}, "target_kpi", None),
        ({"target_dimension": "no-such-dimension"}, "target_dimension", "Unknown dimension code: no-such-dimension."),
        ({"notes": "x" * 5001}, "notes", None),
        ({"title": ""}, "title", None),
        ({"external_id": None}, "external_id", None),
        ({"colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, tree, owner, overrides, field, message):
    response = api.post(URL, plan(**overrides))
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert not ActionPlan.objects.exists()


def test_a_metric_code_and_a_dimension_are_targets(api, tree, owner, revenue, experience_model):
    response = api.post(URL, plan(target_kpi="revenue", target_dimension="accueil"))
    assert response.status_code == 201, response.content
    assert (response.json()["target_kpi"], response.json()["target_dimension"]) == ("revenue", "accueil")


def test_list_filters_by_unit_status_and_owner(api, org, tree, owner):
    api.post(
        URL,
        [
            plan(external_id="a", unit="T1"),
            plan(external_id="b", unit="T2", status="planned", owner=None),
            plan(external_id="c", unit="T3", status="planned"),
        ],
    )
    ids = lambda params: [row["external_id"] for row in api.get(URL, params).json()["results"]]  # noqa: E731
    assert ids({}) == ["a", "b", "c"]
    assert ids({"unit": "B"}) == ["a", "b"]
    assert ids({"status": "planned"}) == ["b", "c"]
    assert ids({"owner": "MANAGER@example.com"}) == ["a", "c"]
    assert api.get(URL, {"status": "finished"}).status_code == 400
    assert api.get(URL, {"unit": "NOPE"}).json() == {"unit": ["Unknown unit code: NOPE."]}


def test_retrieve_and_update_by_external_id(api, tree, owner):
    api.post(URL, plan())
    assert api.get(f"{URL}ap-12/").json()["title"] == "Accueil en moins de 30 secondes"
    response = api.patch(f"{URL}ap-12/", {"status": "done", "done_on": "2026-05-20"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["done_on"]) == ("done", "2026-05-20")
    # The rules hold on the result of a partial change.
    response = api.patch(f"{URL}ap-12/", {"status": "in_progress"})
    assert response.json() == {"done_on": ["A completion date goes with the status “done” only."]}
    body = {k: v for k, v in plan(title="Nouveau", status="planned").items() if k != "external_id"}
    response = api.put(f"{URL}ap-12/", body)
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["status"], response.json()["done_on"]) == (
        "Nouveau",
        "planned",
        None,
    )
    assert api.put(f"{URL}ap-12/", plan(external_id="ap-99")).json() == {
        "external_id": ["The external id is the one of the URL: it cannot change."]
    }
    assert api.get(f"{URL}nope/").status_code == 404


def test_another_organizations_key_gets_404_or_nothing(client, org, tree, owner, outsider_api):
    Api(client, make_api_key(org)).post(URL, plan())
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(f"{URL}ap-12/").status_code == 404
    assert outsider_api.patch(f"{URL}ap-12/", {"title": "x"}).status_code == 404
    # Its own plan with the same external id is its own: the org's plan is untouched.
    response = outsider_api.post(URL, plan(owner=None))
    assert response.status_code == 201, response.content
    assert ActionPlan.objects.filter(external_id="ap-12").count() == 2
    assert ActionPlan.objects.get(organization=org).title == "Accueil en moins de 30 secondes"
    # Its key cannot name the org's users.
    response = outsider_api.post(URL, plan(external_id="ap-13"))
    assert response.json() == {"owner": ["No user of the organization has this e-mail."]}


def test_a_managers_session_writes_plans_of_its_units_only(session_api, org, tree, manager, owner):
    api = session_api(manager)
    assert api.post(URL, plan(unit="T1")).status_code == 201
    assert api.post(URL, plan(external_id="ap-13", unit="T2")).json() == {"unit": ["Unknown unit code: T2."]}
    other = action_plan_create(
        org=org,
        title="Lille 2",
        unit=tree["T2"],
        start_on=datetime.date(2026, 3, 1),
        due_on=datetime.date(2026, 4, 1),
        external_id="ap-t2",
    )
    # A duplicate of a plan out of scope is not shown.
    response = api.post(URL, plan(external_id="ap-t2"))
    assert response.json() == {"external_id": ["An action plan with this external id already exists."]}
    assert [row["external_id"] for row in api.get(URL).json()["results"]] == ["ap-12"]
    assert api.get(f"{URL}{other.external_id}/").status_code == 404


def test_executives_and_steering_read_and_do_not_write(session_api, org, tree, executive, owner):
    api = session_api(executive)
    assert api.get(URL).status_code == 200
    assert api.post(URL, plan()).status_code == 403


def test_stakeholders_list(client, api, org, tree, admin, steering, manager):
    stakeholder_create(
        org=org,
        code="sav",
        name="Après-vente",
        users=[steering],
        units=[tree["B"]],
        kpis_for_action=["ces", "csat.journey=after-sales"],
        kpis_for_information=["nps"],
        frequency="weekly",
    )
    stakeholder_create(org=org, code="mkt", name="Marketing", kpis_for_action=["nps"])
    rows = api.get("/api/v1/stakeholders/").json()["results"]
    assert rows == [
        {
            "code": "sav",
            "name": "Après-vente",
            "users": ["sam@example.com"],
            "units": ["B"],
            "kpis_for_action": ["ces", "csat.journey=after-sales"],
            "kpis_for_information": ["nps"],
            "frequency": "weekly",
            "flagship_kpi": "nps",
        },
        {
            "code": "mkt",
            "name": "Marketing",
            "users": [],
            "units": [],
            "kpis_for_action": ["nps"],
            "kpis_for_information": [],
            "frequency": "monthly",
            "flagship_kpi": "nps",
        },
    ]
    client.force_login(steering)
    assert [r["code"] for r in Api(client).get("/api/v1/stakeholders/").json()["results"]] == ["sav"]
    client.force_login(manager)
    assert Api(client).get("/api/v1/stakeholders/").json()["count"] == 0
