"""Writes of the field data: observations with their ratings, team animations.

Each service validates everything first and raises ``django.core.exceptions.ValidationError``
with a dict of field keys (``member``, ``observed_at``, ``kind``, ``ratings``, ``team``,
``held_at``, ``attendees``, ``dimensions``) and nothing is written; then it writes in one
transaction. The browser forms and the REST API both call these.

Idempotency by ``external_id`` (SPEC §8): ``observation_create_or_get`` /
``animation_create_or_get`` return ``(row, created)``; a second write with the same external_id
returns the stored row with ``created=False`` and changes nothing, including when two requests
race (the insert runs in a savepoint and the database's unique constraint decides).
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
from experience.models import Behavior, Dimension, ExperienceModel, Level
from experience.selectors import active_model
from kpis.recompute import periods_mark_dirty

from .models import Animation, AnimationKind, Observation, ObservationKind, Rating

_UNSET = object()
_TEXT_FIELDS = {"strengths", "development_points", "next_step"}


def _local_day(org: Organization, moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, org.tzinfo).date()


def _check_moment(org: Organization, moment, field: str, errors: dict) -> datetime.date | None:
    """An aware datetime, not in the future; returns its day in the organization's timezone."""
    if not isinstance(moment, datetime.datetime) or timezone.is_naive(moment):
        errors[field] = _("Give a date and time with its timezone.")
        return None
    if moment > timezone.now():
        errors[field] = _("This date is in the future.")
        return None
    return _local_day(org, moment)


def _periods_changed(org: Organization, *moments: datetime.datetime) -> None:
    """Mark the organization's rate snapshots of these days for recomputation (SPEC §6)."""
    days = sorted({_local_day(org, m) for m in moments if m is not None})
    if days:
        periods_mark_dirty(org=org, days=days)


# ---------------------------------------------------------------------------------------------
# Observations


def _resolve_ratings(org: Organization, model: ExperienceModel, ratings, errors: dict) -> list[tuple[Behavior, int]]:
    """``ratings``: (behavior, level) pairs or a {behavior: level} dict; a behavior is a Behavior
    or its code in the active model. Returns the pairs, or fills ``errors["ratings"]``."""
    pairs = list(ratings.items()) if isinstance(ratings, dict) else list(ratings or ())
    if not pairs:
        errors["ratings"] = _("Rate at least one behavior.")
        return []
    codes = [b for b, _level in pairs if isinstance(b, str)]
    by_code = {b.code: b for b in Behavior.objects.for_org(org).filter(model=model, code__in=codes)} if codes else {}
    messages, resolved, seen = [], [], set()
    for behavior, level in pairs:
        if isinstance(behavior, str):
            found = by_code.get(behavior)
            if found is None:
                messages.append(_("Unknown behavior: %(code)s.") % {"code": behavior})
                continue
            behavior = found
        if behavior.organization_id != org.pk or behavior.model_id != model.pk:
            messages.append(
                _("%(behavior)s is not a behavior of the active experience model.") % {"behavior": behavior.code}
            )
            continue
        if behavior.pk in seen:
            messages.append(_("%(behavior)s is rated twice.") % {"behavior": behavior.code})
            continue
        seen.add(behavior.pk)
        if isinstance(level, bool) or not isinstance(level, int) or level not in Level.values:
            messages.append(_("The level of %(behavior)s must be between 1 and 4.") % {"behavior": behavior.code})
            continue
        resolved.append((behavior, level))
    if messages:
        errors["ratings"] = messages
    return resolved


def _check_observation_fields(*, org, member, observed_at, kind, errors: dict) -> None:
    if not isinstance(member, Member) or member.organization_id != org.pk:
        errors["member"] = _("Choose a member of the organization.")
    if kind not in ObservationKind.values:
        errors["kind"] = _("Choose observation or coaching.")
    day = _check_moment(org, observed_at, "observed_at", errors)
    if day is not None and "member" not in errors and not member.is_active_on(day):
        errors["observed_at"] = _("%(member)s was not active on %(day)s.") % {
            "member": member.name,
            "day": day.isoformat(),
        }


def _validate_observation(*, org, member, observed_at, kind, ratings) -> tuple[ExperienceModel, list]:
    errors: dict = {}
    _check_observation_fields(org=org, member=member, observed_at=observed_at, kind=kind, errors=errors)
    model = active_model(org=org)
    if model is None:
        errors["ratings"] = _("The organization has no active experience model yet.")
        raise ValidationError(errors)
    pairs = _resolve_ratings(org, model, ratings, errors)
    if errors:
        raise ValidationError(errors)
    return model, pairs


