"""The demo's connectors: one of each tool, and a few deliveries on the webhook ones.

Seeded once the figures are computed, and without changing them: an accepted delivery of the log
names a survey response the demo already has (the way it arrived), a duplicate names it again,
and the refused ones (an unknown store, a bad signature) stored nothing. The refused delivery of
an unknown store keeps its payload: an admin can fix the mapping and replay it."""

import datetime

from django.db import transaction

from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind
from kpis.models import SurveyResponse

from .models import Connector, Delivery, DeliveryStatus
from .services import connector_create

CONNECTORS = [
    (
        "Magasins — enquête à chaud",
        "typeform",
        {
            "nps": "nps",
            "csat": "satisfaction",
            "comment": "pourquoi",
            "unit": "hidden.magasin",
            "journey": "=achat-magasin",
            "channel": "=store",
            "trigger": "hot",
            "respondent": "hidden.client",
        },
    ),
    (
        "Site web — après achat",
        "formbricks",
        {
            "nps": "recommandation",
            "ces": "facilite",
            "comment": "commentaire",
            "unit": "hidden.magasin",
            "journey": "=achat-web",
            "channel": "=web",
            "trigger": "hot",
        },
    ),
    (
        "CRM — contacts SAV",
        "generic",
        {
            "external_id": "ticket.id",
            "csat": "survey.csat",
            "unit": "ticket.team",
            "responded_at": "survey.at",
            "journey": "=contact-sav",
            "trigger": "hot",
        },
    ),
    (
        "Baromètre annuel (Qualtrics)",
        "qualtrics",
        {"nps": "QID1", "comment": "QID2_TEXT", "unit": "magasin", "trigger": "cold"},
    ),
    (
        "Enquête livraison (SurveyMonkey)",
        "surveymonkey",
        {"csat": "Êtes-vous satisfait de la livraison ?", "unit": "Magasin", "trigger": "cold"},
    ),
]


def _typeform_payload(token: str, store: str) -> dict:
    return {
        "event_id": f"ev-{token}",
        "event_type": "form_response",
        "form_response": {
            "form_id": "MagChaud",
            "token": token,
            "submitted_at": "2026-01-01T10:00:00Z",
            "hidden": {"magasin": store, "client": "C-48213"},
            "answers": [
                {"type": "number", "number": 9, "field": {"id": "a1", "ref": "nps", "type": "opinion_scale"}},
                {
                    "type": "text",
                    "text": "Vendeuse très à l'écoute",
                    "field": {"id": "a2", "ref": "pourquoi", "type": "long_text"},
                },
            ],
        },
    }


def seed(org: Organization) -> None:
    if Connector.objects.for_org(org).exists():
        return
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path")[:1])
    received = list(SurveyResponse.objects.for_org(org).order_by("-responded_at", "-id")[:3])
    with transaction.atomic():
        connectors = {
            tool: connector_create(org=org, name=name, tool=tool, mapping=mapping) for name, tool, mapping in CONNECTORS
        }
        if not teams or len(received) < 3:
            return
        typeform, formbricks = connectors["typeform"], connectors["formbricks"]
        rows = [
            (typeform, DeliveryStatus.ACCEPTED, 201, received[0].external_id, "", None),
            (typeform, DeliveryStatus.DUPLICATE, 200, received[0].external_id, "", None),
            (
                typeform,
                DeliveryStatus.REFUSED,
                422,
                "tf-7c1e0b",
                "unit: Code d’unité inconnu\u202f: MAG-999.",
                _typeform_payload("tf-7c1e0b", "MAG-999"),
            ),
            (typeform, DeliveryStatus.REFUSED, 401, "", "Signature invalide.", None),
            (formbricks, DeliveryStatus.ACCEPTED, 201, received[1].external_id, "", None),
            (formbricks, DeliveryStatus.ACCEPTED, 201, received[2].external_id, "", None),
            (formbricks, DeliveryStatus.REFUSED, 401, "", "Le webhook-timestamp date de plus de 5 minutes.", None),
        ]
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                organization=org,
                connector=connector,
                status=status,
                http_status=http_status,
                external_id=external_id,
                reason=reason,
                errors={"unit": [reason.removeprefix("unit: ")]} if http_status == 422 else {},
                payload=payload,
            )
            for connector, status, http_status, external_id, reason, payload in rows
        )
        # Spread over the last days, oldest first, as a log reads.
        now = received[0].created_at
        for age, delivery in enumerate(reversed(deliveries)):
            Delivery.objects.filter(pk=delivery.pk).update(received_at=now - datetime.timedelta(hours=5 * age))
