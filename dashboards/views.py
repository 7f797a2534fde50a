"""The organization's home and the executive transformation dashboard."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from cxtracker.months import Month
from cxtracker.tenancy.access import org_view, scoped_members, scoped_teams, scoped_units
from cxtracker.tenancy.models import Role, UnitKind
from deployment.selectors import month_current
from kpis.engine.readers import Reader

from . import warming
from .downloads import chart_csv
from .selectors import deployment_overview
from .transformation.page import board_setup


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
    setup = board_setup(org=org, membership=request.membership, query=request.GET)
    if not setup.form.is_valid():
        return render(
            request, "dashboards/transformation.html", {"form": setup.form, "base_url": setup.base}, status=400
        )
    data = setup.form.cleaned_data
    if data["csv"]:
        # A cached page gives its chart; otherwise only that chart is computed.
        setup.board.load(setup.inputs, compute=False)
        return chart_csv(setup.board.chart(data["csv"]), org=org, unit=data["unit"], span=data["span"])
    context = setup.context()
    # Read again after the next recomputation: warmed ahead of the readers (dashboards.warming).
    warming.remember(org=org, membership=request.membership, query=request.GET)
    return render(request, "dashboards/transformation.html", context)