def _write_ratings(observation: Observation, pairs: Iterable[tuple[Behavior, int]]) -> None:
    Rating.objects.bulk_create(
        Rating(
            organization_id=observation.organization_id,
            observation=observation,
            behavior=behavior,
            level=level,
            member_id=observation.member_id,
            observed_at=observation.observed_at,
        )
        for behavior, level in pairs
    )


def observation_create_or_get(
    *,
    org: Organization,
    member: Member,
    observer,
    observed_at: datetime.datetime,
    kind: str,
    ratings,
    strengths: str = "",
    development_points: str = "",
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    external_id: str | None = None,
) -> tuple[Observation, bool]:
    """Record an observation with its ratings; ``(observation, created)``. With an external_id
    the organization already has, the stored observation comes back unchanged (created False)."""
    if external_id:
        existing = Observation.objects.for_org(org).filter(external_id=external_id).first()
        if existing is not None:
            return existing, False
    model, pairs = _validate_observation(org=org, member=member, observed_at=observed_at, kind=kind, ratings=ratings)
    try:
        with transaction.atomic():
            observation = Observation.objects.create(
                organization=org,
                member=member,
                observer=observer,
                observed_at=observed_at,
                kind=kind,
                model=model,
                strengths=strengths or "",
                development_points=development_points or "",
                next_step=next_step or "",
                next_step_on=next_step_on,
                external_id=external_id or None,
            )
            _write_ratings(observation, pairs)
            _periods_changed(org, observed_at)
    except IntegrityError:
        if not external_id:
            raise
        # Another request stored the same external_id between our check and our insert.
        return Observation.objects.for_org(org).get(external_id=external_id), False
    return observation, True


def observation_create(**kwargs) -> Observation:
    """Same arguments as ``observation_create_or_get``; returns the observation only."""
    return observation_create_or_get(**kwargs)[0]


def observation_update(
    *,
    observation: Observation,
    member=_UNSET,
    observed_at=_UNSET,
    kind=_UNSET,
    ratings=_UNSET,
    strengths=_UNSET,
    development_points=_UNSET,
    next_step=_UNSET,
    next_step_on=_UNSET,
    next_step_done=_UNSET,
) -> Observation:
    """Change the given fields. New ``ratings`` replace the old ones and move the observation to
    the active experience model; the same rules as at creation apply."""
    org = observation.organization
    old_observed_at = observation.observed_at
    new_member = observation.member if member is _UNSET else member
    new_observed_at = observation.observed_at if observed_at is _UNSET else observed_at
    new_kind = observation.kind if kind is _UNSET else kind
    if ratings is _UNSET:
        # Untouched ratings may belong to an older model version: validate the rest only.
        errors: dict = {}
        _check_observation_fields(org=org, member=new_member, observed_at=new_observed_at, kind=new_kind, errors=errors)
        if errors:
            raise ValidationError(errors)
        model, pairs = observation.model, None
    else:
        model, pairs = _validate_observation(
            org=org, member=new_member, observed_at=new_observed_at, kind=new_kind, ratings=ratings
        )
    fields = {
        "member": new_member,
        "observed_at": new_observed_at,
        "kind": new_kind,
        "model": model,
        "strengths": strengths,
        "development_points": development_points,
        "next_step": next_step,
        "next_step_on": next_step_on,
        "next_step_done": next_step_done,
    }
    with transaction.atomic():
        for name, value in fields.items():
            if value is not _UNSET:
                setattr(observation, name, "" if value is None and name in _TEXT_FIELDS else value)
        observation.save()
        if pairs is not None:
            observation.ratings.all().delete()
            _write_ratings(observation, pairs)
        else:
            observation.ratings.update(member=observation.member, observed_at=observation.observed_at)
        _periods_changed(org, old_observed_at, observation.observed_at)
    return observation


def observation_next_step_mark_done(*, observation: Observation) -> Observation:
    observation.next_step_done = True
    observation.save(update_fields=["next_step_done", "updated_at"])
    return observation


def observation_delete(*, observation: Observation) -> None:
    org, observed_at = observation.organization, observation.observed_at
    with transaction.atomic():
        observation.delete()
        _periods_changed(org, observed_at)


# ---------------------------------------------------------------------------------------------
# Animations


