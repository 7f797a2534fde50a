"""A member's rights over what is recorded about them (GDPR articles 15 and 17): a copy of it,
and its erasure. Both are irreversible or complete by design, see docs/privacy.md."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Member
from deployment.models import NOTE_FIELDS, Observation
from deployment.services import observation_delete


class EraseMode:
    ANONYMIZE = "anonymize"
    DELETE = "delete"
    ALL = (ANONYMIZE, DELETE)


def _user_email(user) -> str | None:
    return user.email if user is not None else None


def member_export(*, member: Member) -> dict:
    """Everything recorded about ``member``: profile, observations with their ratings, notes and
    next steps, the animations attended, and who recorded each thing and when."""
    observations = (
        Observation.objects.filter(member=member)
        .select_related("observer", "model")
        .prefetch_related("ratings__behavior")
        .order_by("observed_at", "pk")
    )
    animations = member.animations.select_related("team", "held_by").order_by("held_at", "pk")
    return {
        "profile": {
            "code": member.code,
            "name": member.name,
            "team": member.team.code,
            "active_from": member.active_from.isoformat(),
            "active_to": member.active_to.isoformat() if member.active_to else None,
        },
        "observations": [
            {
                "external_id": o.external_id,
                "kind": o.kind,
                "observed_at": o.observed_at.isoformat(),
                "observer": _user_email(o.observer),
                "recorded_at": o.created_at.isoformat(),
                "updated_at": o.updated_at.isoformat(),
                "model_version": o.model.version,
                "ratings": [{"behavior": r.behavior.code, "level": r.level} for r in o.ratings.all()],
                "strengths": o.strengths,
                "development_points": o.development_points,
                "next_step": o.next_step,
                "next_step_on": o.next_step_on.isoformat() if o.next_step_on else None,
                "next_step_done": o.next_step_done,
            }
            for o in observations
        ],
        "animations": [
            {
                "external_id": a.external_id,
                "kind": a.kind,
                "team": a.team.code,
                "held_at": a.held_at.isoformat(),
                "held_by": _user_email(a.held_by),
                "recorded_at": a.created_at.isoformat(),
                "topic": a.topic,
            }
            for a in animations
        ],
    }


def member_erasure_preview(*, member: Member) -> dict:
    """What erasing ``member`` would remove: their observations and ratings (the ``delete`` mode)
    and the observations whose notes or next steps the ``anonymize`` mode empties."""
    observations = Observation.objects.filter(member=member)
    with_notes = observations.exclude(**dict.fromkeys(NOTE_FIELDS, ""))
    return {
        "code": member.code,
        "observations": observations.count(),
        "ratings": member.ratings.count(),
        "observations_with_notes": with_notes.count(),
    }


def _pseudonym(org) -> str:
    """A random code free in the organization, also used as the erased member's name."""
    while True:
        code = f"ANON-{secrets.token_hex(5).upper()}"
        if not Member.objects.for_org(org).filter(code=code).exists():
            return code


def member_erase(*, member: Member, mode: str = EraseMode.ANONYMIZE) -> str:
    """Erase ``member``'s identity and returns the pseudonym that replaces it.

    ``anonymize``: name and code become a random pseudonym, every free text about them (notes,
    next steps) and the client ids of their observations (which may carry a name) are deleted;
    the ratings stay, without identity, so past figures do not change. ``delete``: their
    observations and ratings are deleted too, and the months they touched are recomputed."""
    if mode not in EraseMode.ALL:
        raise ValidationError({"mode": _("Choose “anonymize” or “delete”.")})
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        observations = Observation.objects.filter(member=member)
        if mode == EraseMode.DELETE:
            for observation in observations.select_related("member", "organization"):
                observation_delete(observation=observation)
        else:
            observations.update(
                **dict.fromkeys(NOTE_FIELDS, ""), next_step_on=None, next_step_done=False, external_id=None
            )
        pseudonym = _pseudonym(member.organization)
        member.code = member.name = pseudonym
        member.save(update_fields=["code", "name"])
    return pseudonym
