"""What the customers say and what the business earns: survey responses, metrics, their values."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import TenantModel, code_validator, unique_per_org, user_reference


class SurveyTrigger(models.TextChoices):
    EVENT = "event", _("Hot (after an event)")
    PERIODIC = "periodic", _("Cold (periodic)")


class SurveyResponse(TenantModel):
    external_id = models.CharField(_("external id"), max_length=128)
    unit = models.ForeignKey(
        "tenancy.OrgUnit", on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("team")
    )
    responded_at = models.DateTimeField(_("responded at"))
    nps = models.PositiveSmallIntegerField(
        _("NPS score"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    ces = models.PositiveSmallIntegerField(
        _("CES score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    csat = models.PositiveSmallIntegerField(
        _("CSAT score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    channel = models.CharField(_("channel"), max_length=64, blank=True)
    journey = models.CharField(_("journey"), max_length=64, blank=True)
    trigger = models.CharField(_("trigger"), max_length=16, choices=SurveyTrigger.choices, blank=True)
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    aspects = models.JSONField(_("aspect scores"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    # The respondent's id in the survey tool, as an HMAC keyed by the organization's salt: responses
    # of one respondent can be told apart, the respondent cannot be named (see RespondentSalt).
    # A database default: bulk loaders that name no such column store "".
    respondent_hash = models.CharField(_("respondent (pseudonymized)"), max_length=64, blank=True, db_default="")

    class Meta:
        ordering = ["-responded_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            unique_per_org("external_id", name="surveyresponse_unique_external_id"),
            models.CheckConstraint(
                condition=Q(nps__isnull=False) | Q(ces__isnull=False) | Q(csat__isnull=False),
                name="surveyresponse_at_least_one_score",
            ),
            models.CheckConstraint(condition=Q(nps__isnull=True) | Q(nps__lte=10), name="surveyresponse_nps_0_10"),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7), name="surveyresponse_ces_1_7"
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5), name="surveyresponse_csat_1_5"
            ),
        ]
        indexes = [models.Index(fields=["organization", "unit", "responded_at"])]

    def __str__(self):
        return self.external_id


class RespondentSalt(TenantModel):
    """The organization's secret salt for pseudonymizing respondent ids: one per organization,
    made when first needed, never shown. The same respondent gets the same hash within an
    organization and unrelated ones across organizations."""

    salt = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="respondentsalt_one_per_org")]


class MetricCategory(models.TextChoices):
    BUSINESS = "business", _("Business")
    OPERATIONAL = "operational", _("Operational")


class Metric(TenantModel):
    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=MetricCategory.choices)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=32, blank=True)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        constraints = [unique_per_org("code", name="metric_unique_code_per_org")]

    def __str__(self):
        return self.name


class MetricValue(TenantModel):
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="values", verbose_name=_("metric"))
    unit = models.ForeignKey(
        "tenancy.OrgUnit", on_delete=models.CASCADE, related_name="metric_values", verbose_name=_("unit")
    )
    period_start = models.DateField(_("month"))
    value = models.FloatField(_("value"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-period_start", "metric"]
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        constraints = [unique_per_org("metric", "unit", "period_start", name="metricvalue_unique_per_period")]

    def __str__(self):
        return f"{self.metric} · {self.unit} · {self.period_start:%Y-%m} = {self.value}"


class DirtyPeriod(TenantModel):
    """A month of an organization whose snapshots must be recomputed: of one team, or of every team
    when ``team`` is empty.

    Writes mark it in their own transaction, so the mark survives a broker outage, a lost task or a
    dead worker. ``due_at`` is when the first write since the last recomputation asked for one plus
    the debounce: the sweep (every minute) recomputes the organizations with a mark due, and the
    nightly catch-up whatever is left (SPEC §6). ``marked_at`` moves at every write, so that a
    recomputation that read the mark before the write does not clear it.
    """

    period_start = models.DateField()
    team = models.ForeignKey("tenancy.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(auto_now=True)
    due_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            unique_per_org("period_start", condition=Q(team__isnull=True), name="dirtyperiod_unique"),
            unique_per_org("period_start", "team", condition=Q(team__isnull=False), name="dirtyperiod_unique_team"),
        ]


class ComputedPeriod(TenantModel):
    """When a month of an organization was last recomputed: the bookkeeping of the recomputation
    service (kpis.services.periods_recompute), kept apart from the dirty marks that get deleted."""

    period_start = models.DateField(_("month"))
    recomputed_at = models.DateTimeField(_("last recomputed"))

    class Meta:
        verbose_name = _("computed period")
        verbose_name_plural = _("computed periods")
        constraints = [unique_per_org("period_start", name="computedperiod_unique")]


# ---------------------------------------------------------------------------------------------
# Snapshots (SPEC §4, §6): per team and month, additive sums only, so that a business unit, a
# region or the organization is the SUM over its subtree's teams at read time (a unit move needs
# no recompute) and every ratio is computed in one place, kpis.engine.formulas.


class _TeamMonth(TenantModel):
    """What every snapshot is kept by: a team and a month (its first day)."""

    team = models.ForeignKey("tenancy.OrgUnit", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()

    class Meta:
        abstract = True


class _MasteryPairs(_TeamMonth):
    """The mastery sums of a team's month, overall or of one dimension, at the end of the month."""

    # (member, behavior) pairs of the active members × the month's model behaviors.
    pairs = models.PositiveIntegerField(default=0)
    # Σ (level − 1) over the pairs (unrated = level 1): the mean score is score_points / 3 / pairs.
    score_points = models.PositiveIntegerField(default=0)
    assessed = models.PositiveIntegerField(default=0)
    known = models.PositiveIntegerField(default=0)
    mastered = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["organization", "period_start"])]


