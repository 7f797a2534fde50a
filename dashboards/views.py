from django.shortcuts import render

from cxtracker.tenancy.access import org_view, scoped_members, scoped_units
from cxtracker.tenancy.models import Role, UnitKind


@org_view()
def org_home(request, org):
    """The organization's home: a manager lands on their teams, everyone else on the overview."""
    if request.membership.role == Role.MANAGER:
        from deployment.views import manager_home

        return manager_home(request, org)
    units = scoped_units(request.membership)
    counts = {kind: units.filter(kind=kind).count() for kind in UnitKind.values}
    context = {
        "region_count": counts[UnitKind.REGION],
        "business_unit_count": counts[UnitKind.BUSINESS_UNIT],
        "team_count": counts[UnitKind.TEAM],
        "member_count": scoped_members(request.membership).active_on(org.today()).count(),
    }
    return render(request, "dashboards/org_home.html", context)
