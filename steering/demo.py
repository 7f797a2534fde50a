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

# code → name, report frequency, user e-mails (the flagship KPI is NPS for all three)
STAKEHOLDERS = {
    "reseau": ("Réseau magasins", ReportFrequency.MONTHLY, ["copil@demo.cxtracker.test"]),
    "sav": ("SAV / Service après-vente", ReportFrequency.WEEKLY, ["sav@demo.cxtracker.test"]),
    "marketing": ("Marketing", ReportFrequency.QUARTERLY, ["direction@demo.cxtracker.test"]),
}
# code → the KPIs for action (each stakeholder's own lever), then those for information
FOR_ACTION = {
    "reseau": ["transformation_rate", "deployment_rate", "nps.journey=achat-magasin"],
    "sav": ["ces", "csat.journey=contact-sav", "handling_time"],
    "marketing": ["nps.trigger=periodic", "nps.segment=nouveau", "average_basket"],
}
FOR_INFORMATION = {
    "reseau": ["csat", "ces", "average_basket"],
    "sav": ["nps.journey=contact-sav", "contacts", "transformation_rate"],
    "marketing": ["revenue", "retention_rate", "csat"],
}

# The plans on named units (the demo's first unit of that kind when a smaller demo has no such
# unit): number, title, unit code, target, status.
NAMED_PLANS = [
    (5, "Brief accueil en magasin", "BU-LILLE", "nps.journey=achat-magasin", "in_progress"),
    (6, "Simplifier la prise de rendez-vous SAV", "BU-PARIS", "csat.journey=contact-sav", "in_progress"),
    (7, "Réduire le temps de traitement des demandes", "BU-LYON", "handling_time", "planned"),
    (8, "Relance des clients occasionnels", "R-IDF", "nps.trigger=periodic", "in_progress"),
    (9, "Vente additionnelle en caisse", "BU-ROUEN", "average_basket", "done"),
    (10, "Animation des équipes du Sud", "R-SUD", "deployment_rate", "in_progress"),
    (11, "Accueil des nouveaux clients", "BU-VERSAILLES", "nps.segment=nouveau", "planned"),
    (12, "Affichage des prix en rayon", "BU-NICE", "csat", "dropped"),
]
# number → their start, due and done days, as (months from the current month, day of that month
# or "last"); 6 and 10 are late (due last month, still open).
PLAN_DAYS = {
    5: ((-2, 1), (1, "last"), None),
    6: ((-3, 1), (-1, 10), None),
    7: ((0, 1), (3, "last"), None),
    8: ((-4, 1), (2, "last"), None),
    9: ((-7, 1), (-5, "last"), (-5, 20)),
    10: ((-5, 1), (-1, 1), None),
    11: ((0, 1), (2, "last"), None),
    12: ((-6, 1), (-4, "last"), None),
}
# The done plans whose team is chosen from the figures: number, title, target, whether it moved.
MEASURED_PLANS = [
    (1, "Coaching renforcé de l'accueil", "transformation_rate", True),
    (2, "Conseil vendeur : deux solutions proposées", "nps", True),
    (3, "Rituel du matin sur les gestes clés", "transformation_rate", False),
    (4, "Rappel des clients SAV sous 48 h", "ces", False),
]


def seed(org: Organization) -> None:
    with transaction.atomic():
        _stakeholders(org)
        if not ActionPlan.objects.for_org(org).filter(external_id__startswith=EXTERNAL_PREFIX).exists():
            _plans(org)


def _stakeholders(org: Organization) -> None:
    users = {u.email: u for u in get_user_model().objects.filter(memberships__organization=org)}
    existing = set(Stakeholder.objects.for_org(org).values_list("code", flat=True))
    for code, (name, frequency, emails) in STAKEHOLDERS.items():
        if code in existing:
            continue  # an admin may have changed it since: leave it as it is
        stakeholder_create(
            org=org,
            code=code,
            name=name,
            frequency=frequency,
            flagship_kpi="nps",
            kpis_for_action=FOR_ACTION[code],
            kpis_for_information=FOR_INFORMATION[code],
            users=[users[e] for e in emails if e in users],
        )


# --- the plans -----------------------------------------------------------------------------------


def _day(current: Month, when) -> datetime.date | None:
    """A day given as (months from ``current``, day of that month or "last")."""
    if when is None:
        return None
    months, day = when
    month = current.shift(months)
    return month.last_day if day == "last" else month.first_day + datetime.timedelta(days=day - 1)


def _plans(org: Organization) -> None:
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    if not teams:
        return
    units = {u.code: u for u in OrgUnit.objects.for_org(org)}
    units_by_pk = {u.pk: u for u in units.values()}
    managers = {u.email: u for u in get_user_model().objects.filter(memberships__organization=org)}
    current = Month.of(org.today())

    def manager_of(unit: OrgUnit):
        bu = unit if unit.kind == UnitKind.BUSINESS_UNIT else units_by_pk.get(unit.parent_id)
        if bu is None or bu.kind != UnitKind.BUSINESS_UNIT:
            return managers.get("admin@demo.cxtracker.test")
        return managers.get(f"manager.{bu.code.removeprefix('BU-').lower()}@demo.cxtracker.test")

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

    # The plans on named units first: the teams of the done plans below are chosen against them
    # (a team under a plan on the same KPI is no comparison).
    for number, title, code, target, status in NAMED_PLANS:
        kind = UnitKind.REGION if code.startswith("R-") else UnitKind.BUSINESS_UNIT
        plan_unit = units.get(code) or next((u for u in units.values() if u.kind == kind), teams[0])
        create(number, title, plan_unit, target, status, *(_day(current, d) for d in PLAN_DAYS[number]))

    # Done plans: three months of work ending mid-month, with three closed months after them. Each
    # goes to the team whose figure moved most (or least) against its comparable teams, as the
    # plan's page will measure it (action_plan_effect), among the teams not given one yet.
    start, done = _day(current, (-8, 1)), _day(current, (-6, 15))
    taken: set[int] = set()
    for number, title, target, moved in MEASURED_PLANS:
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
