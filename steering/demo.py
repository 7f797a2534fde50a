"""The demo organization's steering: three stakeholders with different KPIs for action, and a
dozen action plans, some done with an effect the plan's page shows, some done without, some still
open (two of them late). ``seed_demo`` calls ``seed(org)`` once the history has its figures.

Which teams get the done plans is read from those figures, as the plan's page measures them
(``action_plan_effect``: the difference in differences against comparable teams without a plan on
the same KPI), so that the story holds on any demo size and any day: the plan "with an effect"
goes to the team whose KPI rose most against its comparable teams over the plan's months, the one
"without" to the team whose KPI moved least against them. The plans on named units are made
first, since they decide which teams are comparable. Deterministic (the seeded history is) and
idempotent (stakeholders and plans are made once, by code and external id).
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind
from steering.models import ActionPlan, ActionPlanStatus, ReportFrequency, Stakeholder
from steering.selectors import action_plan_effect
from steering.services import action_plan_create, stakeholder_create

EXTERNAL_PREFIX = "demo-ap-"

# code, name, frequency, flagship, for action, for information, user e-mails
STAKEHOLDERS = [
    (
        "reseau",
        "Réseau magasins",
        ReportFrequency.MONTHLY,
        "nps",
        ["transformation_rate", "deployment_rate", "nps.journey=achat-magasin"],
        ["csat", "ces", "average_basket"],
        ["copil@demo.cxtracker.test"],
    ),
    (
        "sav",
        "SAV / Service après-vente",
        ReportFrequency.WEEKLY,
        "nps",
        ["ces", "csat.journey=contact-sav", "handling_time"],
        ["nps.journey=contact-sav", "contacts", "transformation_rate"],
        ["sav@demo.cxtracker.test"],
    ),
    (
        "marketing",
        "Marketing",
        ReportFrequency.QUARTERLY,
        "nps",
        ["nps.trigger=periodic", "nps.segment=nouveau", "average_basket"],
        ["revenue", "retention_rate", "csat"],
        ["direction@demo.cxtracker.test"],
    ),
]


def seed(org: Organization) -> None:
    with transaction.atomic():
        _stakeholders(org)
        if not ActionPlan.objects.for_org(org).filter(external_id__startswith=EXTERNAL_PREFIX).exists():
            _plans(org)


def _stakeholders(org: Organization) -> None:
    users = {u.email: u for u in get_user_model().objects.filter(memberships__organization=org)}
    existing = set(Stakeholder.objects.for_org(org).values_list("code", flat=True))
    for code, name, frequency, flagship, action, information, emails in STAKEHOLDERS:
        if code in existing:
            continue  # an admin may have changed it since: leave it as it is
        stakeholder_create(
            org=org,
            code=code,
            name=name,
            frequency=frequency,
            flagship_kpi=flagship,
            kpis_for_action=action,
            kpis_for_information=information,
            users=[users[e] for e in emails if e in users],
        )


# --- the plans -----------------------------------------------------------------------------------


def _plans(org: Organization) -> None:
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    if not teams:
        return
    units = {u.code: u for u in OrgUnit.objects.for_org(org)}
    units_by_pk = {u.pk: u for u in units.values()}
    managers = {u.email: u for u in get_user_model().objects.filter(memberships__organization=org)}
    current = Month.of(org.today())
    month_ago = current.previous().first_day

    def manager_of(unit: OrgUnit):
        bu = unit if unit.kind == UnitKind.BUSINESS_UNIT else units_by_pk.get(unit.parent_id)
        if bu is None or bu.kind != UnitKind.BUSINESS_UNIT:
            return managers.get("admin@demo.cxtracker.test")
        return managers.get(f"manager.{bu.code.removeprefix('BU-').lower()}@demo.cxtracker.test")

    def unit(code, kind):
        return units.get(code) or next((u for u in units.values() if u.kind == kind), teams[0])

    def create(number, title, plan_unit, target, status, start_on, due_on, done_on):
        action_plan_create(
            org=org,
            external_id=f"{EXTERNAL_PREFIX}{number:02d}",
            title=title,
            unit=plan_unit,
            owner=manager_of(plan_unit),
            target_kpi=target,
            status=status,
            start_on=start_on,
            due_on=due_on,
            done_on=done_on,
        )

    bu, region = UnitKind.BUSINESS_UNIT, UnitKind.REGION
    # The plans on named units first: the teams of the done plans below are chosen against them
    # (a team under a plan on the same KPI is no comparison).
    for number, title, plan_unit, target, status, start_on, due_on, done_on in [
        (
            5,
            "Brief accueil en magasin",
            unit("BU-LILLE", bu),
            "nps.journey=achat-magasin",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-2).first_day,
            current.shift(1).last_day,
            None,
        ),
        (
            6,
            "Simplifier la prise de rendez-vous SAV",
            unit("BU-PARIS", bu),
            "csat.journey=contact-sav",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-3).first_day,
            month_ago + datetime.timedelta(days=9),  # late: due last month, still open
            None,
        ),
        (
            7,
            "Réduire le temps de traitement des demandes",
            unit("BU-LYON", bu),
            "handling_time",
            ActionPlanStatus.PLANNED,
            current.first_day,
            current.shift(3).last_day,
            None,
        ),
        (
            8,
            "Relance des clients occasionnels",
            unit("R-IDF", region),
            "nps.trigger=periodic",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-4).first_day,
            current.shift(2).last_day,
            None,
        ),
        (
            9,
            "Vente additionnelle en caisse",
            unit("BU-ROUEN", bu),
            "average_basket",
            ActionPlanStatus.DONE,
            current.shift(-7).first_day,
            current.shift(-5).last_day,
            current.shift(-5).first_day + datetime.timedelta(days=19),
        ),
        (
            10,
            "Animation des équipes du Sud",
            unit("R-SUD", region),
            "deployment_rate",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-5).first_day,
            month_ago,  # late too
            None,
        ),
        (
            11,
            "Accueil des nouveaux clients",
            unit("BU-VERSAILLES", bu),
            "nps.segment=nouveau",
            ActionPlanStatus.PLANNED,
            current.first_day,
            current.shift(2).last_day,
            None,
        ),
        (
            12,
            "Affichage des prix en rayon",
            unit("BU-NICE", bu),
            "csat",
            ActionPlanStatus.DROPPED,
            current.shift(-6).first_day,
            current.shift(-4).last_day,
            None,
        ),
    ]:
        create(number, title, plan_unit, target, status, start_on, due_on, done_on)

    # Done plans: three months of work ending mid-month, with three closed months after them. Each
    # goes to the team whose figure moved most (or least) against its comparable teams, as the
    # plan's page will measure it (action_plan_effect), among the teams not given one yet.
    start = current.shift(-8).first_day
    done = current.shift(-6).first_day + datetime.timedelta(days=14)
    taken: set[int] = set()
    for number, title, target, moved in [
        (1, "Coaching renforcé de l'accueil", "transformation_rate", True),
        (2, "Conseil vendeur : deux solutions proposées", "nps", True),
        (3, "Rituel du matin sur les gestes clés", "transformation_rate", False),
        (4, "Rappel des clients SAV sous 48 h", "ces", False),
    ]:
        team = _measured_team(org, teams, taken, target=target, start=start, done=done, moved=moved)
        taken.add(team.pk)
        create(number, title, team, target, ActionPlanStatus.DONE, start, done, done)


def _measured_team(org, teams, taken, *, target, start, done, moved: bool) -> OrgUnit:
    """The team (not in ``taken``) whose ``target`` moved most (``moved``) or least against its
    comparable teams over a plan from ``start`` to ``done``; ties and teams without a measurable
    effect fall back on the tree's order."""
    candidates = []
    for team in teams:
        if team.pk in taken:
            continue
        trial = ActionPlan(
            organization=org,
            unit=team,
            title="",
            target_kpi=target,
            status=ActionPlanStatus.DONE,
            start_on=start,
            due_on=done,
            done_on=done,
        )
        effect = action_plan_effect(plan=trial).effect
        if effect is None or effect.effect is None or effect.comparison_units == 0:
            continue
        candidates.append((-effect.effect if moved else abs(effect.effect), team.path))
    if not candidates:
        return next(t for t in teams if t.pk not in taken)
    best = min(candidates)[1]
    return next(t for t in teams if t.path == best)
