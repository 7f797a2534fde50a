"""Writes of the tenancy core: organizations, units, members, memberships, imports."""

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from . import imports
from .models import (
    KIND_RANK,
    ApiKey,
    ApiKeyScope,
    Member,
    Membership,
    Organization,
    OrgUnit,
    Role,
    UnitKind,
    UnitPlacement,
    member_start_error,
    month_start,
    placement_error,
)
from .signals import figures_change, figures_change_all, organization_created


class UnitNotEmpty(Exception):
    """The unit still has things attached (sub-units, members, data): deleting it would lose them."""

    def __init__(self, unit, attached: list[tuple[str, int]]):
        super().__init__(unit)
        self.unit = unit
        self.attached = attached


class LastAdmin(Exception):
    """The change would leave the organization without an administrator."""


class ImportInvalid(Exception):
    """The rows no longer pass the checks (the data changed since the preview)."""

    def __init__(self, check: imports.ImportCheck):
        super().__init__(check.kind)
        self.check = check


# --- organizations ---------------------------------------------------------------------------


def organization_create(
    *, slug: str, name: str, timezone: str = "Europe/Paris", language: str = "fr", admin_email: str | None = None
) -> Organization:
    """A new organization with its default metrics and, when an e-mail is given, its first admin.

    Raises ValidationError on a bad or taken slug, an unknown timezone or language, a bad e-mail.
    """
    errors = {}
    try:
        validate_slug(slug)
    except ValidationError as error:
        errors["slug"] = error.messages
    if len(slug) > Organization._meta.get_field("slug").max_length:
        errors["slug"] = [_("The slug is too long.")]
    elif "slug" not in errors and Organization.objects.filter(slug=slug).exists():
        errors["slug"] = [_("An organization with the slug “%(slug)s” already exists.") % {"slug": slug}]
    if not name.strip():
        errors["name"] = [_("The name is empty.")]
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = [_("Unknown timezone “%(tz)s”.") % {"tz": timezone}]
    if language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Unknown language “%(lang)s”.") % {"lang": language}]
    if admin_email:
        try:
            validate_email(admin_email)
        except ValidationError as error:
            errors["admin_email"] = error.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        org = Organization.objects.create(slug=slug, name=name.strip(), timezone=timezone, language=language)
        organization_created.send(sender=Organization, org=org)
        if admin_email:
            user, _created = user_get_or_create(email=admin_email)
            Membership.objects.create(organization=org, user=user, role=Role.ADMIN)
    return org


# Settings every figure depends on: the deployment rate's weight and expected cadence, the
# low-sample threshold, and the timezone that decides which month a moment falls in.
FIGURE_SETTINGS = ("rate_weight", "expected_animations_per_month", "min_sample_size", "timezone")


def organization_update(*, org: Organization, **fields) -> Organization:
    """Change the given fields; a change of a setting of FIGURE_SETTINGS marks every month of
    the organization for recomputation."""
    with transaction.atomic():
        # Compare with the stored row: a bound ModelForm has already copied its values onto ``org``.
        watched = [name for name in fields if name in FIGURE_SETTINGS]
        stored = Organization.objects.select_for_update().filter(pk=org.pk).values(*watched).get() if watched else {}
        for name, value in fields.items():
            setattr(org, name, value)
        org.save(update_fields=list(fields))
        if any(stored[name] != getattr(org, name) for name in watched):
            figures_change_all(org=org)
    return org


# --- units -----------------------------------------------------------------------------------


def _check_placement(org: Organization, unit: OrgUnit | None, parent: OrgUnit | None, since) -> None:
    error = placement_error(org, unit, parent, since)
    if error:
        raise ValidationError({"effective_month": [error]})


def unit_create(
    *,
    org: Organization,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    effective_month: datetime.date | None = None,
) -> OrgUnit:
    """A new unit under ``parent``, there since the beginning, or from ``effective_month`` (the
    first day of a month) when given: the as-was tree of earlier months does not hold it."""
    if effective_month is not None:
        _check_placement(org, None, parent, effective_month)
    with transaction.atomic():
        unit = OrgUnit(organization=org, code=code, name=name, kind=kind, parent=parent)
        unit.save(force_insert=True, since=effective_month)
        return unit


