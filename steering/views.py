"""Browser screens of the steering features: admins define the stakeholders; action plans
are created and followed by admins and by managers on their units, read by executives and steering
members. A done plan's page shows its KPI before and after, against comparable units without a
plan. Objects are fetched through the access helpers of steering.selectors."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cxtracker.tenancy.access import ADMIN_ROLES, FIELD_WRITE_ROLES, org_view, scoped_units
from kpis.engine.readers import Reader
from kpis.models import Metric
from steering.forms import ActionPlanFilterForm, ActionPlanForm, StakeholderForm
from steering.models import ActionPlanStatus

from . import kpi_codes
from . import selectors as selectors_steering
from . import services as services_steering

PAGE_SIZE = 50


def _apply(form, write) -> bool:
    """Run ``write()`` on a valid form; its ValidationErrors become the form's. True when written."""
    try:
        write()
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    return True


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- stakeholders ------------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
@require_GET
def stakeholder_list(request, org):
    stakeholders = Paginator(selectors_steering.stakeholder_list(org=org), PAGE_SIZE).get_page(request.GET.get("page"))
    names = kpi_codes.kpi_names(org=org)
    rows = [
        {
            "stakeholder": s,
            "flagship": kpi_codes.kpi_code_label(s.flagship_kpi, names=names),
            "action": [kpi_codes.kpi_code_label(c, names=names) for c in s.kpis_for_action],
            "information": [kpi_codes.kpi_code_label(c, names=names) for c in s.kpis_for_information],
        }
        for s in stakeholders
    ]
    return render(request, "steering/stakeholder_list.html", {"page": stakeholders, "rows": rows})


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def stakeholder_create(request, org):
    form = StakeholderForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        created = {}

        def write():
            created["s"] = services_steering.stakeholder_create(org=org, **form.cleaned_data)

        if _apply(form, write):
            messages.success(request, _("Stakeholder “%(name)s” created.") % {"name": created["s"].name})
            return redirect("steering:stakeholder-list", org=org.slug)
    return render(request, "steering/stakeholder_form.html", {"form": form}, status=_status(form))


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request, org, code):
    stakeholder = selectors_steering.access_stakeholder(request.membership, code)
    form = StakeholderForm(request.POST or None, org=org, instance=stakeholder)
    if request.method == "POST" and form.is_valid():

        def write():
            services_steering.stakeholder_update(stakeholder=stakeholder, **form.cleaned_data)

        if _apply(form, write):
            messages.success(request, _("Stakeholder “%(name)s” saved.") % {"name": stakeholder.name})
            return redirect("steering:stakeholder-list", org=org.slug)
    context = {"form": form, "stakeholder": stakeholder}
    return render(request, "steering/stakeholder_form.html", context, status=_status(form))


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def stakeholder_delete(request, org, code):
    stakeholder = selectors_steering.access_stakeholder(request.membership, code)
    if request.method == "POST":
        services_steering.stakeholder_delete(stakeholder=stakeholder)
        messages.success(request, _("Stakeholder “%(name)s” deleted.") % {"name": stakeholder.name})
        return redirect("steering:stakeholder-list", org=org.slug)
    return render(request, "steering/stakeholder_delete.html", {"stakeholder": stakeholder})


# --- action plans ------------------------------------------------------------------------------


def _plan_rows(org, plans, membership):
    """Rows of the list. A listed plan is in the membership's scope: those who write plans may
    edit every one of them."""
    today = org.today()
    can_edit = selectors_steering.can_write_plans(membership)
    names = kpi_codes.kpi_names(org=org)
    return [
        {
            "plan": p,
            "target": kpi_codes.kpi_code_label(p.target_kpi, names=names) if p.target_kpi else p.target_dimension,
            "overdue": p.is_overdue(today),
            "can_edit": can_edit,
        }
        for p in plans
    ]


@org_view()
@require_GET
def action_plan_list(request, org):
    membership = request.membership
    plans = selectors_steering.scoped_action_plans(membership)
    form = ActionPlanFilterForm(request.GET or None, org=org, units=scoped_units(membership))
    status = 200
    if form.is_bound and not form.is_valid():
        status, plans = 400, plans.none()
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    plans = selectors_steering.action_plan_list(org=org, plans=plans, **filters)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": _plan_rows(org, page, membership),
        "can_create": selectors_steering.can_write_plans(membership),
        "query": query.urlencode(),
    }
    return render(request, "steering/action_plan_list.html", context, status=status)


