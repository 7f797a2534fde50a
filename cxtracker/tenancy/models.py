"""The tenancy core: organizations, who belongs to them, their org tree and frontline staff.

Every tenant table carries ``organization`` and its unique constraints include it, so that the
tables can later be distributed by organization (SPEC §7).
"""

import datetime
import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    _("Use letters, digits, dots, dashes and underscores only, starting with a letter or digit."),
)


def _timezone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TenantQuerySet(models.QuerySet):
    def for_org(self, org):
        return self.filter(organization=org)


class TenantModel(models.Model):
    """Base of every tenant table: the organization comes first, and queries start from it."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def unique_per_org(*fields: str, name: str, condition: Q | None = None) -> models.UniqueConstraint:
    """A unique constraint of a tenant table: ``organization`` and ``fields`` (see the module's
    docstring: the organization is part of every unique key)."""
    return models.UniqueConstraint(fields=["organization", *fields], condition=condition, name=name)


def user_reference(verbose_name=None, *, related_name=None) -> models.ForeignKey:
    """A user a row remembers (who observed, who uploaded…): the row outlives the user, and then
    names nobody."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class Organization(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/Paris", choices=_timezone_choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    rate_weight = models.DecimalField(
        _("coverage weight in the deployment rate"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("w in deployment rate = w × coverage + (1 − w) × cadence."),
    )
    expected_animations_per_month = models.PositiveSmallIntegerField(
        _("expected animations per team per month"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    min_sample_size = models.PositiveIntegerField(
        _("minimum sample size"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
        help_text=_("Below this number of responses a customer KPI is flagged as a low sample."),
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(1000)],
        help_text=_(
            "Above the managers, coverage and mastery figures of a group with fewer active members are not shown, "
            "so that nobody's levels can be singled out (never below 3)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self) -> datetime.date:
        return timezone.localdate(timezone=self.tzinfo)


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EXECUTIVE = "executive", _("Executive")
    STEERING = "steering", _("Steering committee")
    MANAGER = "manager", _("Field manager")


class Membership(TenantModel):
    """A user's role in one organization. A manager's membership is scoped to org units."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    units = models.ManyToManyField(
        "tenancy.OrgUnit",
        blank=True,
        related_name="managers",
        verbose_name=_("units in scope"),
        help_text=_("For a manager: the units (and their subtrees) they work in."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [unique_per_org("user", name="membership_unique_user_per_org")]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class UnitKind(models.TextChoices):
    REGION = "region", _("Region")
    BUSINESS_UNIT = "business_unit", _("Business unit")
    TEAM = "team", _("Team")


# A unit's parent must be of a higher level: regions are roots, teams are leaves.
KIND_RANK = {UnitKind.REGION: 0, UnitKind.BUSINESS_UNIT: 1, UnitKind.TEAM: 2}


class Tree(models.TextChoices):
    """Which tree a roll-up reads: the current one for every month (as-is), or each month's own
    (as-was: a unit moved in June counts under its old parent until May)."""

    AS_IS = "as-is", _("As it is now")
    AS_WAS = "as-was", _("As it was each month")


def month_start(day: datetime.date) -> datetime.date:
    """The first day of the month holding ``day`` (a placement's month)."""
    return day.replace(day=1)


class OrgUnitQuerySet(TenantQuerySet):
    def subtrees(self, units):
        """The units of the subtrees of ``units`` (each unit and everything under it)."""
        return self.filter(OrgUnit.in_subtrees(units))


class OrgUnit(TenantModel):
    """A node of the org tree. ``path`` is the materialized chain of ids (``/3/17/42/``), kept by
    the services, so that a subtree is one indexed prefix query. The tree questions are answered
    here: ``path_ids``, ``ancestor_ids``, ``in_subtrees``."""

    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        constraints = [unique_per_org("code", name="orgunit_unique_code_per_org")]
        indexes = [models.Index(fields=["organization", "kind"])]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.parent_id:
            if self.parent.organization_id != self.organization_id:
                raise ValidationError({"parent": _("The parent belongs to another organization.")})
            if KIND_RANK[self.parent.kind] >= KIND_RANK[self.kind]:
                raise ValidationError(
                    {
                        "parent": _("A %(kind)s cannot sit under a %(parent_kind)s.")
                        % {
                            "kind": self.get_kind_display().lower(),
                            "parent_kind": self.parent.get_kind_display().lower(),
                        }
                    }
                )
            if self.pk and self.parent.path.startswith(self.path or "\0"):
                raise ValidationError({"parent": _("A unit cannot be moved under itself or its own subtree.")})
        elif self.kind and self.kind != UnitKind.REGION:
            # Without a kind (an empty form) the kind's own "required" error says it all.
            raise ValidationError({"parent": _("Only a region can be at the top of the tree.")})

    def save(self, *args, since: datetime.date | None = None, **kwargs):
        """Save, then keep the materialized ``path`` (and the subtree's, on a move) right, and the
        dated placements of the unit (``UnitPlacement``): a new unit sits under its parent since
        ``since`` (None: since the beginning), a moved one from the first day of the month of
        ``since`` (None: the current month). A ``since`` without a move re-dates the unit's last
        move.

        Done at save time rather than in a service because the admin, the API, the imports and the
        setup screens all write units: a stale path would silently hide data from a subtree.
        """
        old_path, old_depth = self.path, self.depth
        creating = self._state.adding
        super().save(*args, **kwargs)
        parent_path = (
            OrgUnit.objects.filter(pk=self.parent_id).values_list("path", flat=True).get() if self.parent_id else "/"
        )
        new_path = f"{parent_path}{self.pk}/"
        if creating:
            UnitPlacement.objects.create(
                organization_id=self.organization_id,
                unit=self,
                parent_id=self.parent_id,
                since=month_start(since) if since else None,
            )
        elif since is not None or new_path != old_path:
            self.place(since=month_start(since or self.organization.today()))
        if new_path == old_path:
            return
        depth = new_path.count("/") - 2
        OrgUnit.objects.filter(pk=self.pk).update(path=new_path, depth=depth)
        if old_path:
            OrgUnit.objects.filter(organization_id=self.organization_id, path__startswith=old_path).exclude(
                pk=self.pk
            ).update(
                path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1), output_field=models.CharField()),
                depth=models.F("depth") + (depth - old_depth),
            )
        self.path, self.depth = new_path, depth

    def place(self, *, since: datetime.date) -> None:
        """From the month starting ``since`` on, the unit sits under its (current) parent: its
        later placements give way, and an earlier one under the same parent simply runs on."""
        placements = UnitPlacement.objects.filter(organization_id=self.organization_id, unit_id=self.pk)
        placements.filter(since__gte=since).delete()
        in_force = (
            placements.filter(Q(since__lt=since) | Q(since__isnull=True))
            .order_by(models.F("since").desc(nulls_last=True))
            .first()
        )
        if in_force is not None and in_force.parent_id == self.parent_id:
            return
        UnitPlacement.objects.create(
            organization_id=self.organization_id, unit_id=self.pk, parent_id=self.parent_id, since=since
        )

    def existed_since(self) -> datetime.date | None:
        """The first day of the month the unit was created from (None: since the beginning)."""
        return (
            UnitPlacement.objects.filter(organization_id=self.organization_id, unit_id=self.pk)
            .order_by(models.F("since").asc(nulls_first=True))
            .values_list("since", flat=True)
            .first()
        )

    @staticmethod
    def tree(org: "Organization", view: str = Tree.AS_IS) -> "UnitTree":
        """The organization's tree of each month, as ``view`` reads it (``Tree``)."""
        return UnitTree(org, as_was=view == Tree.AS_WAS)

    def subtree(self):
        """This unit and every unit under it."""
        return OrgUnit.objects.filter(organization_id=self.organization_id, path__startswith=self.path)

    @staticmethod
    def path_ids(path: str) -> list[int]:
        """The ids on a materialized path, from the top of the tree down to its unit."""
        return [int(i) for i in path.strip("/").split("/") if i]

    @property
    def ancestor_ids(self) -> list[int]:
        """The ids of the units above this one, from the top of the tree down."""
        return self.path_ids(self.path)[:-1]

    def ancestors(self):
        """The units above this one, from the top of the tree down (a breadcrumb)."""
        ids = self.ancestor_ids
        by_id = OrgUnit.objects.filter(organization_id=self.organization_id).in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    @staticmethod
    def in_subtrees(units, prefix: str = "") -> Q:
        """A Q for the rows in the subtree of any of ``units``: ``prefix`` leads to the unit
        (``"team__"`` for a member, ``"unit__"`` for a survey response, ``""`` for units)."""
        q = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
        for unit in units:
            q |= Q(**{f"{prefix}path__startswith": unit.path})
        return q


class UnitPlacement(TenantModel):
    """Where a unit sat in the tree from a month on: under ``parent`` from ``since`` (the first day
    of a month; None: since the beginning) until its next placement. ``OrgUnit.parent`` is the last
    one; the earlier ones are the trees of past months (``UnitTree``, the as-was roll-ups)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="placements")
    # A parent deleted since leaves its months to the unit's next placement.
    parent = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    since = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("unit placement")
        verbose_name_plural = _("unit placements")
        constraints = [
            unique_per_org("unit", "since", name="unitplacement_unique_month_per_unit"),
            unique_per_org("unit", name="unitplacement_one_beginning_per_unit", condition=Q(since__isnull=True)),
        ]

    def __str__(self):
        return f"{self.unit_id} → {self.parent_id} ({self.since or '…'})"


@dataclass(frozen=True)
class MonthTree:
    """One tree of the organization: unit id → its materialized path in that tree, and the team
    ids; the months read with it share it."""

    paths: dict
    teams: frozenset

    def team_paths(self) -> dict[int, str]:
        return {pk: self.paths[pk] for pk in self.teams if pk in self.paths}

    def teams_under(self, unit_ids) -> set[int]:
        """The teams under any of ``unit_ids`` (the units themselves when they are teams)."""
        wanted = set(unit_ids)
        return {pk for pk, path in self.team_paths().items() if wanted.intersection(OrgUnit.path_ids(path))}

    def parents(self) -> dict:
        """unit id → its parent's id in this tree (None for the roots)."""
        return {
            pk: (ids[-2] if len(ids) > 1 else None)
            for pk, ids in ((k, OrgUnit.path_ids(p)) for k, p in self.paths.items())
        }


class UnitTree:
    """The organization's tree of each month, read once (its units and their placements). As-is:
    today's tree for every month. As-was: for each month, each unit under the parent of its last
    placement from that month or before (its first one for the months before it was created, for
    history recorded later). ``epoch(start)``: months with the same epoch share one tree."""

    def __init__(self, org: "Organization", *, as_was: bool):
        self.as_was = as_was
        units = list(OrgUnit.objects.for_org(org).values_list("pk", "parent_id", "path", "kind"))
        self.current = MonthTree(
            {pk: path for pk, _parent, path, _kind in units},
            frozenset(pk for pk, _parent, _path, kind in units if kind == UnitKind.TEAM),
        )
        self.history: dict = {}  # unit id → [(since, parent id)], oldest first
        self.changes: list = []
        if as_was:
            current_parents = {pk: parent for pk, parent, _path, _kind in units}
            rows = UnitPlacement.objects.for_org(org).order_by(models.F("since").asc(nulls_first=True), "pk")
            for unit_id, since, parent_id in rows.values_list("unit_id", "since", "parent_id"):
                if unit_id in current_parents:
                    self.history.setdefault(unit_id, []).append((since, parent_id))
            self.changes = sorted({s for h in self.history.values() for s, _p in h[1:] if s is not None})
        self._trees: dict = {}

    def epoch(self, start: datetime.date) -> int:
        """The months sharing a tree share an epoch: the number of dated moves up to ``start``."""
        return sum(1 for change in self.changes if change <= start)

    def at(self, start: datetime.date) -> MonthTree:
        """The tree of the month beginning ``start``."""
        if not self.as_was or not self.changes:
            return self.current
        epoch = self.epoch(start)
        if epoch not in self._trees:
            self._trees[epoch] = self._build(start)
        return self._trees[epoch]

    def _build(self, start: datetime.date) -> MonthTree:
        parents = {}
        for pk, current in self.current.parents().items():
            placements = self.history.get(pk)
            if not placements:
                parents[pk] = current
                continue
            parent = placements[0][1]
            for since, parent_id in placements:
                if since is None or since <= start:
                    parent = parent_id
            parents[pk] = parent if parent in self.current.paths else None
        paths: dict = {}

        def path(pk, seen=()):
            if pk not in paths:
                parent = parents.get(pk)
                paths[pk] = f"{path(parent, (*seen, pk)) if parent is not None and parent not in seen else '/'}{pk}/"
            return paths[pk]

        for pk in parents:
            path(pk)
        return MonthTree(paths, self.current.teams)


def placement_error(
    org: "Organization", unit: OrgUnit | None, parent: OrgUnit | None, since: datetime.date
) -> str | None:
    """Why ``unit`` (None: a new one) cannot sit under ``parent`` from the month starting
    ``since``, or None: not after the current month, nor before the unit or its parent existed."""
    if since > month_start(org.today()):
        return str(_("A move takes effect in the current month at the latest."))
    for who in (unit, parent):
        existed = who.existed_since() if who is not None and who.pk else None
        if existed is not None and since < existed:
            return str(
                _("%(unit)s exists from %(month)s: choose that month or a later one.")
                % {"unit": who.code, "month": existed.strftime("%Y-%m")}
            )
    return None


class MemberQuerySet(TenantQuerySet):
    def active_between(self, start: datetime.date, end: datetime.date):
        """Members whose [active_from, active_to] overlaps [start, end] (both inclusive)."""
        return self.filter(Q(active_to__isnull=True) | Q(active_to__gte=start), active_from__lte=end)

    def active_on(self, day: datetime.date):
        return self.active_between(day, day)


# A member starts at most a year after today: a start date further ahead is a typing error
# (2062 for 2026) that would keep the member out of every month's figures for decades.
MEMBER_START_MAX_AHEAD = datetime.timedelta(days=366)


def member_start_error(org: "Organization", day: datetime.date) -> str | None:
    """Why ``day`` cannot be a member's start date in ``org`` (too far ahead), or None."""
    latest = org.today() + MEMBER_START_MAX_AHEAD
    if day <= latest:
        return None
    return str(_("The start date can be at most a year ahead (%(date)s at the latest).") % {"date": latest.isoformat()})


class Member(TenantModel):
    """A frontline employee who is observed and coached (not necessarily a user)."""

    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("team"),
        limit_choices_to={"kind": UnitKind.TEAM},
    )
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active to"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            unique_per_org("code", name="member_unique_code_per_org"),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="member_active_to_after_from",
            ),
        ]
        indexes = [models.Index(fields=["organization", "team"])]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.team_id and self.team.kind != UnitKind.TEAM:
            raise ValidationError(
                {
                    "team": _("A member belongs to a team, not to a %(kind)s.")
                    % {"kind": self.team.get_kind_display().lower()}
                }
            )
        if self.active_to and self.active_from and self.active_to < self.active_from:
            raise ValidationError({"active_to": _("The end date is before the start date.")})

    def is_active_on(self, day: datetime.date) -> bool:
        return self.active_from <= day and (self.active_to is None or self.active_to >= day)


class UserProfile(models.Model):
    """Per-user preferences that are not tenant data: chosen language, last organization used."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    last_organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self):
        return str(self.user)


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")


class ApiKeyQuerySet(TenantQuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(TenantModel):
    """An organization's API key. Only a SHA-256 of the key is stored; the key is shown once.

    The key is ``cxt_<prefix>_<secret>``: the prefix is stored in clear to find the row and to
    show which key is which, the whole key is compared by hash.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = user_reference()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            unique_per_org("name", name="apikey_unique_name_per_org"),
            unique_per_org("prefix", name="apikey_unique_prefix_per_org"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new (prefix, full key) pair."""
        prefix = secrets.token_hex(4)
        return prefix, f"cxt_{prefix}_{secrets.token_urlsafe(32)}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
