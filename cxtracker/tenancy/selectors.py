"""Reads of the setup screens."""

import datetime

from django.db.models import Count, F, Q

from .models import ApiKey, Member, Membership, Organization, OrgUnit, UnitKind


def unit_tree(*, org: Organization, today: datetime.date) -> list[OrgUnit]:
    """Every unit of the organization in tree order (siblings by name), each with
    ``member_count`` (active members today, for teams) and ``child_count``."""
    active = Q(members__active_from__lte=today) & (
        Q(members__active_to__isnull=True) | Q(members__active_to__gte=today)
    )
    units = list(
        OrgUnit.objects.for_org(org).annotate(
            member_count=Count("members", filter=active, distinct=True),
            child_count=Count("children", distinct=True),
        )
    )
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: (u.name.lower(), u.code))
    ordered: list[OrgUnit] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(reversed(children.get(unit.pk, [])))
    return ordered


def unit_choices(*, org: Organization, kinds=None):
    """Units for a select, in tree order, labelled with their place in the tree."""
    qs = OrgUnit.objects.for_org(org).order_by("path")
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs


def team_choices(*, org: Organization):
    return OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("name", "code")


def member_search(*, org: Organization, query: str = "", team: OrgUnit | None = None):
    members = Member.objects.for_org(org).select_related("team")
    if query:
        members = members.filter(Q(name__icontains=query) | Q(code__icontains=query))
    if team is not None:
        members = members.filter(team=team)
    return members.order_by("name", "code")


def membership_list(*, org: Organization):
    return (
        Membership.objects.for_org(org)
        .select_related("user")
        .prefetch_related("units")
        .order_by("user__email", "user__username")
    )


def api_key_list(*, org: Organization):
    """Active keys first, newest first; then the revoked ones."""
    return (
        ApiKey.objects.for_org(org)
        .select_related("created_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-created_at")
    )
