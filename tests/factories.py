"""Plain factory functions: each makes one row with sensible defaults, overridable by keyword."""

import datetime
import itertools

from django.contrib.auth import get_user_model

from cxtracker.tenancy.models import Member, Membership, Organization, OrgUnit, Role, UnitKind

_seq = itertools.count(1)


def make_org(slug=None, name=None, **kwargs) -> Organization:
    n = next(_seq)
    slug = slug or f"org-{n}"
    return Organization.objects.create(slug=slug, name=name or slug.replace("-", " ").title(), **kwargs)


def make_user(email=None, password="correct horse battery", **kwargs):
    email = email or f"user{next(_seq)}@example.com"
    return get_user_model().objects.create_user(username=email, email=email, password=password, **kwargs)


def make_membership(user, org, role=Role.ADMIN, units=()) -> Membership:
    membership = Membership.objects.create(user=user, organization=org, role=role)
    if units:
        membership.units.set(units)
    return membership


def make_unit(org, kind=UnitKind.TEAM, parent=None, code=None, name=None) -> OrgUnit:
    code = code or f"{kind[:1].upper()}{next(_seq)}"
    return OrgUnit.objects.create(organization=org, kind=kind, parent=parent, code=code, name=name or code)


def make_tree(org, prefix="") -> dict[str, OrgUnit]:
    """region R → business unit B → teams T1, T2; a second region R2 → B2 → T3."""
    r = make_unit(org, UnitKind.REGION, code=f"{prefix}R", name="Nord")
    b = make_unit(org, UnitKind.BUSINESS_UNIT, r, code=f"{prefix}B", name="Lille")
    t1 = make_unit(org, UnitKind.TEAM, b, code=f"{prefix}T1", name="Lille 1")
    t2 = make_unit(org, UnitKind.TEAM, b, code=f"{prefix}T2", name="Lille 2")
    r2 = make_unit(org, UnitKind.REGION, code=f"{prefix}R2", name="Sud")
    b2 = make_unit(org, UnitKind.BUSINESS_UNIT, r2, code=f"{prefix}B2", name="Marseille")
    t3 = make_unit(org, UnitKind.TEAM, b2, code=f"{prefix}T3", name="Marseille 1")
    return {"R": r, "B": b, "T1": t1, "T2": t2, "R2": r2, "B2": b2, "T3": t3}


def make_member(org, team, code=None, name=None, active_from=datetime.date(2025, 1, 1), active_to=None) -> Member:
    code = code or f"M{next(_seq):05d}"
    return Member.objects.create(
        organization=org,
        team=team,
        code=code,
        name=name or f"Member {code}",
        active_from=active_from,
        active_to=active_to,
    )
