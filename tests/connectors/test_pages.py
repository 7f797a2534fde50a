"""The connectors' pages: list, create (the secret shown once), mapping, deliveries and replay,
preview; admins only, another organization's admin gets 404."""

import json

import pytest
from django.urls import reverse

from connectors.models import Connector, Delivery, DeliveryStatus
from connectors.services import connector_create
from kpis.models import SurveyResponse
from tests.connectors.test_inbound import PAYLOADS

pytestmark = pytest.mark.django_db


def u(org, name, **kwargs):
    return reverse(f"connectors:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def connector(org, tree):
    return connector_create(
        org=org, name="Boutiques", tool="typeform", mapping={"csat": "readable_ref_rating", "unit": "hidden.user_id"}
    )


def test_the_list_has_an_empty_state(client_for, admin, org):
    page = client_for(admin).get(u(org, "list"))
    assert page.status_code == 200
    assert "Aucun connecteur pour l’instant" in page.content.decode()


def test_creating_shows_the_url_and_the_secret_once(client_for, admin, org, tree):
    client = client_for(admin)
    data = {
        "name": "Magasins à chaud",
        "tool": "typeform",
        "auth": "signature",
        "nps": "nps_ref",
        "unit": "hidden.store",
    }
    page = client.post(u(org, "create"), data)
    assert page.status_code == 200
    connector = Connector.objects.get()
    body = page.content.decode()
    assert connector.secret in body and f"/api/v1/connectors/{connector.pk}/inbound/" in body
    assert connector.mapping == {"nps": "nps_ref", "unit": "hidden.store"}
    detail = client.get(u(org, "detail", pk=connector.pk)).content.decode()
    assert connector.secret not in detail
    assert "Magasins à chaud" in client.get(u(org, "list")).content.decode()


def test_a_mapping_without_a_score_is_a_form_error(client_for, admin, org, tree):
    page = client_for(admin).post(
        u(org, "create"), {"name": "X", "tool": "typeform", "auth": "signature", "unit": "=T1"}
    )
    assert page.status_code == 400
    assert "Associez au moins une note" in page.content.decode()
    assert not Connector.objects.exists()


def test_a_refused_delivery_is_listed_with_its_reason_and_replayed_after_the_fix(
    client_for, admin, org, tree, connector
):
    from connectors.services import payload_ingest

    event = json.loads((PAYLOADS / "typeform_example.json").read_text())
    outcome = payload_ingest(connector=connector, payload=event)
    delivery = Delivery.objects.create(
        organization=org,
        connector=connector,
        status=outcome.status,
        http_status=outcome.http_status,
        reason=outcome.reason,
        errors=outcome.errors,
        payload=event,
    )
    client = client_for(admin)
    page = client.get(u(org, "detail", pk=connector.pk)).content.decode()
    assert "abc123456" in page and "Rejouer" in page
    fixed = client.post(u(org, "detail", pk=connector.pk), {"csat": "readable_ref_rating", "unit": "=T2"})
    assert fixed.status_code == 302
    replay = client.post(u(org, "delivery-replay", pk=connector.pk, delivery_pk=delivery.pk))
    assert replay.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ACCEPTED
    assert SurveyResponse.objects.get().unit == tree["T2"]


def test_the_preview_shows_the_response_and_stores_nothing(client_for, admin, org, tree, connector):
    client = client_for(admin)
    client.post(
        u(org, "detail", pk=connector.pk),
        {"csat": "readable_ref_rating", "unit": "=T1", "comment": "readable_ref_email"},
    )
    sample = (PAYLOADS / "typeform_example.json").read_text()
    page = client.post(u(org, "preview", pk=connector.pk), {"payload": sample})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Cette charge utile donnerait" in body and "a3a12ec67a1365927098a606107fac15" in body
    assert "<td>[e-mail]</td>" in body and "<td>laura@example.com</td>" not in body  # as it would be stored
    assert not SurveyResponse.objects.exists()
    refused = client.post(u(org, "preview", pk=connector.pk), {"payload": "{not json"}).content.decode()
    assert "JSON invalide" in refused


def test_non_admins_get_403_and_another_orgs_admin_404(client_for, org, executive, manager, outsider, connector):
    for user in (executive, manager):
        assert client_for(user).get(u(org, "list")).status_code == 403
        assert client_for(user).get(u(org, "detail", pk=connector.pk)).status_code == 403
    assert client_for(outsider).get(u(org, "detail", pk=connector.pk)).status_code == 404