def unit_update(*, unit: OrgUnit, effective_month: datetime.date | None = None, **fields) -> OrgUnit:
    """Rename, recode, change kind or move; OrgUnit.save() re-paths the subtree on a move and
    records the move from ``effective_month`` (the first day of a month; None: the current month):
    the tree of each month is kept for the as-was roll-ups. A month after the current one, or
    before the unit or its new parent existed, is refused (``effective_month``).

    A move needs no recomputation: snapshots are per team and month, and a business unit or a
    region sums its subtree's snapshots when it is read (in today's tree, or as-was in each
    month's), so the team's history moves with it. A unit that starts or stops being a team does
    change which snapshots exist: every month is marked then (rare, and only possible once its
    members are gone).
    """
    with transaction.atomic():
        old_kind, old_parent = OrgUnit.objects.filter(pk=unit.pk).values_list("kind", "parent_id").get()
        for name, value in fields.items():
            setattr(unit, name, value)
        if effective_month is not None or unit.parent_id != old_parent:
            since = effective_month or month_start(unit.organization.today())
            _check_placement(unit.organization, unit, unit.parent, since)
        unit.save(since=effective_month)
        if UnitKind.TEAM in {old_kind, unit.kind} and old_kind != unit.kind:
            figures_change_all(org=unit.organization)
    return unit


def unit_attachments(*, unit: OrgUnit) -> list[tuple[str, int]]:
    """What hangs on the unit, as (what, how many): every reverse relation, so that data of any
    app (survey responses, metric values, animations…) is never deleted with a unit by cascade.
    Its placements are its own history: they go with it."""
    attached = []
    for relation in OrgUnit._meta.related_objects:
        accessor = relation.get_accessor_name()
        if not accessor or relation.related_model is UnitPlacement:
            continue
        count = getattr(unit, accessor).count()
        if count:
            attached.append((str(relation.related_model._meta.verbose_name_plural), count))
    return attached


def unit_delete(*, unit: OrgUnit) -> None:
    with transaction.atomic():
        attached = unit_attachments(unit=unit)
        if attached:
            raise UnitNotEmpty(unit, attached)
        unit.delete()


# --- members ---------------------------------------------------------------------------------


# What of a member the snapshots depend on: their team and their activity range.
_MEMBER_FIGURE_FIELDS = ("team_id", "active_from", "active_to")


def _member_figures(member: Member) -> tuple:
    return tuple(getattr(member, name) for name in _MEMBER_FIGURE_FIELDS)


def _member_change(before: tuple | None, after: tuple | None) -> tuple[datetime.date | None, set[int]]:
    """The first day whose snapshots a member's change affects, and the teams affected.

    ``before`` / ``after``: (team_id, active_from, active_to), None for a member created or
    deleted. A team change affects both teams over the whole activity; a date change the
    months from the earlier of the old and new dates on (the caller cascades to the current
    month: whether a member counts carries forward, like their ratings). (None, set()) when
    nothing the snapshots read changed.
    """
    if before == after:
        return None, set()
    if before is None or after is None:
        team_id, active_from, _active_to = before or after
        return active_from, {team_id}
    (old_team, old_from, old_to), (new_team, new_from, new_to) = before, after
    if old_team != new_team:
        return min(old_from, new_from), {old_team, new_team}
    days = []
    if old_from != new_from:
        days.append(min(old_from, new_from))
    if old_to != new_to:
        days.append(min(day for day in (old_to, new_to) if day is not None))
    return min(days), {new_team}


def _members_changed(org: Organization, changes: list[tuple[tuple | None, tuple | None]]) -> None:
    """One mark for a batch of member changes: from the earliest day affected, for every team
    affected, cascading to the current month."""
    days, teams = [], set()
    for before, after in changes:
        day, changed_teams = _member_change(before, after)
        if day is not None:
            days.append(day)
            teams |= changed_teams
    if days:
        figures_change(org=org, days=[min(days)], teams=teams, cascade=True)


def _check_team(org: Organization, team: OrgUnit) -> None:
    if team.organization_id != org.pk or team.kind != UnitKind.TEAM:
        raise ValidationError({"team": _("Choose a team of the organization.")})


def _check_start(org: Organization, active_from: datetime.date) -> None:
    if error := member_start_error(org, active_from):
        raise ValidationError({"active_from": [error]})


