"""The experience model an organization wants its frontline staff to master.

A model is versioned: observations keep pointing at the behaviors of the version they were made
with. The rates of a month use the version active at the end of that month
(``ExperienceModelActivation`` keeps the history); a rating counts for the behavior of the same
code in whatever version a month uses.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import TenantModel, TenantQuerySet, code_validator, unique_per_org


class Level(models.IntegerChoices):
    """Mastery levels, the same everywhere (SPEC §3)."""

    UNKNOWN = 1, _("Unknown")
    KNOWN = 2, _("Known")
    APPLIED = 3, _("Applied")
    MASTERED = 4, _("Mastered")

    def score(self) -> float:
        """The level as a score in [0, 1], (level − 1) / 3: what a transformation rate averages
        (SPEC §4), and what a member's page draws of their own levels."""
        return (self - 1) / 3


class ExperienceModelQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(is_active=True)


class ExperienceModel(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ExperienceModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("experience model")
        verbose_name_plural = _("experience models")
        constraints = [
            unique_per_org("version", name="expmodel_unique_version_per_org"),
            # One active version per organization, enforced by the database.
            unique_per_org(condition=Q(is_active=True), name="expmodel_one_active_per_org"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ExperienceModelActivation(TenantModel):
    """One activation of a version: the history that tells which version a past month used.

    A version activated twice (v1, then v2, then v1 again) has two rows; the version of a moment
    is the one of the last activation at or before it (``selectors.models_active_at``).
    """

    model = models.ForeignKey(
        ExperienceModel, on_delete=models.PROTECT, related_name="activations", verbose_name=_("experience model")
    )
    activated_at = models.DateTimeField(_("activated"))

    class Meta:
        ordering = ["activated_at", "id"]
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        indexes = [models.Index(fields=["organization", "activated_at"])]

    def __str__(self):
        return f"{self.model} · {self.activated_at:%Y-%m-%d %H:%M}"


class Dimension(TenantModel):
    model = models.ForeignKey(ExperienceModel, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    journeys = models.ManyToManyField(
        "experience.Journey", blank=True, related_name="dimensions", verbose_name=_("journeys")
    )

    class Meta:
        ordering = ["model", "position", "id"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        constraints = [unique_per_org("model", "code", name="dimension_unique_code_per_model")]

    def __str__(self):
        return self.name


class Behavior(TenantModel):
    """An observable practice inside a dimension; ``code`` is unique within the model."""

    model = models.ForeignKey(ExperienceModel, on_delete=models.CASCADE, related_name="behaviors")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="behaviors")
    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=300)
    position = models.PositiveIntegerField(_("position"), default=0)
    # What each mastery level looks like for this behavior: optional guidance shown to managers.
    guidance_unknown = models.TextField(_("guidance for level 1 (unknown)"), blank=True)
    guidance_known = models.TextField(_("guidance for level 2 (known)"), blank=True)
    guidance_applied = models.TextField(_("guidance for level 3 (applied)"), blank=True)
    guidance_mastered = models.TextField(_("guidance for level 4 (mastered)"), blank=True)

    class Meta:
        ordering = ["model", "dimension__position", "position", "id"]
        verbose_name = _("behavior")
        verbose_name_plural = _("behaviors")
        constraints = [unique_per_org("model", "code", name="behavior_unique_code_per_model")]

    def __str__(self):
        return self.name

    def guidance(self, level: int) -> str:
        return {
            Level.UNKNOWN: self.guidance_unknown,
            Level.KNOWN: self.guidance_known,
            Level.APPLIED: self.guidance_applied,
            Level.MASTERED: self.guidance_mastered,
        }[level]


class Journey(TenantModel):
    """A customer journey (purchase, after-sales contact…), with optional stages."""

    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        constraints = [unique_per_org("code", name="journey_unique_code_per_org")]

    def __str__(self):
        return self.name


class JourneyStage(TenantModel):
    """A stage or moment of truth of a journey."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_moment_of_truth = models.BooleanField(_("moment of truth"), default=False)

    class Meta:
        ordering = ["journey", "position", "id"]
        verbose_name = _("journey stage")
        verbose_name_plural = _("journey stages")

    def __str__(self):
        return self.name
