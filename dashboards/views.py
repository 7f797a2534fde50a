"""The organization's home and the executive transformation dashboard."""

from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cxtracker.charts import fewer_than
from cxtracker.months import Month
from cxtracker.tabular import csv_response
from cxtracker.tenancy.access import org_view, scoped_members, scoped_teams, scoped_units
from cxtracker.tenancy.models import OrgUnit, Role, UnitKind
from deployment.selectors import month_current
from kpis.engine.readers import Reader
from kpis.models import Metric

from . import caching
from .links import query
from .selectors import UnitChoice, deployment_overview, unit_choices
from .transformation.board import Filters, TransformationDashboard
from .transformation.forms import CHARTS, SORT_KEYS, TransformationFilterForm


@org_view()
def org_home(request, org):
    """The organization's home: a manager lands on their teams, everyone else on the overview."""
    if request.membership.role == Role.MANAGER:
        from deployment.views import manager_home

        return manager_home(request, org)
    units = scoped_units(request.membership)
    counts = {kind: units.filter(kind=kind).count() for kind in UnitKind.values}
    current = month_current(org=org)
    month = min(Month.parse_or_none(request.GET.get("month")) or current, current)
    reader = Reader.of(request.membership)
    total, regions = deployment_overview(org=org, reader=reader, month=month)
    previous_total, _regions = deployment_overview(org=org, reader=reader, month=month.previous())
    context = {
        "region_count": counts[UnitKind.REGION],
        "business_unit_count": counts[UnitKind.BUSINESS_UNIT],
        "team_count": counts[UnitKind.TEAM],
        "member_count": scoped_members(request.membership).active_on(org.today()).count(),
        # Dates, for the template's |date.
        "month": month.first_day,
        "previous_month": month.previous().first_day,
        "next_month": month.next().first_day if month < current else None,
        "total": total,
        "previous_total": previous_total,
        "regions": regions,
    }
    return render(request, "dashboards/org_home.html", context)


# ---------------------------------------------------------------------------------------------
# The executive transformation dashboard


def _ancestors(units: list[UnitChoice], unit: OrgUnit | None) -> list[UnitChoice]:
    """The units above ``unit``, from the top of the tree down (the breadcrumb), from the list of
    units the page has read anyway."""
    if unit is None:
        return []
    by_pk = {u.pk: u for u in units}
    return [by_pk[i] for i in unit.ancestor_ids if i in by_pk]


def _manager_redirect(request, org):
    """A manager's dashboard is their team's page (one team), or their teams' home."""
    teams = list(scoped_teams(request.membership)[:2])
    if len(teams) == 1:
        return redirect("deployment:team-detail", org=org.slug, code=teams[0].code)
    return redirect("org-home", org=org.slug)


@org_view()
@require_GET
def transformation(request, org):
    """``/o/<slug>/dashboards/transformation/?unit=CODE&from=YYYY-MM&to=YYYY-MM``: deployment and
    transformation against the customers' figures, for the roles that read the whole organization;
    ``&csv=<chart>`` answers that chart's data as CSV."""
    membership = request.membership
    if membership.role == Role.MANAGER:
        return _manager_redirect(request, org)
    current = month_current(org=org)
    units = unit_choices(org=org)
    metrics = list(Metric.objects.for_org(org).order_by("category", "name"))
    form = TransformationFilterForm(request.GET, org=org, current=current, units=units, metrics=metrics)
    base = reverse("dashboards:transformation", kwargs={"org": org.slug})
    if not form.is_valid():
        context = {"form": form, "base_url": base, "current": current}
        return render(request, "dashboards/transformation.html", context, status=400)
    data = form.cleaned_data
    span = data["span"]
    params = {
        "unit": data["unit"].code if data["unit"] else None,
        "from": str(span.first),
        "to": str(span.last),
        "metric": data["metric"].code if data["metric"] else None,
        "mastery": data["mastery"],
        "lag": data["lag"],
        "sort": data["sort"] if data["sort"] != "name" else None,
    }

    def url_for(unit):
        return base + query(params, unit=unit.code if unit else None)

    board = TransformationDashboard(org=org, membership=membership, filters=Filters.of(data), url_for=url_for)
    # The board's figures change only with what board.inputs names: cached on it (Redis).
    inputs = board.inputs(
        tree=tuple(units),
        metrics=tuple((m.pk, m.code, m.name, m.unit_of_measure, m.higher_is_better) for m in metrics),
    )
    if data["csv"]:
        # A cached page gives its chart; otherwise only that chart is computed.
        board.load(inputs, compute=False)
        unit_part = data["unit"].code if data["unit"] else org.slug
        filename = f"{data['csv']}-{unit_part}-{span.first}-{span.last}.csv"
        chart = board.chart(data["csv"])
        return csv_response(chart.columns, chart.rows, filename=filename, language=get_language())

    unit = data["unit"]
    sort = data["sort"]
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
    # Each header sorts by its column; a second click reverses (works without JavaScript).
    sort_columns = [
        {
            "key": key,
            "label": labels[key],
            "url": base + query(params, sort=f"-{key}" if sort == key else key),
            "aria": "ascending" if sort == key else "descending" if sort == f"-{key}" else None,
        }
        for key in SORT_KEYS
    ]
    context = {
        "form": form,
        "base_url": base,
        "board": board,
        "unit": unit,
        "span": span,
        "previous": board.previous,
        "span_start": span.first.first_day,
        "span_end": span.last.first_day,
        "previous_start": board.previous.first.first_day,
        "previous_end": board.previous.last.first_day,
        "params": params,
        # The organization and the units above this one, each a link back up.
        "breadcrumb": [(org.name, url_for(None))] + [(u.name, url_for(u)) for u in _ancestors(units, unit)],
        "sort": sort,
        "sort_columns": sort_columns,
        "csv_links": {name: base + query(params, csv=name) for name in CHARTS},
        "team_page": (
            reverse("deployment:team-detail", kwargs={"org": org.slug, "code": unit.code})
            if unit is not None and unit.kind == UnitKind.TEAM
            else None
        ),
        "min_group_size": org.min_group_size,
        "hidden_label": fewer_than(org.min_group_size),
        "min_sample_size": org.min_sample_size,
        "metrics": metrics,
    }

    def board_page() -> dict:
        """The board below the filters, rendered: a function of ``inputs`` alone (the partial holds
        no CSRF token and nothing of the user's), cached as HTML."""
        board.load(inputs)
        board_context = dict(context)
        if board.has_data:
            board_context["charts"] = {name: board.chart(name) for name in CHARTS}
            board_context["has_hidden_rows"] = any(row["suppressed"] for row in board.table)
        html = render_to_string("dashboards/_transformation_board.html", board_context)
        return {"html": html, "has_charts": bool(board.has_data)}

    page = caching.cached("transformation-page", inputs, board_page)
    # Rendered by our own template just now or then (a cache may hand back a plain str).
    context["board_html"] = mark_safe(page["html"])
    context["has_charts"] = page["has_charts"]
    return render(request, "dashboards/transformation.html", context)
