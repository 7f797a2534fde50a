"""What managers do in the field: observations and coachings of their staff, team animations."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import TenantModel, unique_per_org, user_reference
from experience.models import Level

# Limits of an observation's notes, the same in the browser form, the API and the services: a
# note is a few sentences for the coaching conversation (5,000 characters is two pages), and a
# next step is agreed for the coming weeks, not decades (its date at most two years after the
# observation's day).
NOTE_MAX_LENGTH = 5000
NOTE_FIELDS = ("strengths", "development_points", "next_step")
NEXT_STEP_MAX_YEARS = 2


def next_step_latest(day: datetime.date) -> datetime.date:
    """The latest due date of a next step agreed on ``day``."""
    try:
        return day.replace(year=day.year + NEXT_STEP_MAX_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + NEXT_STEP_MAX_YEARS, day=28)


class _FieldRecord(TenantModel):
    """What observations and animations share: the client's id of the row, which makes writes
    idempotent (SPEC §8) and is unique in the organization when given, and when it was recorded."""

    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [
            unique_per_org(
                "external_id", condition=Q(external_id__isnull=False), name="%(class)s_unique_external_id_per_org"
            )
        ]


class ObservationKind(models.TextChoices):
    OBSERVATION = "observation", _("Observation")
    COACHING = "coaching", _("Coaching")


class Observation(_FieldRecord):
    member = models.ForeignKey(
        "tenancy.Member", on_delete=models.CASCADE, related_name="observations", verbose_name=_("member")
    )
    observer = user_reference(_("observer"), related_name="observations")
    observed_at = models.DateTimeField(_("observed at"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=ObservationKind.choices, default=ObservationKind.OBSERVATION
    )
    # The experience model version the observation was made with.
    model = models.ForeignKey("experience.ExperienceModel", on_delete=models.PROTECT, related_name="observations")
    strengths = models.TextField(_("strengths"), blank=True)
    development_points = models.TextField(_("development points"), blank=True)
    next_step = models.TextField(_("agreed next step"), blank=True)
    next_step_on = models.DateField(_("next step due"), null=True, blank=True)
    next_step_done = models.BooleanField(_("next step done"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta(_FieldRecord.Meta):
        ordering = ["-observed_at", "-id"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        indexes = [
            models.Index(fields=["organization", "observed_at"]),
            models.Index(fields=["member", "observed_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.member} · {self.observed_at:%Y-%m-%d}"


class Rating(TenantModel):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="ratings")
    behavior = models.ForeignKey(
        "experience.Behavior", on_delete=models.PROTECT, related_name="ratings", verbose_name=_("behavior")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    # Denormalized from the observation so that "latest level per (member, behavior)" is one
    # indexed query over ratings, without a join, at 6 million ratings a year (SPEC §7).
    member = models.ForeignKey("tenancy.Member", on_delete=models.CASCADE, related_name="ratings")
    observed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            unique_per_org("observation", "behavior", name="rating_unique_behavior_per_observation"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="rating_level_1_to_4"),
        ]
        indexes = [models.Index(fields=["member", "behavior", "observed_at", "id"])]

    def __str__(self):
        return f"{self.behavior} = {self.level}"


class AnimationKind(models.TextChoices):
    BRIEFING = "briefing", _("Briefing")
    CHALLENGE = "challenge", _("Challenge")
    TRAINING = "training", _("Training")
    RITUAL = "ritual", _("Ritual")


class Animation(_FieldRecord):
    team = models.ForeignKey(
        "tenancy.OrgUnit", on_delete=models.CASCADE, related_name="animations", verbose_name=_("team")
    )
    held_by = user_reference(_("held by"), related_name="animations")
    held_at = models.DateTimeField(_("held at"))
    kind = models.CharField(_("kind"), max_length=16, choices=AnimationKind.choices)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    dimensions = models.ManyToManyField(
        "experience.Dimension", blank=True, related_name="animations", verbose_name=_("topic dimensions")
    )
    attendees = models.ManyToManyField(
        "tenancy.Member", blank=True, related_name="animations", verbose_name=_("attendees")
    )

    class Meta(_FieldRecord.Meta):
        ordering = ["-held_at", "-id"]
        verbose_name = _("animation")
        verbose_name_plural = _("animations")
        indexes = [models.Index(fields=["organization", "team", "held_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.team} · {self.held_at:%Y-%m-%d}"
