"""Reads of the steering features: stakeholders, action plans, and the before/after
figure of a finished plan against comparable units without a plan (steering.plan_effect)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from cxtracker.months import Month
from cxtracker.tenancy.access import access_or_404, can_read_all, scope_filter
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, Role
from kpis.engine.metrics import metric_values_read
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target
from kpis.models import Metric
from steering.models import ActionPlan, ActionPlanStatus, Stakeholder

from . import kpi_codes, plan_effect

OPEN_STATUSES = (ActionPlanStatus.PLANNED, ActionPlanStatus.IN_PROGRESS)

# --- stakeholders ------------------------------------------------------------------------------


def stakeholder_list(*, org: Organization):
    return Stakeholder.objects.for_org(org).prefetch_related("users", "units").order_by("name", "code")


def stakeholders_for(membership: Membership):
    """The stakeholders whose reports the membership reads: all of them for admins and
    executives, those they belong to for steering members, none for managers."""
    stakeholders = stakeholder_list(org=membership.organization)
    if membership.role in (Role.ADMIN, Role.EXECUTIVE):
        return stakeholders
    if membership.role == Role.STEERING:
        return stakeholders.filter(users=membership.user_id)
    return stakeholders.none()


def access_stakeholder(membership: Membership, code: str) -> Stakeholder:
    """A stakeholder the membership reads (404 otherwise, the same answer as "missing")."""
    return access_or_404(stakeholders_for(membership), membership.organization, code=code)


def org_users(*, org: Organization):
    """The users who belong to the organization (owners of plans, members of stakeholders)."""
    return get_user_model().objects.filter(memberships__organization=org).order_by("email").distinct()


# --- action plans ------------------------------------------------------------------------------


def _plans(org: Organization):
    return ActionPlan.objects.for_org(org).select_related("unit", "owner")


def scoped_action_plans(membership: Membership):
    """Plans the membership reads: every plan for the roles that read everything, those of the
    units in their scope for managers."""
    plans = _plans(membership.organization)
    if can_read_all(membership):
        return plans
    return plans.filter(scope_filter(membership, "unit__"))


def can_write_plans(membership: Membership) -> bool:
    """Admins write every plan, managers those of their units; executives and steering read."""
    return membership.role in (Role.ADMIN, Role.MANAGER)


def access_action_plan(membership: Membership, pk, *, write: bool = False) -> ActionPlan:
    """A plan the membership reads (404 otherwise); with ``write``, 403 for the read-only roles."""
    plan = access_or_404(scoped_action_plans(membership), membership.organization, pk=pk)
    if write and not can_write_plans(membership):
        raise PermissionDenied
    return plan


def action_plan_list(
    *,
    org: Organization,
    plans=None,
    unit: OrgUnit | None = None,
    owner=None,
    status: str | None = None,
    overdue: bool | None = None,
    today: datetime.date | None = None,
):
    """Plans of ``org`` (or of ``plans``, a scoped queryset of it), filtered: ``unit`` its
    subtree's plans, ``owner`` a user, ``status`` one status, ``overdue`` True the open plans past
    their due date (False: the others); ordered by due date."""
    plans = (_plans(org) if plans is None else plans).filter(organization=org)
    if unit is not None:
        plans = plans.filter(unit__path__startswith=unit.path)
    if owner is not None:
        plans = plans.filter(owner=owner)
    if status:
        plans = plans.filter(status=status)
    if overdue is not None:
        late = Q(status__in=OPEN_STATUSES, due_on__lt=today or org.today())
        plans = plans.filter(late) if overdue else plans.exclude(late)
    return plans.order_by("due_on", "id")


def report_action_plans(*, org: Organization, units: list[OrgUnit], since, until) -> list[ActionPlan]:
    """The plans a report of ``units`` (none: the organization) shows beside its KPIs: those aimed at
    a KPI, open ones and those done since ``since``, started by ``until``; dropped ones left out.
    In progress first, then planned, then done, each by due date."""
    plans = (
        _plans(org)
        .exclude(status=ActionPlanStatus.DROPPED)
        .exclude(target_kpi="")
        .filter(Q(status__in=OPEN_STATUSES) | Q(done_on__gte=since), start_on__lte=until)
    )
    if units:
        plans = plans.filter(OrgUnit.in_subtrees(units, "unit__"))
    order = {ActionPlanStatus.IN_PROGRESS: 0, ActionPlanStatus.PLANNED: 1, ActionPlanStatus.DONE: 2}
    return sorted(plans, key=lambda p: (order.get(p.status, 3), p.due_on, p.pk))


def action_plans_for_chart(
    *, org: Organization, unit: OrgUnit | None, first: Month, last: Month, ancestors: bool = False
) -> list[ActionPlan]:
    """Plans to draw on a time series of ``unit`` (None: the organization) from ``first`` to
    ``last``: those of the unit's subtree (with ``ancestors``, also those of the units above it: a
    business unit's plan concerns its teams) whose span overlaps the range, dropped plans left out.
    A plan spans from its start to ``plan_span_end``: its completion, or its due date (today when
    an open plan is overdue)."""
    plans = _overlapping(
        _plans(org).exclude(status=ActionPlanStatus.DROPPED), first.first_day, last.last_day, org.today()
    )
    if unit is not None:
        above = OrgUnit.path_ids(unit.path) if ancestors else []
        plans = plans.filter(Q(unit__path__startswith=unit.path) | Q(unit_id__in=above))
    return list(plans.order_by("start_on", "id"))


def plan_span_end(plan: ActionPlan, today: datetime.date) -> datetime.date:
    """Where a plan ends on a chart: its completion, else its due date, else today for an open
    plan past its due date."""
    if plan.done_on:
        return plan.done_on
    if plan.status in OPEN_STATUSES and plan.due_on < today:
        return today
    return plan.due_on


# --- before / after versus comparable units ----------------------------------------------------


@dataclass
class PlanEffect:
    """The figure of a finished plan, or why there is none (``reason``: ``not_done``,
    ``no_target``, ``too_early``, ``no_comparison``, ``no_data``)."""

    plan: ActionPlan
    target: str = ""
    kind: str = ""  # survey, rate, metric, dimension
    windows: plan_effect.Windows | None = None
    effect: plan_effect.Effect | None = None
    comparison: list[OrgUnit] = field(default_factory=list)
    excluded: list[OrgUnit] = field(default_factory=list)
    reason: str | None = None


def _target(plan: ActionPlan, metric_codes) -> tuple[str, str, kpi_codes.KpiCode | None]:
    """(code, kind, parsed KPI code) of what the plan aims at: its KPI, else its dimension."""
    if plan.target_kpi:
        try:
            code = kpi_codes.parse(plan.target_kpi, metric_codes=metric_codes)
        except kpi_codes.KpiCodeError:
            return plan.target_kpi, "", None
        return str(code), code.kind, code
    if plan.target_dimension:
        return plan.target_dimension, "dimension", None
    return "", "", None


def _same_target(other: ActionPlan, plan: ActionPlan, kind: str, code: kpi_codes.KpiCode | None) -> bool:
    """Whether ``other`` aims at the plan's KPI (any breakdown of a survey KPI counts) or dimension."""
    if kind == "dimension":
        return other.target_dimension == plan.target_dimension
    if code is None or not other.target_kpi:
        return False
    try:
        return kpi_codes.parse(other.target_kpi).kpi == code.kpi
    except kpi_codes.KpiCodeError:
        return False


