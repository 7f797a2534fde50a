"""The organization setup screens, for admins."""

from django.shortcuts import render

from .access import ADMIN_ROLES, org_view


@org_view(roles=ADMIN_ROLES)
def setup(request, org):
    return render(request, "tenancy/setup/index.html", {})
