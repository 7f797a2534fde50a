from .models import Membership


def tenancy(request):
    """The current organization and membership, and the user's organizations for the switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = getattr(request, "_user_memberships", None)
    if memberships is None:
        memberships = list(
            Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
        )
        request._user_memberships = memberships
    return {
        "org": getattr(request, "org", None),
        "membership": getattr(request, "membership", None),
        "user_memberships": memberships,
    }