@org_view(roles=FIELD_WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def action_plan_create(request, org):
    form = ActionPlanForm(request.POST or None, org=org, units=scoped_units(request.membership))
    if request.method == "POST" and form.is_valid():
        created = {}

        def write():
            created["plan"] = services_steering.action_plan_create(org=org, **form.values())

        if _apply(form, write):
            messages.success(request, _("Action plan “%(title)s” created.") % {"title": created["plan"].title})
            return redirect("steering:action-plan-detail", org=org.slug, pk=created["plan"].pk)
    if not form.is_bound:
        today = org.today()
        form.initial.setdefault("start_on", today)
        form.initial.setdefault("owner", request.user)
    return render(request, "steering/action_plan_form.html", {"form": form}, status=_status(form))


@org_view(roles=FIELD_WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def action_plan_edit(request, org, pk):
    plan = selectors_steering.access_action_plan(request.membership, pk, write=True)
    form = ActionPlanForm(request.POST or None, org=org, units=scoped_units(request.membership), instance=plan)
    if request.method == "POST" and form.is_valid():

        def write():
            services_steering.action_plan_update(plan=plan, **form.values())

        if _apply(form, write):
            messages.success(request, _("Action plan “%(title)s” saved.") % {"title": plan.title})
            return redirect("steering:action-plan-detail", org=org.slug, pk=plan.pk)
    context = {"form": form, "plan": plan}
    return render(request, "steering/action_plan_form.html", context, status=_status(form))


@org_view(roles=FIELD_WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def action_plan_delete(request, org, pk):
    plan = selectors_steering.access_action_plan(request.membership, pk, write=True)
    if request.method == "POST":
        services_steering.action_plan_delete(plan=plan)
        messages.success(request, _("Action plan “%(title)s” deleted.") % {"title": plan.title})
        return redirect("steering:action-plan-list", org=org.slug)
    return render(request, "steering/action_plan_delete.html", {"plan": plan})


# How each kind of target is shown: a format for its values, and the unit of a change.
def _formatter(kind: str, kpi: str):
    if kind in ("rate", "dimension"):
        return lambda v: None if v is None else f"{100 * v:.1f} %", _("points")
    if kind == "survey":
        if kpi == "ces":
            return lambda v: None if v is None else f"{v:.2f}", ""
        if kpi == "csat":
            return lambda v: None if v is None else f"{v:.1f} %", _("points")
        return lambda v: None if v is None else f"{v:+.1f}", _("points")
    return lambda v: None if v is None else f"{v:,.2f}".replace(",", "\u202f"), ""


def _change(kind: str, kpi: str, value):
    if value is None:
        return None
    if kind in ("rate", "dimension"):
        return f"{100 * value:+.1f}"
    if kind == "survey" and kpi == "ces":
        return f"{value:+.2f}"
    if kind == "survey":
        return f"{value:+.1f}"
    return f"{value:+,.2f}".replace(",", "\u202f")


def _effect_context(org, result) -> dict | None:
    """What the page shows of a plan's effect: the four windows, the changes and the effect."""
    if result.effect is None:
        return None
    effect = result.effect
    kpi = kpi_codes.parse(result.target).kpi if result.kind in ("survey", "rate", "metric") else ""
    fmt, unit = _formatter(result.kind, kpi)
    if result.kind == "metric":
        unit = Metric.objects.for_org(org).filter(code=kpi).values_list("unit_of_measure", flat=True).first() or ""
    windows = result.windows
    return {
        "before": f"{windows.before[0]} – {windows.before[-1]}",
        "after": f"{windows.after[0]} – {windows.after[-1]}",
        "complete": windows.complete,
        "length": windows.length,
        "rows": [
            {
                "label": _("This plan's unit"),
                "before": fmt(effect.plan_before.value),
                "after": fmt(effect.plan_after.value),
                "before_n": effect.plan_before.n,
                "after_n": effect.plan_after.n,
                "change": _change(result.kind, kpi, effect.plan_change),
            },
            {
                "label": _("Comparable units without a plan"),
                "before": fmt(effect.comparison_before.value),
                "after": fmt(effect.comparison_after.value),
                "before_n": effect.comparison_before.n,
                "after_n": effect.comparison_after.n,
                "change": _change(result.kind, kpi, effect.comparison_change),
            },
        ],
        "effect": _change(result.kind, kpi, effect.effect),
        # The effect with its unit ("+4.0 points", "+1,250.00 €"), for the sentence.
        "effect_text": f"{_change(result.kind, kpi, effect.effect)} {unit}".strip()
        if effect.effect is not None
        else None,
        "ci_low": _change(result.kind, kpi, effect.ci_low),
        "ci_high": _change(result.kind, kpi, effect.ci_high),
        "significant": effect.significant,
        "survey": result.kind == "survey",
    }


@org_view()
@require_GET
def action_plan_detail(request, org, pk):
    membership = request.membership
    plan = selectors_steering.access_action_plan(membership, pk)
    result = None
    if plan.status == ActionPlanStatus.DONE:
        result = selectors_steering.action_plan_effect(plan=plan, reader=Reader.of(membership))
    names = kpi_codes.kpi_names(org=org)
    context = {
        "plan": plan,
        "target": kpi_codes.kpi_code_label(plan.target_kpi, names=names) if plan.target_kpi else "",
        "overdue": plan.is_overdue(org.today()),
        "can_edit": selectors_steering.can_write_plans(membership),
        "result": result,
        "effect": _effect_context(org, result) if result else None,
    }
    return render(request, "steering/action_plan_detail.html", context)