def member_create(
    *,
    org: Organization,
    code: str,
    name: str,
    team: OrgUnit,
    active_from: datetime.date,
    active_to: datetime.date | None = None,
) -> Member:
    _check_team(org, team)
    _check_start(org, active_from)
    with transaction.atomic():
        member = Member.objects.create(
            organization=org, code=code, name=name, team=team, active_from=active_from, active_to=active_to
        )
        _members_changed(org, [(None, _member_figures(member))])
    return member


def member_update(*, member: Member, **fields) -> Member:
    """Change the given fields; a change of team or of dates marks the months it affects."""
    if "team" in fields:
        _check_team(member.organization, fields["team"])
    with transaction.atomic():
        # Compare with the stored row: a bound ModelForm has already copied its values onto ``member``.
        before = Member.objects.select_for_update().filter(pk=member.pk).values_list(*_MEMBER_FIGURE_FIELDS).get()
        # A start date already stored stays valid; a new one is checked.
        if "active_from" in fields and fields["active_from"] != before[1]:
            _check_start(member.organization, fields["active_from"])
        for name, value in fields.items():
            setattr(member, name, value)
        member.save(update_fields=list(fields))
        _members_changed(member.organization, [(before, _member_figures(member))])
    return member


def member_deactivate(*, member: Member, active_to: datetime.date) -> Member:
    return member_update(member=member, active_to=active_to)


def member_reactivate(*, member: Member) -> Member:
    return member_update(member=member, active_to=None)


def member_delete(*, member: Member) -> None:
    """Delete the member with their observations and ratings (the database cascades); their
    team's months are marked from the first day they counted in."""
    org = member.organization
    with transaction.atomic():
        team_id, active_from = (
            Member.objects.select_for_update().filter(pk=member.pk).values_list("team_id", "active_from").get()
        )
        # Dates may have been edited after observations were made: the ratings counted from the first.
        first_observed = member.observations.aggregate(first=Min("observed_at"))["first"]
        member.delete()
        days = [active_from] if first_observed is None else [active_from, first_observed]
        figures_change(org=org, days=days, teams=[team_id], cascade=True)


# --- API keys ------------------------------------------------------------------------------


def api_key_create(*, org: Organization, name: str, scopes, created_by=None) -> tuple[ApiKey, str]:
    """Create a key and return it with the full key, which is not stored and cannot be shown again."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiKeyScope.values):
        raise ValidationError(
            {"scopes": _("Choose at least one scope among: %(scopes)s.") % {"scopes": ", ".join(ApiKeyScope.values)}}
        )
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    prefix, raw_key = ApiKey.generate()
    key = ApiKey(
        organization=org,
        name=name,
        prefix=prefix,
        hashed_key=ApiKey.hash(raw_key),
        scopes=scopes,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        raise ValidationError({"name": _("An API key with this name already exists.")}) from None
    return key, raw_key


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke for good: the key stops authenticating at once. Revoking twice changes nothing."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


# --- users and memberships -------------------------------------------------------------------


class _InvitationForm(PasswordResetForm):
    """PasswordResetForm sends nothing to a user without a usable password, which is exactly the
    state of a user we just created: send to that user, whatever their password."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def get_users(self, email):
        return [self._user] if self._user.is_active else []


def user_get_or_create(*, email: str):
    """The user with this e-mail (case-insensitive), else a new one without a usable password."""
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User.objects.filter(username__iexact=email).order_by("pk").first()
    if user is not None:
        return user, False
    user = User(username=email, email=email)
    user.set_unusable_password()
    user.save()
    return user, True


def user_invite(*, user, org: Organization, request) -> None:
    """Send the user a link to choose their password (a password-reset e-mail)."""
    form = _InvitationForm(data={"email": user.email}, user=user)
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="tenancy/setup/invitation_subject.txt",
            email_template_name="tenancy/setup/invitation_email.txt",
            extra_email_context={"org": org},
        )


def membership_create(*, org: Organization, email: str, role: str, units=(), request=None) -> Membership:
    """Give a user (created if needed) a role in the organization; a new user, or one who never
    chose a password, gets an e-mail to choose it."""
    with transaction.atomic():
        user, _created = user_get_or_create(email=email)
        membership = Membership.objects.create(organization=org, user=user, role=role)
        if role == Role.MANAGER:
            membership.units.set(units)
    if request is not None and not user.has_usable_password():
        user_invite(user=user, org=org, request=request)
    return membership


