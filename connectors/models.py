"""Inbound connectors of survey tools: where a tool posts its responses (or whose CSV exports are
uploaded), how its payload maps onto a survey response, and the last deliveries."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import TenantModel, unique_per_org, user_reference


class ConnectorTool(models.TextChoices):
    TYPEFORM = "typeform", "Typeform"
    FORMBRICKS = "formbricks", "Formbricks"
    GENERIC = "generic", _("Any JSON (generic)")
    QUALTRICS = "qualtrics", _("Qualtrics (CSV export)")
    SURVEYMONKEY = "surveymonkey", _("SurveyMonkey (CSV export)")


# The tools that post to the connector's URL; the others send files.
WEBHOOK_TOOLS = frozenset({ConnectorTool.TYPEFORM, ConnectorTool.FORMBRICKS, ConnectorTool.GENERIC})
EXPORT_TOOLS = frozenset({ConnectorTool.QUALTRICS, ConnectorTool.SURVEYMONKEY})


class ConnectorAuth(models.TextChoices):
    SIGNATURE = "signature", _("Signature")
    API_KEY = "api_key", _("API key")


class Connector(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    tool = models.CharField(_("tool"), max_length=16, choices=ConnectorTool.choices)
    # {"nps": "<source>", "unit": "hidden.store", "trigger": "hot", "channel": "=store", …}: see mapping.py.
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    auth = models.CharField(_("verification"), max_length=16, choices=ConnectorAuth.choices, default="signature")
    # The shared secret the tool signs with: kept as given (a signature is checked with it), shown once.
    secret = models.CharField(max_length=200, blank=True)
    created_by = user_reference(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        constraints = [unique_per_org("name", name="connector_unique_name")]

    def __str__(self):
        return self.name

    @property
    def is_webhook(self) -> bool:
        return self.tool in WEBHOOK_TOOLS


class DeliveryStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Already received")
    IGNORED = "ignored", _("Ignored")
    REFUSED = "refused", _("Refused")


class Delivery(TenantModel):
    """One request a tool made to the connector's URL, as it was answered.

    The payload is kept only for a refused delivery that passed verification, so that it can be
    replayed once the mapping is fixed: an accepted one is in the survey responses (its comment
    masked), and an unverified one is anybody's text."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="deliveries")
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    external_id = models.CharField(_("response id"), max_length=128, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    errors = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(null=True, blank=True)
    replayed_at = models.DateTimeField(_("replayed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["organization", "connector", "received_at"])]

    @property
    def replayable(self) -> bool:
        return self.status == DeliveryStatus.REFUSED and self.payload is not None
