"""The demo organization: a French retail chain with 3 regions, 8 business units, 40 teams and
about 400 members, and a user for each role. Every step is idempotent (get_or_create by code).

The story the demo tells (SPEC §4's engine must find it; ``deployment.demo`` and ``kpis.demo``
write it): teams differ in size (4 to 18 members), large stores coach more and have a higher base
NPS (a confounder), the ``LAGGING_REGION`` coaches less, and the customers' figures follow each
team's transformation rate a few months later. One reorganization (``REORGANIZATION``): Reims
joined Nord from Île-de-France a few months ago, so that the figures read as-was differ from
today's tree (today's tree, and so every as-is figure, is the one ``REGIONS`` draws).
"""

import datetime
import functools
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from cxtracker.months import Month

from .models import Member, Membership, Organization, OrgUnit, Role, UnitKind

DEMO_SLUG = "demo"
DEMO_NAME = "Maison Lumière"

# The region whose managers coach less: its teams reach mastery later (deployment.demo).
LAGGING_REGION = "R-SUD"
RANDOM_SEED = 2026
# The business unit that moved, the region it sat in before, and how many months ago it moved.
REORGANIZATION = ("BU-REIMS", "R-IDF", 4)
# Team sizes: drawn evenly between these bounds (members).
TEAM_SIZE_MIN, TEAM_SIZE_MAX = 4, 17

# region code, name -> business units: code, name, number of teams
REGIONS = {
    ("R-NORD", "Nord"): [("BU-LILLE", "Lille", 6), ("BU-ROUEN", "Rouen", 4), ("BU-REIMS", "Reims", 4)],
    ("R-IDF", "Île-de-France"): [("BU-PARIS", "Paris", 7), ("BU-VERSAILLES", "Versailles", 5)],
    ("R-SUD", "Sud"): [("BU-LYON", "Lyon", 5), ("BU-MARSEILLE", "Marseille", 5), ("BU-NICE", "Nice", 4)],
}

FIRST_NAMES = (
    "Léa Emma Chloé Manon Camille Inès Jade Louise Sarah Zoé Alice Lina Juliette Anna Rose Mila Ambre Léna "
    "Lucas Hugo Louis Gabriel Arthur Jules Adam Raphaël Nathan Paul Tom Noah Théo Ethan Sacha Maël Nolan Yanis"
).split()
LAST_NAMES = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux "
    "David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefèvre Faure "
    "André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément"
).split()

DEMO_USERS = [
    # e-mail, first name, last name, role, password, units (codes) for managers
    ("admin@demo.cxtracker.test", "Claire", "Admin", Role.ADMIN, "demo-admin-2026", ()),
    ("direction@demo.cxtracker.test", "Marc", "Directeur", Role.EXECUTIVE, "demo-exec-2026", ()),
    ("copil@demo.cxtracker.test", "Sophie", "Copil", Role.STEERING, "demo-copil-2026", ()),
    ("sav@demo.cxtracker.test", "Karim", "Sav", Role.STEERING, "demo-sav-2026", ()),
    ("manager@demo.cxtracker.test", "Julien", "Manager", Role.MANAGER, "demo-manager-2026", ("T-LILLE-1", "T-LILLE-2")),
]


def seed_organization(*, teams_per_unit: int | None = None) -> tuple[Organization, list[tuple[str, str, str]]]:
    """The demo organization, its tree, members and users; returns it with (e-mail, role, password).

    ``teams_per_unit``: at most that many teams per business unit (a smaller demo, for tests).
    """
    rng = random.Random(RANDOM_SEED)  # demo data: not security-sensitive
    with transaction.atomic():
        org, _created = Organization.objects.get_or_create(
            slug=DEMO_SLUG, defaults={"name": DEMO_NAME, "timezone": "Europe/Paris", "language": "fr"}
        )
        teams = _seed_tree(org, teams_per_unit)
        _seed_reorganization(org)
        _seed_members(org, teams, rng)
        credentials = _seed_users(org, teams)
    return org, credentials


