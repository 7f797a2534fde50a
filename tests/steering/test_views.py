"""The steering screens: admins define stakeholders; action plans are written by admins and by
managers on their units, read by executives and steering members; a done plan's page shows its
effect against comparable teams; bad input is a 400 with the form's errors; other organizations
see nothing."""

import datetime

import pytest
from django.urls import reverse

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from kpis.engine.recompute import snapshots_recompute
from kpis.models import Metric, MetricValue
from steering.models import ActionPlan, Stakeholder
from steering.services import action_plan_create, stakeholder_create
from tests.factories import make_membership, make_unit, make_user
from tests.steering.test_plan_effect import respond

D = datetime.date
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _url(name, org, **kwargs):
    return reverse(f"steering:{name}", kwargs={"org": org.slug, **kwargs})


def _plan(org, unit, **kwargs):
    fields = {"title": f"Plan {unit.code}", "start_on": D(2026, 1, 5), "due_on": D(2026, 3, 31), **kwargs}
    return action_plan_create(org=org, unit=unit, **fields)


# --- stakeholders ------------------------------------------------------------------------------


def test_admin_creates_a_stakeholder_with_users_units_and_kpis(client_for, org, tree, admin, steering):
    Metric.objects.create(organization=org, code="revenue", name="Revenue", category="business")
    response = client_for(admin).post(
        _url("stakeholder-create", org),
        {
            "code": "after-sales",
            "name": "Après-vente",
            "users": [steering.pk],
            "units": [tree["B"].pk],
            "kpis_for_action": ["ces", "csat.trigger=event"],
            "kpis_for_information": ["nps", "revenue"],
            "frequency": "weekly",
            "flagship_kpi": "nps",
        },
        **EN,
    )
    assert response.status_code == 302, response.context["form"].errors
    s = Stakeholder.objects.get(organization=org, code="after-sales")
    assert (s.name, s.frequency, s.flagship_kpi) == ("Après-vente", "weekly", "nps")
    assert (s.kpis_for_action, s.kpis_for_information) == (["ces", "csat.trigger=event"], ["nps", "revenue"])
    assert (list(s.users.all()), list(s.units.all())) == ([steering], [tree["B"]])
    page = client_for(admin).get(_url("stakeholder-list", org), **EN).content.decode()
    assert "Après-vente" in page and "CSAT · trigger: event" in page and "Revenue" in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kpis_for_information": ["ces"]}, "kpis_for_information"),  # for action and for information
        ({"kpis_for_action": ["happiness"]}, "kpis_for_action"),
        ({"name": ""}, "name"),
        ({"code": "with space"}, "code"),
        ({"code": "action-plans"}, "code"),  # the steering's own page: steering/action-plans/
        ({"frequency": "daily"}, "frequency"),
    ],
)
def test_bad_stakeholder_input_is_a_400_with_the_forms_errors(client_for, org, admin, change, field):
    data = {"code": "sav", "name": "SAV", "kpis_for_action": ["ces"], "frequency": "monthly", "flagship_kpi": "nps"}
    response = client_for(admin).post(_url("stakeholder-create", org), {**data, **change}, **EN)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Stakeholder.objects.exists()


def test_the_old_stakeholder_and_plan_urls_move_for_good_to_the_steering(client_for, org, tree, admin):
    stakeholder_create(org=org, code="mkt", name="Marketing", kpis_for_action=["nps"])
    plan = _plan(org, tree["T1"])
    client = client_for(admin)
    for old, new in [
        ("stakeholders/", _url("stakeholder-list", org)),
        ("stakeholders/mkt/edit/", _url("stakeholder-edit", org, code="mkt")),
        ("action-plans/?status=planned", _url("action-plan-list", org) + "?status=planned"),
        (f"action-plans/{plan.pk}/", _url("action-plan-detail", org, pk=plan.pk)),
    ]:
        response = client.get(f"/o/{org.slug}/kpis/{old}")
        assert (response.status_code, response["Location"]) == (301, new)
        assert new.startswith(f"/o/{org.slug}/steering/")
        assert client.get(new).status_code == 200


def test_a_stakeholder_takes_no_user_or_unit_of_another_organization(client_for, org, admin, other_org, outsider):
    foreign_unit = make_unit(other_org, "region", code="XR")
    data = {"code": "sav", "name": "SAV", "frequency": "monthly", "flagship_kpi": "nps"}
    client = client_for(admin)
    assert client.post(_url("stakeholder-create", org), {**data, "users": [outsider.pk]}).status_code == 400
    assert client.post(_url("stakeholder-create", org), {**data, "units": [foreign_unit.pk]}).status_code == 400
    assert not Stakeholder.objects.exists()