class TeamMonthSnapshot(_MasteryPairs):
    """A team's month: deployment counts at the month, mastery pairs at the end of the month."""

    active_members = models.PositiveIntegerField(default=0)
    coached_members = models.PositiveIntegerField(default=0)
    animations = models.PositiveIntegerField(default=0)
    # Σ active × cadence: the cadence weighted by active members, so that it sums over teams.
    cadence_weight = models.FloatField(default=0)

    class Meta(_MasteryPairs.Meta):
        constraints = [unique_per_org("team", "period_start", name="teammonthsnapshot_unique")]


class TeamDimensionSnapshot(_MasteryPairs):
    """The mastery pairs of one dimension of a team's month. Dimensions are named by code, which
    carries across model versions."""

    dimension_code = models.CharField(max_length=64)
    dimension_name = models.CharField(max_length=200)
    dimension_position = models.PositiveIntegerField(default=0)

    class Meta(_MasteryPairs.Meta):
        constraints = [unique_per_org("team", "period_start", "dimension_code", name="teamdimensionsnapshot_unique")]


class TeamKpiSnapshot(_TeamMonth):
    """Survey counts of a team's month: all its responses (``breakdown`` empty), and those of each
    journey, segment, channel and trigger (``breakdown`` names the field, ``value`` its value).
    Sums of squares serve the significance tests. Crossed filters (a journey *and* a trigger) are
    counted from the responses on demand."""

    breakdown = models.CharField(max_length=16, blank=True)
    value = models.CharField(max_length=64, blank=True)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    nps_n = models.PositiveIntegerField(default=0)
    csat_n = models.PositiveIntegerField(default=0)
    csat_top2 = models.PositiveIntegerField(default=0)
    csat_sum = models.PositiveBigIntegerField(default=0)
    csat_sq_sum = models.PositiveBigIntegerField(default=0)
    ces_n = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveBigIntegerField(default=0)
    ces_sq_sum = models.PositiveBigIntegerField(default=0)
    ces_easy = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["organization", "breakdown", "period_start"])]


class UploadKind(models.TextChoices):
    SURVEY_RESPONSES = "survey_responses", _("Survey responses")
    METRIC_VALUES = "metric_values", _("Metric values")


class UploadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def _upload_path(job, filename):
    return f"uploads/{job.organization_id}/{filename}"


class UploadJob(TenantModel):
    """A CSV or XLSX file uploaded in the browser and ingested by a Celery task, with its progress
    and the rows it rejected (``errors``: ``[{"row": n, "errors": {field: [messages]}}]``, ``row``
    being the line of the file, header = 1)."""

    kind = models.CharField(_("kind"), max_length=32, choices=UploadKind.choices)
    file = models.FileField(_("file"), upload_to=_upload_path)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=UploadStatus.choices, default=UploadStatus.PENDING)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # Personal data (e-mail addresses, phone numbers…) replaced by markers in the stored comments.
    masked = models.PositiveIntegerField(_("personal data masked"), default=0)
    errors = models.JSONField(_("rejected rows"), default=list, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    # The uploader's interface language: the report's messages are written in it.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    created_by = user_reference(_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self):
        return f"{self.filename} ({self.get_kind_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (UploadStatus.DONE, UploadStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
