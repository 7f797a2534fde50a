"""Reads of the dashboards that are not figures (the engine reads those: kpis.engine): what a page
covers, the units its chooser lists and those around the one it looks at, the verbatim comments;
and the home's live deployment overview."""

from typing import NamedTuple

from django.db.models import Q

from cxtracker.months import Month
from cxtracker.tenancy.access import can_read_all, scope_filter, scoped_units
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, UnitKind
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.targets import Target
from kpis.models import SurveyResponse

# NPS score bands (SPEC §4): promoters 9–10, passives 7–8, detractors 0–6.
BANDS = {"promoters": (9, 10), "passives": (7, 8), "detractors": (0, 6)}


def scope_target(*, membership: Membership, unit: OrgUnit | None) -> Target | None:
    """What a page covers: the unit (one of the membership's), else everything the membership
    reaches (the organization, or a manager's units); None when it reaches nothing."""
    if unit is not None:
        return Target(unit)
    if can_read_all(membership):
        return Target(None)
    units = list(scoped_units(membership))
    return Target(*units) if units else None


def deployment_overview(*, org: Organization, reader: Reader, month: Month) -> tuple[dict, list[dict]]:
    """The month's deployment of the organization and of each region with teams (``teams``: how
    many), live: the engine's counts of the field data as they stand, protected for the reader."""
    units = OrgUnit.objects.for_org(org)
    regions = list(units.filter(kind=UnitKind.REGION).order_by("name"))
    paths = list(units.filter(kind=UnitKind.TEAM).values_list("path", flat=True))
    teams = {r.pk: sum(p.startswith(r.path) for p in paths) for r in regions}
    targets = [Target(None), *(Target(r) for r in regions if teams[r.pk])]
    total, *rows = rates_read(org=org, reader=reader, targets=targets, periods=[month], live=True)
    regions = [r for r in regions if teams[r.pk]]
    return total, [{**row, "teams": teams[r.pk]} for r, row in zip(regions, rows, strict=True)]


# ---------------------------------------------------------------------------------------------
# The units a dashboard's chooser lists, and those around the one it looks at.


class UnitChoice(NamedTuple):
    """A unit as the unit chooser lists it (the chosen one is read whole: the form's ``clean_unit``)."""

    pk: int
    code: str
    name: str
    kind: str
    path: str
    parent_id: int | None


def in_tree_order(units: list) -> list:
    """``units`` (anything with pk, name and path) parents before children and siblings by name: the
    order of every unit chooser. A unit above the list (a manager's region) sorts as a blank name."""
    names = {u.pk: u.name.casefold() for u in units}
    return sorted(units, key=lambda unit: [names.get(i, "") for i in OrgUnit.path_ids(unit.path)])


def unit_choices(*, org: Organization) -> list[UnitChoice]:
    """Every unit of the organization in tree order, as plain rows: an organization of a thousand
    teams reads them on every page, and they are part of the key of the board's cached answer."""
    rows = OrgUnit.objects.for_org(org).values_list("pk", "code", "name", "kind", "path", "parent_id")
    return in_tree_order([UnitChoice(*row) for row in rows])


def scope_units(*, membership: Membership) -> list[OrgUnit]:
    """The units the membership reaches, in tree order."""
    return in_tree_order(list(scoped_units(membership).only("pk", "code", "name", "kind", "path", "parent_id")))


def unit_children(*, org: Organization, unit: OrgUnit | None) -> list[OrgUnit]:
    """The units one level down: the regions under the organization, else the unit's children."""
    units = OrgUnit.objects.for_org(org)
    units = units.filter(parent__isnull=True) if unit is None else units.filter(parent=unit)
    return list(units.order_by("name", "code"))


def unit_teams(*, org: Organization, unit: OrgUnit | None) -> list[OrgUnit]:
    """The teams of the unit's subtree (of the organization for None)."""
    teams = OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM)
    if unit is not None:
        teams = teams.filter(path__startswith=unit.path)
    return list(teams.order_by("name", "code"))


def survey_comments(
    *,
    membership: Membership,
    target: Target | None,
    span,
    filters: dict | None = None,
    band: str = "",
    text: str = "",
):
    """The responses with a comment of the target (None: nothing) over the span, newest first;
    ``band`` one of ``BANDS`` (by NPS score), ``text`` a case-insensitive part of the comment.
    Whatever the target says, never outside the membership's scope."""
    org = membership.organization
    start, end = span.bounds(org.tzinfo)
    responses = (
        SurveyResponse.objects.for_org(org)
        .filter(scope_filter(membership, "unit__"))
        .filter(responded_at__gte=start, responded_at__lt=end)
        .exclude(comment="")
    )
    if target is None:
        return responses.none()
    if target.units:
        responses = responses.filter(OrgUnit.in_subtrees(target.units, "unit__"))
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if filters:
        responses = responses.filter(**filters)
    if band:
        low, high = BANDS[band]
        responses = responses.filter(nps__gte=low, nps__lte=high)
    if text:
        responses = responses.filter(Q(comment__icontains=text))
    return (
        responses.select_related("unit")
        .only(
            "responded_at",
            "nps",
            "csat",
            "ces",
            "journey",
            "channel",
            "segment",
            "trigger",
            "comment",
            "unit__name",
            "unit__code",
        )
        .order_by("-responded_at", "-id")
    )
