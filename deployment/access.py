"""Who may see and change the field records (observations, coachings, animations): the access
helpers of the deployment app, on cxtracker.tenancy.access's scopes. "Missing" and "out of your
scope" give the same 404."""

from django.core.exceptions import PermissionDenied

from cxtracker.tenancy.access import access_or_404, is_admin, require_field_write, scope_filter, sees_individuals
from cxtracker.tenancy.models import Membership

from .models import Animation, Observation


def scoped_observations(membership: Membership):
    """Observations and coachings of the members the membership may see individually (none for
    the roles above the managers)."""
    if not sees_individuals(membership):
        return Observation.objects.none()
    return Observation.objects.for_org(membership.organization).filter(scope_filter(membership, "member__team__"))


def scoped_animations(membership: Membership):
    return Animation.objects.for_org(membership.organization).filter(scope_filter(membership, "team__"))


def _require_author(membership: Membership, author_id) -> None:
    """Field records are changed by whoever logged them, or by an admin; read-only roles never."""
    require_field_write(membership)
    if not is_admin(membership) and author_id != membership.user_id:
        raise PermissionDenied


def access_observation(membership: Membership, pk: int, *, write: bool = False):
    """An observation in scope (404 otherwise); with ``write``, only its observer or an admin (403)."""
    observations = scoped_observations(membership).select_related("member__team", "observer", "model")
    observation = access_or_404(observations, membership.organization, pk=pk)
    if write:
        _require_author(membership, observation.observer_id)
    return observation


def access_animation(membership: Membership, pk: int, *, write: bool = False):
    """An animation of a team in scope (404 otherwise); with ``write``, who held it or an admin (403)."""
    animations = scoped_animations(membership).select_related("team", "held_by")
    animation = access_or_404(animations, membership.organization, pk=pk)
    if write:
        _require_author(membership, animation.held_by_id)
    return animation