def test_admin_edits_and_deletes_a_stakeholder(client_for, org, admin, tree):
    s = stakeholder_create(org=org, code="mkt", name="Marketing", kpis_for_action=["nps"], units=[tree["R"]])
    client = client_for(admin)
    response = client.post(
        _url("stakeholder-edit", org, code="mkt"),
        {
            "code": "mkt",
            "name": "Marketing digital",
            "kpis_for_action": ["csat"],
            "frequency": "quarterly",
            "flagship_kpi": "nps",
        },
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.name, s.kpis_for_action, s.frequency, list(s.units.all())) == (
        "Marketing digital",
        ["csat"],
        "quarterly",
        [],
    )
    assert client.post(_url("stakeholder-delete", org, code="mkt")).status_code == 302
    assert not Stakeholder.objects.exists()


@pytest.mark.parametrize("role", ["executive", "steering", "manager"])
def test_only_admins_set_stakeholders_up(client_for, org, tree, role, request):
    stakeholder_create(org=org, code="mkt", name="Marketing")
    client = client_for(request.getfixturevalue(role))
    for name, kwargs in [
        ("stakeholder-list", {}),
        ("stakeholder-create", {}),
        ("stakeholder-edit", {"code": "mkt"}),
        ("stakeholder-delete", {"code": "mkt"}),
    ]:
        assert client.get(_url(name, org, **kwargs)).status_code == 403, name
    assert client.post(_url("stakeholder-delete", org, code="mkt")).status_code == 403
    assert Stakeholder.objects.exists()


# --- action plans ------------------------------------------------------------------------------


def _form(unit, **overrides):
    return {
        "title": "Accueil en 30 s",
        "unit": unit.pk,
        "owner": "",
        "target_kpi": "nps",
        "target_dimension": "",
        "status": "in_progress",
        "start_on": "2026-03-01",
        "due_on": "2026-05-31",
        "done_on": "",
        "notes": "Brief chaque matin",
        "external_id": "",
    } | overrides


def test_a_manager_creates_a_plan_on_their_team(client_for, org, tree, manager):
    response = client_for(manager).post(_url("action-plan-create", org), _form(tree["T1"], owner=manager.pk), **EN)
    assert response.status_code == 302
    plan = ActionPlan.objects.get()
    assert (plan.unit, plan.owner, plan.target_kpi, plan.status) == (tree["T1"], manager, "nps", "in_progress")
    assert response.url == _url("action-plan-detail", org, pk=plan.pk)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"due_on": "2026-02-01"}, "due_on", "The due date is before the start date."),
        ({"done_on": "2026-04-01"}, "done_on", "A completion date goes with the status “done” only."),
        ({"status": "done"}, "done_on", "Give the completion date of a done plan."),
        ({"start_on": "31/02/2026"}, "start_on", None),
        ({"target_kpi": "happiness"}, "target_kpi", None),
        ({"title": ""}, "title", None),
        ({"notes": "x" * 5001}, "notes", None),
    ],
)
def test_bad_plan_input_is_a_400_with_the_forms_errors(client_for, org, tree, admin, overrides, field, message):
    response = client_for(admin).post(_url("action-plan-create", org), _form(tree["T1"], **overrides), **EN)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert not ActionPlan.objects.exists()


def test_a_manager_writes_no_plan_outside_their_units(client_for, org, tree, manager):
    other = _plan(org, tree["T2"])
    client = client_for(manager)
    assert client.post(_url("action-plan-create", org), _form(tree["T2"])).status_code == 400
    assert client.get(_url("action-plan-detail", org, pk=other.pk)).status_code == 404
    assert client.post(_url("action-plan-edit", org, pk=other.pk), _form(tree["T1"])).status_code == 404
    mine = _plan(org, tree["T1"])
    # Moving their plan to a team they do not manage is refused too.
    assert client.post(_url("action-plan-edit", org, pk=mine.pk), _form(tree["T2"])).status_code == 400
    assert ActionPlan.objects.get(pk=mine.pk).unit == tree["T1"]
    listed = [row["plan"] for row in client.get(_url("action-plan-list", org)).context["rows"]]
    assert listed == [mine]


