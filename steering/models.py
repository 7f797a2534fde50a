"""Steering: who receives which KPIs (stakeholders), the action plans of the measure → act → measure
loop, and the sent log of the reports' e-mails. KPI codes (``nps``, ``csat.journey=purchase``,
``revenue`` …) are defined in steering.kpi_codes."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import TenantModel, code_validator, unique_per_org, user_reference


class ReportFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class Stakeholder(TenantModel):
    """A steering audience (After-sales, Marketing, Store network…): its users receive the KPIs
    inside their lever *for action* and the others *for information*, at the frequency agreed with
    them (seed article 004, step 4). ``units`` empty means the whole organization."""

    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="stakeholders", verbose_name=_("users")
    )
    units = models.ManyToManyField(
        "tenancy.OrgUnit",
        blank=True,
        related_name="stakeholders",
        verbose_name=_("units in scope"),
        help_text=_("Empty: the whole organization."),
    )
    kpis_for_action = models.JSONField(_("KPIs for action"), default=list, blank=True)
    kpis_for_information = models.JSONField(_("KPIs for information"), default=list, blank=True)
    frequency = models.CharField(
        _("report frequency"), max_length=16, choices=ReportFrequency.choices, default=ReportFrequency.MONTHLY
    )
    flagship_kpi = models.CharField(_("flagship KPI"), max_length=150, default="nps")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        constraints = [unique_per_org("code", name="stakeholder_unique_code_per_org")]

    def __str__(self):
        return self.name


class ActionPlanStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


ACTION_PLAN_NOTES_MAX = 5000


class ActionPlan(TenantModel):
    """An improvement plan of a unit, aimed at a KPI (a steering.kpi_codes code) or a dimension of the
    experience model (by code, which carries across versions). ``done_on`` is set exactly when the
    plan is done: the before/after comparison (steering.plan_effect) starts from it."""

    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(
        "tenancy.OrgUnit", on_delete=models.CASCADE, related_name="action_plans", verbose_name=_("unit")
    )
    owner = user_reference(_("owner"), related_name="action_plans")
    target_kpi = models.CharField(_("target KPI"), max_length=150, blank=True)
    target_dimension = models.CharField(_("target dimension"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionPlanStatus.choices, default=ActionPlanStatus.PLANNED
    )
    start_on = models.DateField(_("start"))
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("completed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, validators=[MaxLengthValidator(ACTION_PLAN_NOTES_MAX)])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        constraints = [
            unique_per_org("external_id", condition=~Q(external_id=""), name="actionplan_unique_external_id"),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("start_on")), name="actionplan_due_after_start"),
            # done_on exactly when done: a done plan without its date could not be measured.
            models.CheckConstraint(
                condition=Q(status=ActionPlanStatus.DONE, done_on__isnull=False)
                | (~Q(status=ActionPlanStatus.DONE) & Q(done_on__isnull=True)),
                name="actionplan_done_on_iff_done",
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(done_on__gte=models.F("start_on")),
                name="actionplan_done_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "unit"], name="actionplan_org_unit_idx"),
            models.Index(fields=["organization", "status", "due_on"], name="actionplan_org_status_due_idx"),
        ]

    def __str__(self):
        return self.title

    def is_overdue(self, today) -> bool:
        """Past its due date and neither done nor dropped."""
        return self.status in (ActionPlanStatus.PLANNED, ActionPlanStatus.IN_PROGRESS) and self.due_on < today


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportDelivery(TenantModel):
    """One report e-mail: a stakeholder's report of one period to one of its users. The unique
    constraint makes it one row, ever, per (stakeholder, period, user); a sender claims the row
    (pending or failed → sending, one UPDATE) before sending, so that a retried or duplicated task,
    or two workers at once, send nothing more (steering.reports.emails)."""

    stakeholder = models.ForeignKey(
        "steering.Stakeholder", on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("stakeholder")
    )
    period = models.CharField(_("period"), max_length=8)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_deliveries", verbose_name=_("user")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            unique_per_org("stakeholder", "period", "user", name="reportdelivery_once_per_user"),
        ]
        indexes = [models.Index(fields=["organization", "stakeholder", "status"], name="reportdelivery_org_status_idx")]

    def __str__(self):
        return f"{self.stakeholder_id} {self.period} → {self.email}"
