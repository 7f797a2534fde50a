from django.shortcuts import render


def manager_home(request, org):
    """A manager's home; called by dashboards.views.org_home, which already resolved the org."""
    return render(request, "deployment/manager_home.html", {})
