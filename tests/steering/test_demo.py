"""seed_demo's steering: three stakeholders with their own KPIs for action, a year of reports, a
dozen action plans, done ones with and without an effect against comparable teams."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cxtracker.tenancy.demo import DEMO_SLUG
from cxtracker.tenancy.models import Organization
from kpis.engine.readers import Reader
from steering import demo
from steering.models import ActionPlan, Stakeholder
from steering.reports.build import report_build
from steering.reports.periods import last_closed_period, periods_available
from steering.selectors import action_plan_effect

pytestmark = pytest.mark.django_db


# The demo's history and its plans follow the day it is seeded: the story must hold on any day
# (today, weeks and months later, the first hour of a month, the last of a year).
LATER = [
    None,
    datetime.timedelta(weeks=3),
    datetime.timedelta(days=61),
    datetime.timedelta(days=213),
    datetime.datetime(2027, 3, 1, 0, 20, tzinfo=datetime.UTC),
    datetime.datetime(2027, 12, 31, 22, 50, tzinfo=datetime.UTC),
]


@pytest.mark.parametrize("when", LATER, ids=["today", "3-weeks", "2-months", "7-months", "month-start", "year-end"])
def test_seed_demo_sets_up_the_steering_once(when):
    if when is None:
        _seed_and_check()
        return
    moment = timezone.now() + when if isinstance(when, datetime.timedelta) else when
    with time_machine.travel(moment, tick=True):
        _seed_and_check()


def _seed_and_check():
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
        period = last_closed_period(org, stakeholder)
        report = report_build(org=org, stakeholder=stakeholder, period=period, reader=Reader.protected())
        assert report.flagship.value is not None and report.flagship.n > 0

    plans = {p.title: p for p in ActionPlan.objects.for_org(org).select_related("unit", "organization")}
    assert len(plans) == 12
    statuses = sorted(p.status for p in plans.values())
    assert {"done", "in_progress", "planned", "dropped"} == set(statuses)
    assert any(p.is_overdue(org.today()) for p in plans.values())
    up = _effect(plans["Coaching renforcé de l'accueil"])
    flat = _effect(plans["Rituel du matin sur les gestes clés"])
    assert up.effect > 0.05  # five points of transformation beyond the comparable teams
    # The smaller demo (2 teams a unit) leaves one comparable team: the flat plan is only clearly smaller.
    assert abs(flat.effect) < up.effect / 2
    nps = _effect(plans["Conseil vendeur : deux solutions proposées"])
    assert nps.effect > 0
    ces = _effect(plans["Rappel des clients SAV sous 48 h"])
    assert abs(ces.effect) < 0.5

    demo.seed(org)
    assert ActionPlan.objects.for_org(org).count() == 12
    assert Stakeholder.objects.for_org(org).count() == 3


def _effect(plan):
    """The plan's measured effect: one there must be (a figure and a comparable team), else the
    demo's story is not told."""
    result = action_plan_effect(plan=plan)
    assert result.reason is None, (plan.title, result.reason)
    assert result.effect.effect is not None and result.effect.comparison_units >= 1, plan.title
    return result.effect