def _overlapping(plans, start: datetime.date, end: datetime.date, today: datetime.date):
    """The plans whose span (``plan_span_end``) overlaps [start, end]."""
    ends_after = Q(done_on__gte=start) | Q(done_on__isnull=True, due_on__gte=start)
    if today >= start:
        # An open plan past its due date is still running.
        ends_after |= Q(done_on__isnull=True, status__in=OPEN_STATUSES, due_on__lt=today)
    return plans.filter(ends_after, start_on__lte=end)


def _survey_sums(org, units, months, code: kpi_codes.KpiCode) -> dict:
    """(unit id, month start) → summed survey counts of the unit's subtree."""
    targets = [Target(u) for u in units]
    sums = survey_sums(org=org, targets=targets, periods=months, filters=code.filters)
    return {(key, month.first_day): values for (key, month, _value), values in sums.items()}


def _rate_values(org, units, months, kind: str, target: str, reader: Reader) -> dict:
    """(unit id, month start) → the rate (or the dimension's mastery) of the unit that month."""
    targets = [Target(u) for u in units]
    rows = rates_read(org=org, reader=reader, targets=targets, periods=months)
    values = {}
    for (unit, month), row in zip(((u, m) for u in units for m in months), rows, strict=True):
        if kind == "dimension":
            dims = {d["code"]: d["transformation_rate"] for d in row["dimensions"]}
            values[(unit.pk, month.first_day)] = dims.get(target)
        else:
            values[(unit.pk, month.first_day)] = row[target]
    return values