@pytest.mark.parametrize("role", ["executive", "steering"])
def test_executives_and_steering_read_plans_and_write_none(client_for, org, tree, role, request):
    plan = _plan(org, tree["T2"])
    client = client_for(request.getfixturevalue(role))
    assert [r["plan"] for r in client.get(_url("action-plan-list", org)).context["rows"]] == [plan]
    page = client.get(_url("action-plan-detail", org, pk=plan.pk), **EN)
    assert page.status_code == 200
    assert _url("action-plan-edit", org, pk=plan.pk) not in page.content.decode()
    assert client.get(_url("action-plan-create", org)).status_code == 403
    assert client.post(_url("action-plan-edit", org, pk=plan.pk), _form(tree["T2"])).status_code == 403
    assert client.post(_url("action-plan-delete", org, pk=plan.pk)).status_code == 403
    assert ActionPlan.objects.filter(pk=plan.pk).exists()


def test_the_list_filters_by_unit_owner_status_and_overdue(client_for, org, tree, admin, manager):
    today = org.today()
    late = _plan(org, tree["T1"], owner=manager, status="in_progress", due_on=today - datetime.timedelta(days=1))
    done = _plan(org, tree["T2"], status="done", start_on=D(2025, 1, 1), due_on=D(2025, 2, 1), done_on=D(2025, 2, 1))
    later = _plan(org, tree["T3"], owner=manager, start_on=today, due_on=today + datetime.timedelta(days=30))
    client = client_for(admin)

    def listed(**params):
        response = client.get(_url("action-plan-list", org), params)
        assert response.status_code == 200, response.context["form"].errors
        return [row["plan"] for row in response.context["rows"]]

    assert listed() == [done, late, later]
    assert listed(unit="B") == [done, late]
    assert listed(owner=manager.email) == [late, later]
    assert listed(status="done") == [done]
    assert listed(overdue="yes") == [late]
    assert listed(overdue="no") == [done, later]
    assert client.get(_url("action-plan-list", org), {"status": "finished"}).status_code == 400
    assert client.get(_url("action-plan-list", org), {"unit": "NOPE"}).status_code == 400


def test_the_list_is_paginated_and_pages_keep_the_filters(client_for, org, tree, admin):
    for i in range(51):
        _plan(org, tree["T1"], title=f"P{i:02d}")
    _plan(org, tree["T2"])
    client = client_for(admin)
    first = client.get(_url("action-plan-list", org), {"unit": "T1"})
    assert len(first.context["rows"]) == 50
    assert "?unit=T1&amp;page=2" in first.content.decode()
    second = client.get(_url("action-plan-list", org), {"unit": "T1", "page": 2})
    assert [r["plan"].title for r in second.context["rows"]] == ["P50"]


