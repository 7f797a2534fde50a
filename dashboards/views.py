from django.shortcuts import render

from cxtracker.tenancy.access import org_view, scoped_members, scoped_units
from cxtracker.tenancy.models import Role, UnitKind
from deployment.selectors import month_current, month_next, month_parse, month_previous

from .selectors import deployment_overview


@org_view()
def org_home(request, org):
    """The organization's home: a manager lands on their teams, everyone else on the overview."""
    if request.membership.role == Role.MANAGER:
        from deployment.views import manager_home

        return manager_home(request, org)
    units = scoped_units(request.membership)
    counts = {kind: units.filter(kind=kind).count() for kind in UnitKind.values}
    current = month_current(org=org)
    month = month_parse(request.GET.get("month")) or current
    month = min(month, current)
    total, regions = deployment_overview(membership=request.membership, month=month)
    previous_total, _regions = deployment_overview(membership=request.membership, month=month_previous(month))
    context = {
        "region_count": counts[UnitKind.REGION],
        "business_unit_count": counts[UnitKind.BUSINESS_UNIT],
        "team_count": counts[UnitKind.TEAM],
        "member_count": scoped_members(request.membership).active_on(org.today()).count(),
        "month": month,
        "previous_month": month_previous(month),
        "next_month": month_next(month) if month < current else None,
        "total": total,
        "previous_total": previous_total,
        "regions": regions,
    }
    return render(request, "dashboards/org_home.html", context)