def _unit(org, code, name, kind, parent=None) -> OrgUnit:
    unit, _created = OrgUnit.objects.get_or_create(
        organization=org, code=code, defaults={"name": name, "kind": kind, "parent": parent}
    )
    return unit


def _seed_tree(org, teams_per_unit: int | None = None) -> list[OrgUnit]:
    teams = []
    for (region_code, region_name), business_units in REGIONS.items():
        region = _unit(org, region_code, region_name, UnitKind.REGION)
        for bu_code, bu_name, team_count in business_units:
            bu = _unit(org, bu_code, bu_name, UnitKind.BUSINESS_UNIT, region)
            city = bu_code.removeprefix("BU-")
            if teams_per_unit is not None:
                team_count = min(team_count, teams_per_unit)
            for i in range(1, team_count + 1):
                teams.append(_unit(org, f"T-{city}-{i}", f"{bu_name} {i}", UnitKind.TEAM, bu))
    return teams


def _seed_reorganization(org) -> None:
    """The unit of ``REORGANIZATION`` sat in its former region until a few months ago: its history
    is recorded once (a unit seeded afresh has its one placement, since the beginning)."""
    code, former, months_ago = REORGANIZATION
    unit = OrgUnit.objects.for_org(org).get(code=code)
    if unit.placements.count() != 1:
        return
    unit.placements.update(parent=OrgUnit.objects.for_org(org).get(code=former))
    unit.place(since=Month.of(org.today()).shift(-months_ago).first_day)


def _seed_members(org, teams, rng) -> None:
    existing = set(Member.objects.for_org(org).values_list("code", flat=True))
    # Dates relative to today, so that the demo year always has its joiners and leavers.
    earliest = org.today() - datetime.timedelta(days=1000)
    new = []
    n = 0
    for team in teams:
        size = rng.randint(TEAM_SIZE_MIN, TEAM_SIZE_MAX)
        for _i in range(size):
            n += 1
            code = f"E{n:05d}"
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            # Most started before the demo year; a few joined during it, a few left.
            active_from = earliest + datetime.timedelta(days=rng.randint(0, 900))
            active_to = None
            if rng.random() < 0.06:
                active_to = active_from + datetime.timedelta(days=rng.randint(60, 400))
            if code not in existing:
                new.append(
                    Member(
                        organization=org, code=code, name=name, team=team, active_from=active_from, active_to=active_to
                    )
                )
    Member.objects.bulk_create(new)


@functools.cache
def _hashed(password: str) -> str:
    """One hash per demo password, shared by the accounts that use it: a hash costs about a
    second on a busy machine, and the demo passwords are public anyway."""
    return make_password(password)


def _seed_users(org, teams) -> list[tuple[str, str, str]]:
    User = get_user_model()
    credentials = []
    for email, first, last, role, password, unit_codes in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first, "last_name": last}
        )
        if created:
            user.password = _hashed(password)
            user.save(update_fields=["password"])
        membership, _created = Membership.objects.get_or_create(organization=org, user=user, defaults={"role": role})
        if unit_codes:
            membership.units.set(OrgUnit.objects.for_org(org).filter(code__in=unit_codes))
        credentials.append((email, Role(role).label, password))
    # One manager per business unit, so that every team has someone observing it.
    for bu in OrgUnit.objects.for_org(org).filter(kind=UnitKind.BUSINESS_UNIT):
        email = f"manager.{bu.code.removeprefix('BU-').lower()}@demo.cxtracker.test"
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": "Manager", "last_name": bu.name}
        )
        if created:
            user.password = _hashed("demo-manager-2026")
            user.save(update_fields=["password"])
        membership, _created = Membership.objects.get_or_create(
            organization=org, user=user, defaults={"role": Role.MANAGER}
        )
        membership.units.set([bu])
    return credentials