def _metric_values(org, units, months, code: str) -> dict:
    """(unit id, month start) → the metric of the unit (its own value, else its teams' mean)."""
    metric = Metric.objects.for_org(org).filter(code=code).first()
    if metric is None:
        return {}
    points = metric_values_read(org=org, metric=metric, targets=[Target(u) for u in units], months=months)
    return {(key, month.first_day): point.value for (key, month), point in points.items()}


def action_plan_effect(
    *, plan: ActionPlan, reader: Reader | None = None, today: datetime.date | None = None
) -> PlanEffect:
    """The target KPI of a done plan's unit before and after it, against the unit's siblings (for a
    team: the same business unit's other teams) that had no plan on that KPI over those months, as
    ``reader`` may see them (None: every figure; the demo's choice of teams)."""
    reader = reader or Reader.unrestricted()
    org = plan.organization
    result = PlanEffect(plan=plan)
    if plan.status != ActionPlanStatus.DONE or plan.done_on is None:
        result.reason = "not_done"
        return result
    metric_codes = kpi_codes.metric_codes(org=org)
    result.target, result.kind, code = _target(plan, metric_codes)
    if not result.kind:
        result.reason = "no_target"
        return result
    today = today or org.today()
    windows = plan_effect.plan_windows(plan.start_on, plan.done_on, last_closed=Month.of(today).previous())
    result.windows = windows
    if not windows.after:
        result.reason = "too_early"
        return result
    # Siblings with a plan on the same target over the windows (theirs, an ancestor's or one inside
    # them) are not "without a plan".
    span_start = windows.before[0].first_day
    span_end = windows.planned_after[-1].last_day
    siblings = list(
        OrgUnit.objects.for_org(org)
        .filter(parent_id=plan.unit.parent_id, kind=plan.unit.kind)
        .exclude(pk=plan.unit_id)
        .order_by("code")
    )
    others = [
        p
        for p in _overlapping(_plans(org), span_start, span_end, today).exclude(pk=plan.pk)
        if _same_target(p, plan, result.kind, code)
    ]
    for sibling in siblings:
        touched = any(p.unit.path.startswith(sibling.path) or sibling.path.startswith(p.unit.path) for p in others)
        (result.excluded if touched else result.comparison).append(sibling)
    units = [plan.unit, *result.comparison]
    months = windows.before + windows.after
    if result.kind == "survey":
        sums = _survey_sums(org, units, months, code)

        def window(unit, ms):
            return plan_effect.sum_counts([sums[(unit.pk, m.first_day)] for m in ms if (unit.pk, m.first_day) in sums])

        effect = plan_effect.survey_effect(
            code.kpi,
            (window(plan.unit, windows.before), window(plan.unit, windows.after)),
            [(window(u, windows.before), window(u, windows.after)) for u in result.comparison],
        )
    else:
        if result.kind == "metric":
            values = _metric_values(org, units, months, code.kpi)
        else:
            target = result.target if result.kind == "dimension" else code.kpi
            values = _rate_values(org, units, months, result.kind, target, reader)

        def series(unit, ms):
            return [values.get((unit.pk, m.first_day)) for m in ms]

        effect = plan_effect.census_effect(
            (series(plan.unit, windows.before), series(plan.unit, windows.after)),
            [(series(u, windows.before), series(u, windows.after)) for u in result.comparison],
        )
    result.effect = effect
    if effect.plan_change is None:
        result.reason = "no_data"
    elif effect.comparison_units == 0:
        result.reason = "no_comparison"
    return result