def _ensure_another_admin(membership: Membership) -> None:
    """Lock the organization's admin rows, then refuse if ``membership`` is the only one."""
    admins = list(
        Membership.objects.filter(organization_id=membership.organization_id, role=Role.ADMIN)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if admins == [membership.pk]:
        raise LastAdmin


def membership_update(*, membership: Membership, role: str, units=()) -> Membership:
    with transaction.atomic():
        if role != Role.ADMIN:
            _ensure_another_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        membership.units.set(units if role == Role.MANAGER else [])
    return membership


def membership_delete(*, membership: Membership) -> None:
    with transaction.atomic():
        _ensure_another_admin(membership)
        membership.delete()


# --- imports ---------------------------------------------------------------------------------


def import_apply(*, org: Organization, kind: str, payload: list) -> tuple[int, int]:
    """Check the rows again and write them all, or nothing: returns (created, updated).

    Raises ImportInvalid when a row no longer passes the checks.
    """
    with transaction.atomic():
        # Serialize imports of one organization: two at once could both create the same code.
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        check = imports.check_payload(org, kind, payload)
        if not check.is_valid:
            raise ImportInvalid(check)
        if kind == "units":
            return _units_write(org, check.rows)
        return _members_write(org, check.rows)


def _units_write(org, rows) -> tuple[int, int]:
    """Moves need no recomputation (see ``unit_update``); a unit that starts or stops being a
    team marks every month, once for the whole file."""
    existing = {u.code: u for u in OrgUnit.objects.for_org(org)}
    created = updated = 0
    kind_of_team_changed = False
    # Parents always rank above their children, so writing by rank writes each parent first and
    # OrgUnit.save() computes every path from an up-to-date parent.
    for row in sorted(rows, key=lambda r: KIND_RANK[r.values["kind"]]):
        values = row.values
        parent = existing[values["parent"]] if values["parent"] else None
        unit = existing.get(values["code"])
        if unit is None:
            unit = OrgUnit(organization=org, code=values["code"])
            created += 1
        else:
            updated += 1
            if (unit.name, unit.kind, unit.parent_id) == (values["name"], values["kind"], parent and parent.pk):
                continue
            # A move of an ancestor earlier in this loop re-pathed this unit in the database only;
            # save() needs the current path to re-path the unit's own subtree.
            unit.path, unit.depth = OrgUnit.objects.filter(pk=unit.pk).values_list("path", "depth").get()
            if unit.kind != values["kind"] and UnitKind.TEAM in {unit.kind, values["kind"]}:
                kind_of_team_changed = True
        unit.name, unit.kind, unit.parent = values["name"], values["kind"], parent
        unit.save()
        existing[unit.code] = unit
    if kind_of_team_changed:
        figures_change_all(org=org)
    return created, updated


def _members_write(org, rows) -> tuple[int, int]:
    teams = {u.code: u for u in OrgUnit.objects.for_org(org).filter(code__in={r.values["team"] for r in rows})}
    existing = {m.code: m for m in Member.objects.for_org(org).filter(code__in={r.values["code"] for r in rows})}
    to_create, to_update, changes = [], [], []
    for row in rows:
        values = row.values
        fields = {
            "name": values["name"],
            "team": teams[values["team"]],
            "active_from": datetime.date.fromisoformat(values["active_from"]),
            "active_to": datetime.date.fromisoformat(values["active_to"]) if values["active_to"] else None,
        }
        member = existing.get(values["code"])
        if member is None:
            member = Member(organization=org, code=values["code"], **fields)
            to_create.append(member)
            changes.append((None, _member_figures(member)))
        else:
            before = _member_figures(member)
            for name, value in fields.items():
                setattr(member, name, value)
            to_update.append(member)
            changes.append((before, _member_figures(member)))
    Member.objects.bulk_create(to_create, batch_size=1000)
    Member.objects.bulk_update(to_update, ["name", "team", "active_from", "active_to"], batch_size=1000)
    _members_changed(org, changes)
    return len(to_create), len(to_update)
