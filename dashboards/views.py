from django.shortcuts import render

from cxtracker.months import Month
from cxtracker.tenancy.access import org_view, scoped_members, scoped_units
from cxtracker.tenancy.models import Role, UnitKind
from deployment.selectors import month_current

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
    month = min(Month.parse_or_none(request.GET.get("month")) or current, current)
    total, regions = deployment_overview(membership=request.membership, month=month)
    previous_total, _regions = deployment_overview(membership=request.membership, month=month.previous())
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
