"""The base of every endpoint under /api/v1/: the organization resolved once, before the handler
runs, the caller's access and scope, pagination, and the filters the endpoints share."""

import datetime
import re

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS

from cxtracker.months import MAX_YEAR, MIN_YEAR, Month
from cxtracker.tenancy.access import (
    ADMIN_ROLES,
    scope_filter,
    scoped_members,
    scoped_units,
    sees_individuals,
)
from cxtracker.tenancy.models import ApiKey, ApiKeyScope, Member, Membership, Organization, OrgUnit

from .errors import LimitedJSONParser
from .throttling import ApiRateThrottle

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def _session_membership(request) -> Membership:
    slug = request.headers.get("X-Organization") or request.query_params.get("org")
    memberships = Membership.objects.select_related("organization").filter(user=request.user)
    if slug:
        membership = memberships.filter(organization__slug=slug).first()
        if membership is None:
            raise exceptions.NotFound()
        return membership
    found = list(memberships[:2])
    if not found:
        raise exceptions.NotFound()
    if len(found) > 1:
        raise exceptions.ValidationError(
            {"org": [_("You belong to several organizations: name one with the X-Organization header or ?org=.")]}
        )
    return found[0]


def date_bound(value: str | None, name: str, *, end: bool) -> datetime.date | None:
    """``?from=`` / ``?to=``: a month (``YYYY-MM``) or a day (``YYYY-MM-DD``), 1970 to 2999, as
    the first day it covers, or with ``end`` the first day after it; None when not given. Anything
    else is a 400 naming the parameter."""
    if not value:
        return None
    try:
        month = Month.parse_or_none(value)
        if month is not None:
            return month.end_day if end else month.first_day
        if not _DAY_RE.match(value):
            raise ValueError(value)
        day = datetime.date.fromisoformat(value)
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(value)
        return day + datetime.timedelta(days=1) if end else day
    except ValueError:
        raise exceptions.ValidationError(
            {name: [_("Give a month (YYYY-MM) or a day (YYYY-MM-DD) between 1970 and 2999.")]}
        ) from None


class OrgApiView(GenericAPIView):
    """Base of every endpoint under /api/v1/: resolves the organization once, before the handler
    runs, and checks the access; querysets start from ``self.org``.

    An API key decides the organization (``request.auth.organization``), and its scopes decide
    reads (``read``) and writes (``write``). A browser session names the organization (header
    ``X-Organization`` or ``?org=``, else the user's only one); its membership decides: reads
    within the role's scope, writes for ``write_roles``; endpoints over individual observations
    and levels are 403 for the roles that do not see individuals (executives, steering: SPEC §4).
    """

    parser_classes = [LimitedJSONParser]
    throttle_classes = [ApiRateThrottle]
    pagination_class = Pagination
    write_roles = ADMIN_ROLES
    model = None
    # Set on the endpoints over individual members' observations and levels (SPEC §4).
    individual_records = False

    org: Organization
    membership: Membership | None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        values = [*kwargs.values(), *request.query_params.values()]
        if any("\x00" in str(v) for v in values):
            raise exceptions.ValidationError({"non_field_errors": [_("NUL characters are not allowed.")]})
        if isinstance(request.auth, ApiKey):
            self.org, self.membership = request.auth.organization, None
            scope = ApiKeyScope.READ if request.method in SAFE_METHODS else ApiKeyScope.WRITE
            if not request.auth.has_scope(scope):
                raise exceptions.PermissionDenied(
                    _("This API key does not have the “%(scope)s” scope.") % {"scope": scope}
                )
            return
        membership = _session_membership(request)
        self.org, self.membership = membership.organization, membership
        if self.individual_records and not sees_individuals(membership):
            raise exceptions.PermissionDenied(_("Your role does not give access to individual observations."))
        if request.method not in SAFE_METHODS and membership.role not in self.write_roles:
            raise exceptions.PermissionDenied(_("Your role does not allow this change."))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.org_queryset()

    def org_queryset(self):
        """The rows of ``self.org`` the caller may see."""
        raise NotImplementedError

    # Scope of the caller: an API key reaches the whole organization.
    def units(self):
        if self.membership is None:
            return OrgUnit.objects.for_org(self.org)
        return scoped_units(self.membership)

    def members(self):
        if self.membership is None:
            return Member.objects.for_org(self.org)
        return scoped_members(self.membership)

    def scope_q(self, prefix: str) -> Q:
        """Rows whose unit (reached by ``prefix``, e.g. ``"member__team__"``) is in scope."""
        return Q() if self.membership is None else scope_filter(self.membership, prefix)

    def unit_filter(self, queryset, prefix: str):
        """``?unit=CODE``: the rows of that unit's subtree (an unknown code is a 400)."""
        code = self.request.query_params.get("unit")
        if not code:
            return queryset
        unit = self.units().filter(code=code).first()
        if unit is None:
            raise exceptions.ValidationError({"unit": [_("Unknown unit code: %(code)s.") % {"code": code}]})
        return queryset.filter(**{f"{prefix}path__startswith": unit.path})

    def date_range(self) -> tuple[datetime.date | None, datetime.date | None]:
        """``?from=`` and ``?to=`` as [start, end) days; each a month or a day, both inclusive."""
        start = date_bound(self.request.query_params.get("from"), "from", end=False)
        end = date_bound(self.request.query_params.get("to"), "to", end=True)
        if start and end and start >= end:
            raise exceptions.ValidationError({"to": [_("“to” is before “from”.")]})
        return start, end

    def moment_filter(self, queryset, field: str):
        """Rows whose ``field`` (a datetime) falls in ``?from=`` … ``?to=``, days counted in the
        organization's timezone."""
        start, end = self.date_range()
        tz = self.org.tzinfo
        if start:
            queryset = queryset.filter(**{f"{field}__gte": datetime.datetime.combine(start, datetime.time(), tz)})
        if end:
            queryset = queryset.filter(**{f"{field}__lt": datetime.datetime.combine(end, datetime.time(), tz)})
        return queryset

    def choice_filters(self, queryset, names):
        """Exact-match filters (``?journey=purchase``)."""
        for name in names:
            value = self.request.query_params.get(name)
            if value:
                queryset = queryset.filter(**{name: value})
        return queryset
