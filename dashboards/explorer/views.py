"""The KPI explorer (``/o/<slug>/dashboards/kpis/``) and the customers' verbatim comments
(``…/kpis/comments/``): what the customers of a unit say, over a span of months.

Managers see the units of their scope (by default all of their teams), the roles that read the
organization see all of it. Filters live in the query string (``forms``), so that a link
reproduces the view.
"""

from __future__ import annotations

from functools import partial

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cxtracker.tenancy.access import can_read_all, org_view
from dashboards.downloads import chart_csv
from dashboards.forms import tree_param
from dashboards.links import page_url, query
from dashboards.selectors import scope_target, scope_units, survey_comments
from deployment.selectors import month_current
from experience.models import Journey
from kpis.engine.surveys import BREAKDOWNS, survey_breakdown_values

from .board import ExplorerBoard
from .comments import comments_context
from .forms import BREAKDOWN_LABELS, KpiExplorerForm, VerbatimForm, value_label
from .page import figures_context

COMMENTS_PER_PAGE = 25
# The query-string keys of each page, in the order links write them.
SCOPE_KEYS = ("unit", "from", "to", *BREAKDOWNS)
EXPLORER_KEYS = (*SCOPE_KEYS, "period", "kpi", "by", "tree")
VERBATIM_KEYS = (*SCOPE_KEYS, "band", "q")
# The two pages, by the tab that shows each: URL name and template.
PAGES = {
    "figures": ("dashboards:kpis", "dashboards/kpi_explorer.html"),
    "comments": ("dashboards:kpi-comments", "dashboards/kpi_comments.html"),
}


@org_view()
@require_GET
def kpi_explorer(request, org):
    """NPS, CSAT and CES of a unit over a span of months: over time (by week, month or quarter),
    and by journey, segment, channel and trigger, each with n and its 95 % margin; ``&csv=<chart>``
    answers that chart's data as CSV."""
    form, journey_names = _form(request, org, KpiExplorerForm)
    if not form.is_valid():
        return _invalid(request, org, form, tab="figures")
    data = form.cleaned_data
    target = scope_target(membership=request.membership, unit=data["unit"])
    language = get_language() or "fr"
    board = ExplorerBoard(org=org, target=target, data=data, journey_names=journey_names, language=language)
    if data["csv"]:
        return chart_csv(board.chart(data["csv"]), org=org, unit=data["unit"], span=data["span"])
    context = _scope_context(request, org, form, journey_names, keys=EXPLORER_KEYS, tab="figures")
    context.update(figures_context(board, link=partial(page_url, context["base_url"], context["params"])))
    return render(request, "dashboards/kpi_explorer.html", context)


@org_view()
@require_GET
def kpi_comments(request, org):
    """The customers' comments of a unit over a span of months, newest first, 25 a page,
    filterable by NPS band and by words; each with its date, team, journey, channel and scores
    (never an id)."""
    form, journey_names = _form(request, org, VerbatimForm)
    if not form.is_valid():
        return _invalid(request, org, form, tab="comments")
    data = form.cleaned_data
    target = scope_target(membership=request.membership, unit=data["unit"])
    responses = survey_comments(
        membership=request.membership,
        target=target,
        span=data["span"],
        filters=data["filters"],
        band=data["band"],
        text=data["q"],
    )
    page = Paginator(responses, COMMENTS_PER_PAGE).get_page(data["page"])
    context = _scope_context(request, org, form, journey_names, keys=VERBATIM_KEYS, tab="comments")
    link = partial(page_url, context["base_url"], context["params"])
    filtered = bool(data["band"] or data["q"])
    context.update(
        comments_context(page, org=org, journey_names=journey_names, words=data["q"], filtered=filtered, link=link)
    )
    return render(request, "dashboards/kpi_comments.html", context)


def _form(request, org, form_class):
    """The page's filters, bound to the query string, and the journeys' names that label their values."""
    membership = request.membership
    journey_names = dict(Journey.objects.for_org(org).values_list("code", "name"))
    form = form_class(
        request.GET,
        org=org,
        current=month_current(org=org),
        units=scope_units(membership=membership),
        everything_label=_scope_label(org, membership, None),
        values=survey_breakdown_values(org=org),
        journey_names=journey_names,
    )
    return form, journey_names


def _invalid(request, org, form, *, tab: str):
    """The page with its filters' errors (400), and tabs back to the default view."""
    name, template = PAGES[tab]
    context = {"form": form, "base_url": reverse(name, kwargs={"org": org.slug}), "tabs": _tabs(org, {}), "tab": tab}
    return render(request, template, context, status=400)


def _scope_context(request, org, form, journey_names: dict, *, keys, tab: str) -> dict:
    """What both pages show above their figures: the filters, the tabs to the other page on the same
    responses, the scope's name, the span and the breakdown values filtered on."""
    data = form.cleaned_data
    unit = data["unit"]
    return {
        "form": form,
        "base_url": reverse(PAGES[tab][0], kwargs={"org": org.slug}),
        "params": _params(data, keys),
        "tabs": _tabs(org, _params(data, SCOPE_KEYS)),
        "tab": tab,
        "unit": unit,
        "scope_label": _scope_label(org, request.membership, unit),
        "span_start": data["span"].first.first_day,
        "span_end": data["span"].last.first_day,
        "filters": [(BREAKDOWN_LABELS[b], value_label(b, v, journey_names)) for b, v in data["filters"].items()],
    }


def _params(data: dict, keys) -> dict:
    """The cleaned filters as the query string writes them (defaults left out)."""
    span = data["span"]
    params = {
        "unit": data["unit"].code if data.get("unit") else None,
        "from": str(span.first),
        "to": str(span.last),
        **{b: data.get(b) or None for b in BREAKDOWNS},
        "period": data.get("period") if data.get("period") != "month" else None,
        "kpi": data.get("kpi") if data.get("kpi") != "nps" else None,
        "by": data.get("by"),
        "band": data.get("band") or None,
        "q": data.get("q") or None,
        "tree": tree_param(data),
    }
    return {k: params[k] for k in keys}


def _tabs(org, scope: dict) -> dict:
    """Each page on the same responses (``scope``: their filters)."""
    return {tab: reverse(name, kwargs={"org": org.slug}) + query(scope) for tab, (name, _template) in PAGES.items()}


def _scope_label(org, membership, unit) -> str:
    """The unit's name, else everything the membership reads: the organization, or a manager's teams."""
    if unit is not None:
        return unit.name
    return org.name if can_read_all(membership) else _("All my teams")
