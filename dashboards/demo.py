"""The demo organization's steering (issue 9): three stakeholders with different KPIs for action,
and a dozen action plans, some done with an effect the plan's page shows, some done without, some
still open (one of them late). ``seed_demo`` calls ``seed(org)`` after the other apps' history.

Which teams get the done plans is read from the demo's own figures, so that the story holds on
any demo size: the plan "with an effect" goes to the team whose KPI rose most against its business
unit's other teams over the plan's months (the difference in differences of kpis.plan_effect),
the one "without" to the team whose KPI moved least against them. Deterministic (the seeded
history is), idempotent (stakeholders and plans are made once, by code and external id), and a
few queries: the transformation rates come from kpis.demo's Python replay, the survey sums from
one pass over the responses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind
from kpis import plan_effect
from kpis.demo import transformation_rates
from kpis.models import ActionPlan, ActionPlanStatus, ReportFrequency, Stakeholder, SurveyResponse
from kpis.services_steering import action_plan_create, stakeholder_create

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


# --- choosing the done plans' teams from the figures --------------------------------------------


def _siblings(teams: list[OrgUnit]) -> dict[int, list[OrgUnit]]:
    by_parent: dict = defaultdict(list)
    for team in teams:
        by_parent[team.parent_id].append(team)
    return {t.pk: [o for o in by_parent[t.parent_id] if o.pk != t.pk] for t in teams}


def _census_effects(teams, siblings, rates, windows) -> dict[int, float]:
    """team id → the transformation rate's difference in differences against its siblings."""

    def series(team, months):
        return [rates.get((team.pk, m)) for m in months]

    effects = {}
    for team in teams:
        if not siblings[team.pk]:
            continue
        effect = plan_effect.census_effect(
            (series(team, windows.before), series(team, windows.after)),
            [(series(o, windows.before), series(o, windows.after)) for o in siblings[team.pk]],
        ).effect
        if effect is not None:
            effects[team.pk] = effect
    return effects


def _survey_sums(org: Organization, months: list[Month]) -> dict:
    """(team id, month) → survey counts (kpis.formulas.KPI_SUMS for NPS and CES), one pass."""
    tz = org.tzinfo
    start, end = months[0].bounds(tz)[0], months[-1].bounds(tz)[1]
    sums: dict = defaultdict(lambda: defaultdict(int))
    rows = SurveyResponse.objects.for_org(org).filter(responded_at__gte=start, responded_at__lt=end)
    for unit_id, at, nps, ces in rows.values_list("unit_id", "responded_at", "nps", "ces").iterator():
        acc = sums[(unit_id, Month.of(at, tz))]
        if nps is not None:
            acc["nps_n"] += 1
            acc["promoters"] += nps >= 9
            acc["detractors"] += nps <= 6
        if ces is not None:
            acc["ces_n"] += 1
            acc["ces_sum"] += ces
            acc["ces_sq_sum"] += ces * ces
            acc["ces_easy"] += ces >= 5
    return sums


def _survey_effects(kpi, teams, siblings, sums, windows) -> dict[int, float]:
    def window(team, months):
        return plan_effect.sum_counts([sums[(team.pk, m)] for m in months if (team.pk, m) in sums])

    effects = {}
    for team in teams:
        if not siblings[team.pk]:
            continue
        effect = plan_effect.survey_effect(
            kpi,
            (window(team, windows.before), window(team, windows.after)),
            [(window(o, windows.before), window(o, windows.after)) for o in siblings[team.pk]],
        ).effect
        if effect is not None:
            effects[team.pk] = effect
    return effects


def _most(effects: dict[int, float], teams_by_id, *, taken: set) -> OrgUnit | None:
    """The team with the largest effect, not taken yet (ties: by code)."""
    candidates = [(-e, teams_by_id[pk].code, pk) for pk, e in effects.items() if pk not in taken]
    return teams_by_id[min(candidates)[2]] if candidates else None


def _least(effects: dict[int, float], teams_by_id, *, taken: set) -> OrgUnit | None:
    """The team whose KPI moved least against its siblings, not taken yet."""
    candidates = [(abs(e), teams_by_id[pk].code, pk) for pk, e in effects.items() if pk not in taken]
    return teams_by_id[min(candidates)[2]] if candidates else None


# --- the plans -----------------------------------------------------------------------------------


