"""Who may see and do what, in one place.

Views never fetch tenant objects themselves: the ``org_view`` decorator resolves the organization
and the user's membership once, at the edge, and the ``access_*`` helpers below fetch objects
within what the membership may see. "Missing" and "out of your scope" give the same 404, so
nobody can probe another team's or another organization's data.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.db.models.manager import BaseManager
from django.http import Http404

from .models import Member, Membership, Organization, OrgUnit, Role, UnitKind

# Who reads everything in the organization, who writes in the field, who sets the organization up.
READ_ALL_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.STEERING})
FIELD_WRITE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
ADMIN_ROLES = frozenset({Role.ADMIN})
ALL_ROLES = frozenset(Role)


def org_view(roles=ALL_ROLES, *, individuals=False):
    """Decorate a view under ``o/<slug:org>/``: log-in required, the organization resolved from
    the slug and handed to the view as ``org``, ``request.membership`` set.

    An outsider (no membership) gets 404, whatever the rest of the URL; a member whose role is not
    in ``roles`` gets 403. With ``individuals`` (a page about individual members: their levels,
    their observations), a membership that does not ``sees_individuals`` gets 404 too, before the
    role check: for an executive such a page does not exist.
    """
    roles = frozenset(roles)

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, org, *args, **kwargs):
            membership = (
                Membership.objects.select_related("organization", "user")
                .filter(organization__slug=org, user=request.user)
                .first()
            )
            if membership is None or (individuals and not sees_individuals(membership)):
                raise Http404
            if membership.role not in roles:
                raise PermissionDenied
            request.org = membership.organization
            request.membership = membership
            _remember_organization(request, membership.organization)
            return view(request, membership.organization, *args, **kwargs)

        wrapper.org_scoped = True
        return wrapper

    return decorator


def _remember_organization(request, org: Organization) -> None:
    if request.session.get("org") != org.slug:
        request.session["org"] = org.slug
        from .models import UserProfile

        UserProfile.objects.update_or_create(user=request.user, defaults={"last_organization": org})


def can_read_all(membership: Membership) -> bool:
    return membership.role in READ_ALL_ROLES


def can_write_field(membership: Membership) -> bool:
    """May log observations and animations (within the units the membership reaches)."""
    return membership.role in FIELD_WRITE_ROLES


def sees_individuals(membership: Membership) -> bool:
    """Who may see individual members' levels and observations, and small groups' member-derived
    figures: admins and managers (within their units; their scope does the rest). Executives and
    steering members see groups only, and not the small ones (SPEC §4)."""
    return membership.role in FIELD_WRITE_ROLES


def is_admin(membership: Membership) -> bool:
    return membership.role in ADMIN_ROLES


def scope_filter(membership: Membership, prefix: str = "") -> Q:
    """A Q restricting rows to the units the membership reaches; ``prefix`` leads to an OrgUnit
    (``"team__"`` for a Member, ``""`` for OrgUnit itself). Cached per membership."""
    paths = scope_paths(membership)
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def scope_paths(membership: Membership) -> list[str] | None:
    """None when the membership reaches the whole organization, else the paths of its units."""
    if can_read_all(membership):
        return None
    if not hasattr(membership, "_scope_paths"):
        paths = sorted(membership.units.values_list("path", flat=True))
        # Drop units already inside another one of the scope: fewer OR clauses.
        membership._scope_paths = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return membership._scope_paths


def scoped_units(membership: Membership):
    """The org units the membership may see (a manager: the subtrees of their units)."""
    return OrgUnit.objects.for_org(membership.organization).filter(scope_filter(membership))


def scoped_teams(membership: Membership):
    return scoped_units(membership).filter(kind=UnitKind.TEAM)


def scoped_members(membership: Membership):
    """The members the membership may see: those of the teams it reaches."""
    return Member.objects.for_org(membership.organization).filter(scope_filter(membership, "team__"))


def scoped_individuals(membership: Membership):
    """The members whose names, levels and observations the membership may see: its scope's for
    admins and managers, none for the roles above the managers (SPEC §4)."""
    if not sees_individuals(membership):
        return Member.objects.none()
    return scoped_members(membership)


def sees_all_of(membership: Membership, unit: OrgUnit | None) -> bool:
    """Whether the membership may see every member-derived figure of ``unit``'s subtree (None:
    the organization), its small groups included: admins, and managers whose units hold it whole.
    Anyone else reads the unit's figures protected (kpis.engine.protection)."""
    if not sees_individuals(membership):
        return False
    paths = scope_paths(membership)
    if paths is None:
        return True
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def access_or_404(model_or_queryset, org: Organization, **lookup):
    """The one row of ``org`` matching ``lookup``, else 404: the generic fetch of a tenant object.

    ``model_or_queryset`` is a tenant model, its manager or a queryset (``select_related`` or a membership's
    scope already applied); the organization filter is applied first, whatever the queryset holds,
    so a row of another organization is "missing" (same 404, nothing to tell them apart). A lookup
    value of the wrong type (``pk="abc"``) is missing too, never a 500. A lookup matching several
    rows is a bug of the caller (not unique within the organization) and raises.
    """
    if org is None:
        raise TypeError("access_or_404 needs the organization.")
    if not lookup:
        raise TypeError("access_or_404 needs a lookup (pk=…, code=…).")
    if isinstance(model_or_queryset, QuerySet | BaseManager):
        queryset = model_or_queryset.all()
    else:
        queryset = model_or_queryset._default_manager.all()
    try:
        return queryset.filter(organization=org).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def access_unit(membership: Membership, code: str) -> OrgUnit:
    return access_or_404(scoped_units(membership), membership.organization, code=code)


def access_member(membership: Membership, code: str) -> Member:
    """A member in scope whose levels and observations the membership may see, else 404."""
    return access_or_404(scoped_individuals(membership).select_related("team"), membership.organization, code=code)


def require_field_write(membership: Membership) -> None:
    """Executives and steering members read only."""
    if not can_write_field(membership):
        raise PermissionDenied


def access_team(membership: Membership, code: str) -> OrgUnit:
    return access_or_404(scoped_teams(membership), membership.organization, code=code)
