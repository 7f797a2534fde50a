"""What the transformation page shows around its board: the filters as the query string writes
them, the links that keep them (to another unit, sorted by a column, a chart's CSV), the breadcrumb
back up the tree, and the board below the filters, rendered once and cached as HTML."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cxtracker.charts import fewer_than
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, UnitKind
from dashboards import caching
from dashboards.forms import tree_param
from dashboards.links import page_url
from dashboards.selectors import UnitChoice, unit_choices
from deployment.selectors import month_current
from kpis.models import Metric

from .board import Filters, TransformationDashboard
from .forms import CHARTS, SORT_KEYS, TransformationFilterForm

BOARD_TEMPLATE = "dashboards/_transformation_board.html"


@dataclass
class Board:
    """A transformation page's board, set up from its query string for one membership: the form
    (check ``form.is_valid()``: the rest is there only then), the board and its cache key."""

    form: TransformationFilterForm
    base: str
    units: list[UnitChoice]
    metrics: list[Metric]
    params: dict | None = None
    board: TransformationDashboard | None = None
    inputs: tuple | None = None

    def context(self) -> dict:
        """The page's context, its board rendered (cached as HTML: ``board_page``)."""
        context = page_context(
            org=self.board.org,
            form=self.form,
            board=self.board,
            base=self.base,
            params=self.params,
            units=self.units,
            metrics=self.metrics,
        )
        context.update(board_page(self.board, self.inputs, context))
        return context


def board_setup(*, org: Organization, membership: Membership, query) -> Board:
    """The board the query string (``request.GET``, a QueryDict) asks for, as ``membership``
    reads it: what the view shows and what the warming after a recomputation renders ahead."""
    units = unit_choices(org=org)
    metrics = list(Metric.objects.for_org(org).order_by("category", "name"))
    form = TransformationFilterForm(query, org=org, current=month_current(org=org), units=units, metrics=metrics)
    setup = Board(
        form=form, base=reverse("dashboards:transformation", kwargs={"org": org.slug}), units=units, metrics=metrics
    )
    if not form.is_valid():
        return setup
    data = form.cleaned_data
    setup.params = filter_params(data)
    url_for = partial(unit_url, setup.base, setup.params)
    setup.board = TransformationDashboard(org=org, membership=membership, filters=Filters.of(data), url_for=url_for)
    # The board's figures change only with what board.inputs names: cached on it (Redis).
    setup.inputs = setup.board.inputs(
        tree=tuple(units),
        metrics=tuple((m.pk, m.code, m.name, m.unit_of_measure, m.higher_is_better) for m in metrics),
    )
    return setup


def filter_params(data: dict) -> dict:
    """The cleaned filters as the query string writes them (defaults left out)."""
    span = data["span"]
    return {
        "unit": data["unit"].code if data["unit"] else None,
        "from": str(span.first),
        "to": str(span.last),
        "metric": data["metric"].code if data["metric"] else None,
        "mastery": data["mastery"],
        "lag": data["lag"],
        "sort": data["sort"] if data["sort"] != "name" else None,
        "tree": tree_param(data),
    }


def unit_url(base: str, params: dict, unit: OrgUnit | UnitChoice | None) -> str:
    """The page of another unit (None: the organization) with the same filters."""
    return page_url(base, params, unit=unit.code if unit else None)


def page_context(
    *, org: Organization, form, board: TransformationDashboard, base: str, params: dict, units: list, metrics: list
) -> dict:
    """Everything the page and its board show but the board's parts. ``units``: the unit chooser's
    (the breadcrumb's units are among them); ``metrics``: those the trend offers."""
    unit, span, previous = board.unit, board.span, board.previous
    return {
        "form": form,
        "base_url": base,
        "board": board,
        "unit": unit,
        "span": span,
        "previous": previous,
        "span_start": span.first.first_day,
        "span_end": span.last.first_day,
        "previous_start": previous.first.first_day,
        "previous_end": previous.last.first_day,
        "params": params,
        # The organization and the units above this one, each a link back up.
        "breadcrumb": [(org.name, board.url_for(None))] + [(u.name, board.url_for(u)) for u in _ancestors(units, unit)],
        "sort": board.filters.sort,
        "sort_columns": _sort_columns(base, params, board.filters.sort),
        "csv_links": {name: page_url(base, params, csv=name) for name in CHARTS},
        "team_page": (
            reverse("dashboards:team-detail", kwargs={"org": org.slug, "code": unit.code})
            if unit is not None and unit.kind == UnitKind.TEAM
            else None
        ),
        "min_group_size": org.min_group_size,
        "hidden_label": fewer_than(org.min_group_size),
        "min_sample_size": org.min_sample_size,
        "metrics": metrics,
    }


def board_page(board: TransformationDashboard, inputs: tuple, context: dict) -> dict:
    """The board below the filters, rendered: a function of ``inputs`` alone (the partial holds no
    CSRF token and nothing of the user's), cached as HTML; and whether it draws charts."""

    def render_board() -> dict:
        board.load(inputs)
        board_context = dict(context)
        if board.has_data:
            board_context["charts"] = {name: board.chart(name) for name in CHARTS}
            board_context["has_hidden_rows"] = any(row["suppressed"] for row in board.table)
        return {"html": render_to_string(BOARD_TEMPLATE, board_context), "has_charts": bool(board.has_data)}

    page = caching.cached("transformation-page", inputs, render_board)
    # Rendered by our own template just now or then (a cache may hand back a plain str).
    return {"board_html": mark_safe(page["html"]), "has_charts": page["has_charts"]}


def _sort_columns(base: str, params: dict, sort: str) -> list[dict]:
    """Each header of the units table sorts by its column; a second click reverses (works without
    JavaScript)."""
    labels = {
        "name": _("Unit"),
        "members": _("Members"),
        "deployment": _("Deployment"),
        "transformation": _("Transformation"),
        "nps": "NPS",
        "nps_change": "Δ NPS",
        "csat": "CSAT",
        "csat_change": "Δ CSAT",
        "ces": "CES",
        "ces_change": "Δ CES",
    }
    return [
        {
            "key": key,
            "label": labels[key],
            "url": page_url(base, params, sort=f"-{key}" if sort == key else key),
            "aria": "ascending" if sort == key else "descending" if sort == f"-{key}" else None,
        }
        for key in SORT_KEYS
    ]


def _ancestors(units: list[UnitChoice], unit: OrgUnit | None) -> list[UnitChoice]:
    """The units above ``unit``, from the top of the tree down (the breadcrumb), from the list of
    units the page has read anyway."""
    if unit is None:
        return []
    by_pk = {u.pk: u for u in units}
    return [by_pk[i] for i in unit.ancestor_ids if i in by_pk]