def _plans(org: Organization) -> None:
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    if not teams:
        return
    units = {u.code: u for u in OrgUnit.objects.for_org(org)}
    managers = {u.email: u for u in get_user_model().objects.filter(memberships__organization=org)}
    today = org.today()
    current = Month.of(today)
    last_closed = current.previous()

    def manager_of(unit: OrgUnit):
        bu = unit if unit.kind == UnitKind.BUSINESS_UNIT else units_by_pk.get(unit.parent_id)
        if bu is None or bu.kind != UnitKind.BUSINESS_UNIT:
            return managers.get("admin@demo.cxtracker.test")
        return managers.get(f"manager.{bu.code.removeprefix('BU-').lower()}@demo.cxtracker.test")

    units_by_pk = {u.pk: u for u in units.values()}
    teams_by_id = {t.pk: t for t in teams}
    siblings = _siblings(teams)

    # Done plans: three months of work ending mid-month, with three closed months after them.
    start = current.shift(-8).first_day
    done = current.shift(-6).first_day + datetime.timedelta(days=14)
    windows = plan_effect.plan_windows(start, done, last_closed=last_closed)
    months = sorted({*windows.before, *windows.after})
    rates = transformation_rates(org=org, teams=teams, months=months)
    sums = _survey_sums(org, months)
    transformation = _census_effects(teams, siblings, rates, windows)
    nps = _survey_effects("nps", teams, siblings, sums, windows)
    ces = _survey_effects("ces", teams, siblings, sums, windows)
    taken: set = set()
    chosen = {}
    for key, effects, pick in (
        ("transformation_up", transformation, _most),
        ("nps_up", nps, _most),
        ("transformation_flat", transformation, _least),
        ("ces_flat", ces, _least),
    ):
        team = pick(effects, teams_by_id, taken=taken)
        if team is None:
            team = next((t for t in teams if t.pk not in taken), teams[0])
        taken.add(team.pk)
        chosen[key] = team

    def unit(code, fallback):
        return units.get(code) or fallback

    first_bu = next((u for u in units.values() if u.kind == UnitKind.BUSINESS_UNIT), teams[0])
    first_region = next((u for u in units.values() if u.kind == UnitKind.REGION), first_bu)
    month_ago = current.previous().first_day
    plans = [
        # title, unit, target, status, start, due, done
        (
            "Coaching renforcé de l'accueil",
            chosen["transformation_up"],
            "transformation_rate",
            ActionPlanStatus.DONE,
            start,
            done,
            done,
        ),
        (
            "Conseil vendeur : deux solutions proposées",
            chosen["nps_up"],
            "nps",
            ActionPlanStatus.DONE,
            start,
            done,
            done,
        ),
        (
            "Rituel du matin sur les gestes clés",
            chosen["transformation_flat"],
            "transformation_rate",
            ActionPlanStatus.DONE,
            start,
            done,
            done,
        ),
        (
            "Rappel des clients SAV sous 48 h",
            chosen["ces_flat"],
            "ces",
            ActionPlanStatus.DONE,
            start,
            done,
            done,
        ),
        (
            "Brief accueil en magasin",
            unit("BU-LILLE", first_bu),
            "nps.journey=achat-magasin",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-2).first_day,
            current.shift(1).last_day,
            None,
        ),
        (
            "Simplifier la prise de rendez-vous SAV",
            unit("BU-PARIS", first_bu),
            "csat.journey=contact-sav",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-3).first_day,
            month_ago + datetime.timedelta(days=9),  # late: due last month, still open
            None,
        ),
        (
            "Réduire le temps de traitement des demandes",
            unit("BU-LYON", first_bu),
            "handling_time",
            ActionPlanStatus.PLANNED,
            current.first_day,
            current.shift(3).last_day,
            None,
        ),
        (
            "Relance des clients occasionnels",
            unit("R-IDF", first_region),
            "nps.trigger=periodic",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-4).first_day,
            current.shift(2).last_day,
            None,
        ),
        (
            "Vente additionnelle en caisse",
            unit("BU-ROUEN", first_bu),
            "average_basket",
            ActionPlanStatus.DONE,
            current.shift(-7).first_day,
            current.shift(-5).last_day,
            current.shift(-5).first_day + datetime.timedelta(days=19),
        ),
        (
            "Animation des équipes du Sud",
            unit("R-SUD", first_region),
            "deployment_rate",
            ActionPlanStatus.IN_PROGRESS,
            current.shift(-5).first_day,
            month_ago,  # late too
            None,
        ),
        (
            "Accueil des nouveaux clients",
            unit("BU-VERSAILLES", first_bu),
            "nps.segment=nouveau",
            ActionPlanStatus.PLANNED,
            current.first_day,
            current.shift(2).last_day,
            None,
        ),
        (
            "Affichage des prix en rayon",
            unit("BU-NICE", first_bu),
            "csat",
            ActionPlanStatus.DROPPED,
            current.shift(-6).first_day,
            current.shift(-4).last_day,
            None,
        ),
    ]
    for i, (title, plan_unit, target, status, start_on, due_on, done_on) in enumerate(plans, start=1):
        action_plan_create(
            org=org,
            external_id=f"{EXTERNAL_PREFIX}{i:02d}",
            title=title,
            unit=plan_unit,
            owner=manager_of(plan_unit),
            target_kpi=target,
            status=status,
            start_on=start_on,
            due_on=due_on,
            done_on=done_on,
        )
