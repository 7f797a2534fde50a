"""Writes of the connectors: create and change a connector, receive, replay and preview a
delivery, import a CSV export. Every survey response goes through ``kpis.ingest`` (validation,
masking of personal data, idempotency by external id, the recomputation marks): a connector only
maps."""

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Organization
from kpis.ingest import survey_responses_ingest, verbatim_markers
from kpis.verbatims import mask_personal_data

from .mapping import event_wanted, item_build, mapping_clean
from .models import (
    EXPORT_TOOLS,
    Connector,
    ConnectorAuth,
    ConnectorTool,
    Delivery,
    DeliveryStatus,
)
from .signatures import Unverified, delivery_verify, secret_check, secret_generate

# The deliveries kept per connector: enough to see what went wrong lately, not an archive.
DELIVERIES_KEPT = 100
# The largest body a connector takes (a response with its comment and hidden fields is a few KB).
MAX_BODY_BYTES = 1024 * 1024


def connector_create(
    *, org: Organization, name: str, tool: str, mapping: dict, secret: str = "", auth: str = "", created_by=None
) -> Connector:
    """A new connector, with a generated secret unless one is given (Formbricks shows its own).
    Field-keyed ValidationError on bad input."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    if tool not in ConnectorTool.values:
        errors["tool"] = [_("Must be one of: %(choices)s.") % {"choices": ", ".join(ConnectorTool.values)}]
        raise ValidationError(errors)
    auth = auth or ConnectorAuth.SIGNATURE
    if auth not in ConnectorAuth.values or (auth == ConnectorAuth.API_KEY and tool != ConnectorTool.GENERIC):
        errors["auth"] = [_("Only a generic connector may take an API key instead of a signature.")]
    if tool in EXPORT_TOOLS:
        secret = ""
    elif auth == ConnectorAuth.SIGNATURE:
        secret = (secret or "").strip() or secret_generate(tool)
        problem = secret_check(tool, secret)
        if problem:
            errors["secret"] = [problem]
    else:
        secret = ""
    try:
        mapping = mapping_clean(tool=tool, mapping=mapping)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Connector.objects.create(
                organization=org, name=name, tool=tool, mapping=mapping, secret=secret, auth=auth, created_by=created_by
            )
    except IntegrityError:
        raise ValidationError({"name": [_("A connector with this name already exists.")]}) from None


def connector_update(*, connector: Connector, name: str | None = None, mapping: dict | None = None) -> Connector:
    changed = []
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": [_("This field is required.")]})
        connector.name = name
        changed.append("name")
    if mapping is not None:
        connector.mapping = mapping_clean(tool=connector.tool, mapping=mapping)
        changed.append("mapping")
    try:
        with transaction.atomic():
            connector.save(update_fields=changed)
    except IntegrityError:
        raise ValidationError({"name": [_("A connector with this name already exists.")]}) from None
    return connector


@dataclass
class Outcome:
    """What a payload gave: the answer's status and body, and what the delivery records."""

    http_status: int
    status: str
    body: dict
    errors: dict = field(default_factory=dict)
    external_id: str = ""
    items: list = field(default_factory=list)

    @property
    def reason(self) -> str:
        if list(self.errors) == ["detail"]:
            return " ".join(self.errors["detail"])
        return "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in _flat(self.errors) if messages)


def _refusal(http_status: int, message: str) -> Outcome:
    return Outcome(http_status, DeliveryStatus.REFUSED, {"detail": message}, {"detail": [message]})


def _flat(errors: dict, prefix: str = ""):
    for key, value in errors.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value if isinstance(value, list) else [value]


def _events(payload) -> list:
    # Formbricks' documentation shows its deliveries as a list of events: take both forms.
    return payload if isinstance(payload, list) else [payload]


def _map(connector: Connector, payload, received_at) -> tuple[list[tuple[int, dict]], dict, int]:
    """(index, item) of the events to store, the mapping errors by index, the events ignored."""
    items, errors, ignored = [], {}, 0
    for index, event in enumerate(_events(payload)):
        if not event_wanted(connector.tool, connector.mapping, event):
            ignored += 1
            continue
        item, problems = item_build(
            tool=connector.tool, mapping=connector.mapping, payload=event, received_at=received_at.isoformat()
        )
        if problems:
            errors[index] = problems
        else:
            items.append((index, item))
    return items, errors, ignored


