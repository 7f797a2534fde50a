"""The organization's home and the executive transformation dashboard."""

from functools import partial

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cxtracker.months import Month
from cxtracker.tenancy.access import org_view, scoped_members, scoped_teams, scoped_units
from cxtracker.tenancy.models import Role, UnitKind
from deployment.selectors import month_current
from kpis.engine.readers import Reader
from kpis.models import Metric

from .downloads import chart_csv
from .selectors import deployment_overview, unit_choices
from .transformation.board import Filters, TransformationDashboard
from .transformation.forms import TransformationFilterForm
from .transformation.page import board_page, filter_params, page_context, unit_url


@org_view()
def org_home(request, org):
    """The organization's home: a manager lands on their teams, everyone else on the overview."""
    if request.membership.role == Role.MANAGER:
        from .teams.views import manager_home

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


def _manager_redirect(request, org):
    """A manager's dashboard is their team's page (one team), or their teams' home."""
    teams = list(scoped_teams(request.membership)[:2])
    if len(teams) == 1:
        return redirect("dashboards:team-detail", org=org.slug, code=teams[0].code)
    return redirect("org-home", org=org.slug)


@org_view()
@require_GET
def transformation(request, org):
    """``/o/<slug>/dashboards/transformation/?unit=CODE&from=YYYY-MM&to=YYYY-MM``: deployment and
    transformation against the customers' figures, for the roles that read the whole organization;
    ``&csv=<chart>`` answers that chart's data as CSV."""
    if request.membership.role == Role.MANAGER:
        return _manager_redirect(request, org)
    units = unit_choices(org=org)
    metrics = list(Metric.objects.for_org(org).order_by("category", "name"))
    form = TransformationFilterForm(request.GET, org=org, current=month_current(org=org), units=units, metrics=metrics)
    base = reverse("dashboards:transformation", kwargs={"org": org.slug})
    if not form.is_valid():
        return render(request, "dashboards/transformation.html", {"form": form, "base_url": base}, status=400)
    data = form.cleaned_data
    params = filter_params(data)
    filters = Filters.of(data)
    url_for = partial(unit_url, base, params)
    board = TransformationDashboard(org=org, membership=request.membership, filters=filters, url_for=url_for)
    # The board's figures change only with what board.inputs names: cached on it (Redis).
    inputs = board.inputs(
        tree=tuple(units),
        metrics=tuple((m.pk, m.code, m.name, m.unit_of_measure, m.higher_is_better) for m in metrics),
    )
    if data["csv"]:
        # A cached page gives its chart; otherwise only that chart is computed.
        board.load(inputs, compute=False)
        return chart_csv(board.chart(data["csv"]), org=org, unit=data["unit"], span=data["span"])
    context = page_context(org=org, form=form, board=board, base=base, params=params, units=units, metrics=metrics)
    context.update(board_page(board, inputs, context))
    return render(request, "dashboards/transformation.html", context)