def test_a_done_plans_page_shows_the_effect_against_comparable_teams(client_for, org, tree, steering):
    t4 = make_unit(org, "team", tree["B"], code="T4")
    # The hand-computed case of tests/kpis/test_plan_effect.py: T1 −30 → +30, comparison (T2, T4)
    # −6.7 → +13.3: +40 NPS points beyond the comparison, 95% interval −40.8 to +120.8.
    plan = _plan(
        org,
        tree["T1"],
        target_kpi="nps",
        status="done",
        start_on=D(2025, 4, 1),
        due_on=D(2025, 5, 31),
        done_on=D(2025, 5, 31),
    )
    for team, month, p, d, n in [
        (tree["T1"], "2025-02", 1, 3, 1),
        (tree["T1"], "2025-03", 1, 2, 2),
        (tree["T1"], "2025-06", 3, 1, 1),
        (tree["T1"], "2025-07", 2, 1, 2),
        (tree["T2"], "2025-02", 3, 4, 3),
        (tree["T2"], "2025-03", 3, 4, 3),
        (tree["T2"], "2025-06", 4, 3, 3),
        (tree["T2"], "2025-07", 4, 3, 3),
        (t4, "2025-02", 4, 4, 2),
        (t4, "2025-07", 5, 3, 2),
    ]:
        respond(org, team, month, p, d, n)
    snapshots_recompute(org=org, months=Month.range(Month(2025, 1), Month(2025, 8)))
    response = client_for(steering).get(_url("action-plan-detail", org, pk=plan.pk), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2025-02 – 2025-03" in page and "2025-06 – 2025-07" in page
    assert "-30.0" in page and "+30.0" in page and "+60.0" in page
    assert "-6.7" in page and "+13.3" in page and "+20.0" in page
    assert "Change beyond the comparable units: +40.0 points (95% interval -40.8 to +120.8)." in page
    assert "no effect can be told apart from chance yet" in page
    assert "regression to the mean" in page
    assert "Lille 2, T4" in page


def test_a_plan_not_done_says_when_the_comparison_shows(client_for, org, tree, admin):
    plan = _plan(org, tree["T1"], target_kpi="nps")
    page = client_for(admin).get(_url("action-plan-detail", org, pk=plan.pk), **EN).content.decode()
    assert "The comparison shows once the plan is done." in page
    assert "regression to the mean" in page


def test_admin_edits_and_deletes_a_plan(client_for, org, tree, admin):
    plan = _plan(org, tree["T1"], external_id="ap-1")
    client = client_for(admin)
    response = client.post(
        _url("action-plan-edit", org, pk=plan.pk),
        _form(
            tree["B"],
            status="done",
            start_on="2025-01-05",
            due_on="2025-03-31",
            done_on="2025-03-20",
            external_id="ap-1",
        ),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.unit, plan.status, plan.done_on) == (tree["B"], "done", D(2025, 3, 20))
    assert client.post(_url("action-plan-delete", org, pk=plan.pk)).status_code == 302
    assert not ActionPlan.objects.exists()


def test_the_admin_of_another_organization_gets_404(client_for, org, tree, other_org):
    plan = _plan(org, tree["T1"])
    stakeholder_create(org=org, code="mkt", name="Marketing")
    stranger = make_user("dora@example.com")
    make_membership(stranger, other_org, Role.ADMIN)
    client = client_for(stranger)
    assert client.get(_url("action-plan-detail", other_org, pk=plan.pk)).status_code == 404
    assert client.post(_url("action-plan-edit", other_org, pk=plan.pk), _form(tree["T1"])).status_code == 404
    assert client.get(_url("stakeholder-edit", other_org, code="mkt")).status_code == 404
    assert client.get(_url("action-plan-list", other_org)).context["rows"] == []
    assert client.get(_url("action-plan-detail", org, pk=plan.pk)).status_code == 404


def test_a_done_plan_on_a_metric_compares_means_of_months(client_for, org, tree, admin):
    revenue = Metric.objects.create(
        organization=org, code="revenue", name="Revenue", category="business", unit_of_measure="€"
    )
    plan = _plan(
        org,
        tree["T1"],
        target_kpi="revenue",
        status="done",
        start_on=D(2025, 4, 1),
        due_on=D(2025, 5, 31),
        done_on=D(2025, 5, 31),
    )
    # T1: (100 + 120) / 2 = 110 → (150 + 170) / 2 = 160, +50; T2: 100 → 110, +10; effect +40.
    for unit, month, value in [
        (tree["T1"], 2, 100),
        (tree["T1"], 3, 120),
        (tree["T1"], 6, 150),
        (tree["T1"], 7, 170),
        (tree["T2"], 2, 100),
        (tree["T2"], 3, 100),
        (tree["T2"], 6, 110),
        (tree["T2"], 7, 110),
    ]:
        MetricValue.objects.create(
            organization=org, metric=revenue, unit=unit, period_start=D(2025, month, 1), value=value
        )
    page = client_for(admin).get(_url("action-plan-detail", org, pk=plan.pk), **EN).content.decode()
    assert "+50.00" in page and "+10.00" in page
    assert "Change beyond the comparable units: +40.00 €." in page


@pytest.mark.parametrize(
    "target",
    [{"target_kpi": "transformation_rate"}, {"target_kpi": "deployment_rate"}, {"target_dimension": "accueil"}, {}],
)
def test_a_done_plan_page_without_figures_says_so(client_for, org, tree, steering, target):
    from experience.services import experience_model_create_from_json
    from tests.api.conftest import MODEL_JSON

    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    plan = _plan(
        org, tree["T1"], status="done", start_on=D(2025, 4, 1), due_on=D(2025, 5, 31), done_on=D(2025, 5, 31), **target
    )
    response = client_for(steering).get(_url("action-plan-detail", org, pk=plan.pk), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    if target:
        assert "There are not enough figures of the target" in page
    else:
        assert "This plan has no target KPI or dimension" in page
