"""seed_demo's steering: three stakeholders with their own KPIs for action, a year of reports, a
dozen action plans, done ones with and without an effect against comparable teams."""

import io

import pytest
from django.core.management import call_command

from cxtracker.tenancy.demo import DEMO_SLUG
from cxtracker.tenancy.models import Organization
from dashboards import demo
from dashboards.reports import last_closed_period, periods_available, report_build
from kpis.models import ActionPlan, Stakeholder
from kpis.selectors_steering import action_plan_effect

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_up_the_steering_once():
    call_command("seed_demo", "--teams-per-unit", "2", stdout=io.StringIO())
    org = Organization.objects.get(slug=DEMO_SLUG)
    stakeholders = {s.code: s for s in Stakeholder.objects.for_org(org)}
    assert set(stakeholders) == {"reseau", "sav", "marketing"}
    actions = [set(s.kpis_for_action) for s in stakeholders.values()]
    assert len({frozenset(a) for a in actions}) == 3 and not (actions[0] & actions[1] & actions[2])
    assert [u.email for u in stakeholders["reseau"].users.all()] == ["copil@demo.cxtracker.test"]
    assert [u.email for u in stakeholders["sav"].users.all()] == ["sav@demo.cxtracker.test"]
    assert {s.frequency for s in stakeholders.values()} == {"weekly", "monthly", "quarterly"}

    # A year of reports for each.
    assert len(periods_available(org, stakeholders["reseau"])) >= 12
    assert len(periods_available(org, stakeholders["sav"])) >= 52
    assert len(periods_available(org, stakeholders["marketing"])) >= 4
    for stakeholder in stakeholders.values():
        report = report_build(org=org, stakeholder=stakeholder, period=last_closed_period(org, stakeholder))
        assert report.flagship.value is not None and report.flagship.n > 0

    plans = {p.title: p for p in ActionPlan.objects.for_org(org).select_related("unit", "organization")}
    assert len(plans) == 12
    statuses = sorted(p.status for p in plans.values())
    assert {"done", "in_progress", "planned", "dropped"} == set(statuses)
    assert any(p.is_overdue(org.today()) for p in plans.values())
    up = action_plan_effect(plan=plans["Coaching renforcé de l'accueil"])
    flat = action_plan_effect(plan=plans["Rituel du matin sur les gestes clés"])
    assert up.effect.effect > 0.05  # five points of transformation beyond the comparable teams
    # The smaller demo (2 teams a unit) leaves one comparable team: the flat plan is only clearly smaller.
    assert abs(flat.effect.effect) < up.effect.effect / 2
    nps = action_plan_effect(plan=plans["Conseil vendeur : deux solutions proposées"])
    assert nps.effect.effect > 0 and nps.effect.comparison_units >= 1

    demo.seed(org)
    assert ActionPlan.objects.for_org(org).count() == 12
    assert Stakeholder.objects.for_org(org).count() == 3
