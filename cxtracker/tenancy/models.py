"""The tenancy core: organizations, who belongs to them, their org tree and frontline staff.

Every tenant table carries ``organization`` and its unique constraints include it, so that the
tables can later be distributed by organization (SPEC §7).
"""

import datetime
import hashlib
import secrets
import zoneinfo
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

    def save(self, *args, **kwargs):
        """Save, then keep the materialized ``path`` (and the subtree's, on a move) right.

        Done at save time rather than in a service because the admin, the API, the imports and the
        setup screens all write units: a stale path would silently hide data from a subtree.
        """
        old_path, old_depth = self.path, self.depth
        super().save(*args, **kwargs)
        parent_path = (
            OrgUnit.objects.filter(pk=self.parent_id).values_list("path", flat=True).get() if self.parent_id else "/"
        )
        new_path = f"{parent_path}{self.pk}/"
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