def _validate_animation(*, org, team, held_at, kind, dimensions, attendees) -> tuple[list, list]:
    errors: dict = {}
    if not isinstance(team, OrgUnit) or team.organization_id != org.pk or team.kind != UnitKind.TEAM:
        errors["team"] = _("Choose a team of the organization.")
    if kind not in AnimationKind.values:
        errors["kind"] = _("Choose briefing, challenge, training or ritual.")
    day = _check_moment(org, held_at, "held_at", errors)

    attendee_list = list(attendees or ())
    codes = [a for a in attendee_list if isinstance(a, str)]
    by_code = {m.code: m for m in Member.objects.for_org(org).filter(code__in=codes)} if codes else {}
    members, messages = [], []
    for a in attendee_list:
        member = by_code.get(a) if isinstance(a, str) else a
        if member is None or member.organization_id != org.pk:
            messages.append(_("Unknown member: %(code)s.") % {"code": a})
        elif "team" not in errors and member.team_id != team.pk:
            messages.append(_("%(member)s is not a member of this team.") % {"member": member.name})
        elif day is not None and not member.is_active_on(day):
            messages.append(_("%(member)s was not active on %(day)s.") % {"member": member.name, "day": day})
        elif member not in members:
            members.append(member)
    if messages:
        errors["attendees"] = messages

    dimension_list = list(dimensions or ())
    dims = []
    if dimension_list:
        model = active_model(org=org)
        codes = [d for d in dimension_list if isinstance(d, str)]
        by_code = (
            {d.code: d for d in Dimension.objects.for_org(org).filter(model=model, code__in=codes)} if codes else {}
        )
        messages = []
        for d in dimension_list:
            dimension = by_code.get(d) if isinstance(d, str) else d
            if dimension is None or model is None or dimension.model_id != model.pk:
                label = d if isinstance(d, str) else d.code
                messages.append(
                    _("%(dimension)s is not a dimension of the active experience model.") % {"dimension": label}
                )
            elif dimension not in dims:
                dims.append(dimension)
        if messages:
            errors["dimensions"] = messages
    if errors:
        raise ValidationError(errors)
    return dims, members


def animation_create_or_get(
    *,
    org: Organization,
    team: OrgUnit,
    held_by,
    held_at: datetime.datetime,
    kind: str,
    topic: str = "",
    dimensions=(),
    attendees=(),
    external_id: str | None = None,
) -> tuple[Animation, bool]:
    """Record a team animation; ``(animation, created)``, idempotent by external_id.
    ``dimensions`` and ``attendees`` take objects or codes."""
    if external_id:
        existing = Animation.objects.for_org(org).filter(external_id=external_id).first()
        if existing is not None:
            return existing, False
    dims, members = _validate_animation(
        org=org, team=team, held_at=held_at, kind=kind, dimensions=dimensions, attendees=attendees
    )
    try:
        with transaction.atomic():
            animation = Animation.objects.create(
                organization=org,
                team=team,
                held_by=held_by,
                held_at=held_at,
                kind=kind,
                topic=topic or "",
                external_id=external_id or None,
            )
            animation.dimensions.set(dims)
            animation.attendees.set(members)
            _periods_changed(org, held_at)
    except IntegrityError:
        if not external_id:
            raise
        return Animation.objects.for_org(org).get(external_id=external_id), False
    return animation, True


def animation_create(**kwargs) -> Animation:
    """Same arguments as ``animation_create_or_get``; returns the animation only."""
    return animation_create_or_get(**kwargs)[0]


def animation_update(
    *, animation: Animation, held_at=_UNSET, kind=_UNSET, topic=_UNSET, dimensions=_UNSET, attendees=_UNSET
) -> Animation:
    org = animation.organization
    old_held_at = animation.held_at
    new_held_at = animation.held_at if held_at is _UNSET else held_at
    new_kind = animation.kind if kind is _UNSET else kind
    dims, members = _validate_animation(
        org=org,
        team=animation.team,
        held_at=new_held_at,
        kind=new_kind,
        dimensions=[] if dimensions is _UNSET else dimensions,
        attendees=list(animation.attendees.all()) if attendees is _UNSET else attendees,
    )
    with transaction.atomic():
        animation.held_at, animation.kind = new_held_at, new_kind
        if topic is not _UNSET:
            animation.topic = topic or ""
        animation.save()
        if dimensions is not _UNSET:
            animation.dimensions.set(dims)
        animation.attendees.set(members)
        _periods_changed(org, old_held_at, new_held_at)
    return animation


def animation_delete(*, animation: Animation) -> None:
    org, held_at = animation.organization, animation.held_at
    with transaction.atomic():
        animation.delete()
        _periods_changed(org, held_at)