def _outcome(payload, items, errors, ignored, result) -> Outcome:
    if result is not None:
        for (index, _item), entry in zip(items, result.results, strict=True):
            if entry["status"] == "rejected":
                errors[index] = entry["errors"]
    created = result.created if result else 0
    duplicates = result.duplicates if result else 0
    single = not isinstance(payload, list)
    shown = errors.get(0, {}) if single else {str(i): e for i, e in sorted(errors.items())}
    ids = ", ".join(item.get("external_id", "") for _i, item in items)[:128]
    if errors:
        body = {"created": created, "duplicate": duplicates, "rejected": len(errors), "errors": shown}
        return Outcome(422, DeliveryStatus.REFUSED, body, shown, ids, items)
    if created:
        body = {"created": created, **({"duplicate": duplicates} if duplicates else {})}
        if result.masked:
            body["masked"] = result.masked
        return Outcome(201, DeliveryStatus.ACCEPTED, body, external_id=ids, items=items)
    if duplicates:
        return Outcome(200, DeliveryStatus.DUPLICATE, {"duplicate": duplicates}, external_id=ids, items=items)
    return Outcome(200, DeliveryStatus.IGNORED, {"ignored": ignored})


def payload_ingest(*, connector: Connector, payload, received_at=None) -> Outcome:
    """Map and store the responses of a verified payload."""
    received_at = received_at or timezone.now()
    items, errors, ignored = _map(connector, payload, received_at)
    result = None
    if items:
        result = survey_responses_ingest(org=connector.organization, items=[item for _i, item in items], from_text=True)
    return _outcome(payload, items, errors, ignored, result)


class _Rollback(Exception):
    pass


def payload_preview(*, connector: Connector, text: str) -> Outcome:
    """What a pasted sample payload would give, stored nothing: the same mapping and the same
    validation as a delivery, in a transaction rolled back."""
    try:
        payload = json.loads(text)
    except ValueError:
        return _refusal(400, _("Not valid JSON."))
    outcome = None
    try:
        with transaction.atomic():
            outcome = payload_ingest(connector=connector, payload=payload)
            raise _Rollback
    except _Rollback:
        pass
    # Shown as it would be stored: the comment masked, the respondent id hashed.
    markers = verbatim_markers(connector.organization)
    for _index, item in outcome.items:
        if item.get("comment"):
            item["comment"] = mask_personal_data(item["comment"], markers)[0]
        if item.get("respondent"):
            item["respondent"] = _("(stored pseudonymized)")
    return outcome


def _record(connector: Connector, outcome: Outcome, payload) -> Delivery:
    keep = payload if outcome.status == DeliveryStatus.REFUSED and outcome.http_status == 422 else None
    delivery = Delivery.objects.create(
        organization_id=connector.organization_id,
        connector=connector,
        status=outcome.status,
        http_status=outcome.http_status,
        external_id=outcome.external_id,
        reason=outcome.reason,
        errors=outcome.errors,
        payload=keep,
    )
    old = Delivery.objects.for_org(connector.organization).filter(connector=connector).values_list("pk", flat=True)
    stale = list(old[DELIVERIES_KEPT:])
    if stale:
        Delivery.objects.filter(pk__in=stale).delete()
    return delivery


def delivery_receive(*, connector: Connector, request) -> tuple[Delivery, Outcome]:
    """Verify, map and store one request to the connector's URL; the delivery is recorded with
    how it was answered (an unverified one without its payload)."""
    if len(request.body) > MAX_BODY_BYTES:
        outcome = _refusal(413, _("The payload is larger than 1 MB."))
        return _record(connector, outcome, None), outcome
    try:
        delivery_verify(connector, request)
    except Unverified as exc:
        outcome = _refusal(401, str(exc))
        return _record(connector, outcome, None), outcome
    try:
        payload = json.loads(request.body)
    except ValueError:
        outcome = _refusal(400, _("The body is not valid JSON."))
        return _record(connector, outcome, None), outcome
    outcome = payload_ingest(connector=connector, payload=payload)
    return _record(connector, outcome, payload), outcome


def delivery_replay(*, delivery: Delivery) -> Outcome:
    """Map a refused delivery again, with the connector's mapping as it is now; the delivery
    records the new outcome (and drops its payload once stored)."""
    if not delivery.replayable:
        raise ValidationError({"delivery": [_("Only a refused delivery whose payload was kept can be replayed.")]})
    connector = delivery.connector
    outcome = payload_ingest(connector=connector, payload=delivery.payload)
    delivery.status, delivery.http_status = outcome.status, outcome.http_status
    delivery.reason, delivery.errors, delivery.replayed_at = outcome.reason, outcome.errors, timezone.now()
    if outcome.status != DeliveryStatus.REFUSED:
        delivery.payload = None
    delivery.external_id = outcome.external_id or delivery.external_id
    delivery.save(update_fields=["status", "http_status", "reason", "errors", "replayed_at", "payload", "external_id"])
    return outcome
