"""The sent log of the steering reports' e-mails (issue 9)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import TenantModel


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportDelivery(TenantModel):
    """One report e-mail: a stakeholder's report of one period to one of its users. The unique
    constraint makes it one row, ever, per (stakeholder, period, user); a sender claims the row
    (pending or failed → sending, one UPDATE) before sending, so that a retried or duplicated task,
    or two workers at once, send nothing more (dashboards.services)."""

    stakeholder = models.ForeignKey(
        "kpis.Stakeholder", on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("stakeholder")
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
            models.UniqueConstraint(
                fields=["organization", "stakeholder", "period", "user"], name="reportdelivery_once_per_user"
            ),
        ]
        indexes = [models.Index(fields=["organization", "stakeholder", "status"])]

    def __str__(self):
        return f"{self.stakeholder_id} {self.period} → {self.email}"
