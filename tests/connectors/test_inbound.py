"""The inbound URL of a connector, fed with the example payloads Typeform and Formbricks publish
in their documentation (tests/connectors/payloads/, as given there), signed by the test as each
tool signs: Typeform's ``Typeform-Signature`` over the raw body, Formbricks' Standard Webhooks
headers (computed with the ``standardwebhooks`` library)."""

import datetime
import json
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from connectors.models import Delivery, DeliveryStatus
from connectors.services import connector_create
from connectors.signatures import typeform_signature
from kpis.models import DirtyPeriod, SurveyResponse
from tests.api.conftest import make_api_key
from tests.factories import make_tree

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
TYPEFORM_SECRET = "a-secret-pasted-into-typeform"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def url(connector) -> str:
    return f"/api/v1/connectors/{connector.pk}/inbound/"


@pytest.fixture
def typeform(org, tree):
    # The published form: an opinion scale (1-5), a rating, a long text and hidden user_id.
    mapping = {
        "csat": "readable_ref_rating",
        "comment": "readable_ref_long_text",
        "unit": "=T1",
        "trigger": "hot",
        "channel": "=web",
        "respondent": "hidden.user_id",
        "segment": "variables.name",
    }
    return connector_create(org=org, name="Typeform", tool="typeform", mapping=mapping, secret=TYPEFORM_SECRET)


def post_typeform(client, connector, body: bytes, secret=TYPEFORM_SECRET):
    return client.post(
        url(connector), body, content_type="application/json", HTTP_TYPEFORM_SIGNATURE=typeform_signature(secret, body)
    )


def test_the_published_typeform_payload_gives_its_survey_response(client, typeform, tree):
    r = post_typeform(client, typeform, payload("typeform_example.json"))
    assert (r.status_code, r.json()) == (201, {"created": 1})
    row = SurveyResponse.objects.get()
    assert row.external_id == "a3a12ec67a1365927098a606107fac15"
    assert row.unit == tree["T1"]
    assert row.responded_at == datetime.datetime(2018, 1, 18, 18, 17, 2, tzinfo=datetime.UTC)
    assert (row.nps, row.csat, row.ces) == (None, 3, None)
    assert (row.trigger, row.channel, row.segment) == ("event", "web", "typeform")
    assert row.comment.startswith("It's cold right now!")
    assert len(row.respondent_hash) == 64 and "abc123456" not in row.respondent_hash
    # Marked for recomputation in the same transaction, as the API's writes are.
    assert DirtyPeriod.objects.filter(team=tree["T1"], period_start=datetime.date(2018, 1, 1)).exists()
    assert Delivery.objects.get().status == DeliveryStatus.ACCEPTED


def test_a_replay_of_the_same_payload_adds_nothing(client, typeform):
    body = payload("typeform_example.json")
    post_typeform(client, typeform, body)
    r = post_typeform(client, typeform, body)
    assert (r.status_code, r.json()) == (200, {"duplicate": 1})
    assert SurveyResponse.objects.count() == 1
    assert list(Delivery.objects.values_list("status", flat=True)) == ["duplicate", "accepted"]


def test_a_wrong_signature_is_a_401_and_stores_nothing(client, typeform):
    r = post_typeform(client, typeform, payload("typeform_example.json"), secret="another-secret-entirely")
    assert (r.status_code, r.json()) == (401, {"detail": "Signature invalide."})
    unsigned = client.post(url(typeform), payload("typeform_example.json"), content_type="application/json")
    assert unsigned.status_code == 401
    assert not SurveyResponse.objects.exists()
    # Recorded, without the unverified body.
    assert list(Delivery.objects.values_list("status", "http_status", "payload")) == [
        ("refused", 401, None),
        ("refused", 401, None),
    ]


def test_a_body_changed_after_signing_is_a_401(client, typeform):
    body = payload("typeform_example.json")
    signature = typeform_signature(TYPEFORM_SECRET, body)
    r = client.post(
        url(typeform),
        body.replace(b"=T1", b"=T2") + b" ",
        content_type="application/json",
        HTTP_TYPEFORM_SIGNATURE=signature,
    )
    assert r.status_code == 401


def test_an_unknown_unit_is_a_422_naming_it(client, org, typeform):
    typeform.mapping = {**typeform.mapping, "unit": "hidden.user_id"}
    typeform.save(update_fields=["mapping"])
    r = post_typeform(client, typeform, payload("typeform_example.json"))
    assert r.status_code == 422
    assert r.json() == {
        "created": 0,
        "duplicate": 0,
        "rejected": 1,
        "errors": {"unit": ["Code d’unité inconnu\u202f: abc123456."]},
    }
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.http_status) == ("refused", 422)
    assert delivery.reason == "unit: Code d’unité inconnu\u202f: abc123456."
    assert delivery.payload["form_response"]["token"] == "a3a12ec67a1365927098a606107fac15"


def test_an_unmapped_required_answer_is_a_422_naming_the_source(client, typeform):
    typeform.mapping = {**typeform.mapping, "csat": "csat_ref", "nps": "nps_ref"}
    typeform.save(update_fields=["mapping"])
    r = post_typeform(client, typeform, payload("typeform_example.json"))
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "nps": ["Pas de réponse à «\u00a0nps_ref\u00a0» dans la charge utile."],
        "csat": ["Pas de réponse à «\u00a0csat_ref\u00a0» dans la charge utile."],
    }


def test_a_partial_typeform_event_is_ignored(client, typeform):
    data = json.loads(payload("typeform_example.json"))
    data["event_type"] = "form_response_partial"
    r = post_typeform(client, typeform, json.dumps(data).encode())
    assert (r.status_code, r.json()) == (200, {"ignored": 1})
    assert not SurveyResponse.objects.exists()


# --- Formbricks: Standard Webhooks --------------------------------------------------------------


@pytest.fixture
def formbricks(org, tree):
    # The published example's answers: q1 a call to action ("clicked"), q2 a consent ("accepted").
    mapping = {"nps": "nps", "comment": "q2", "unit": "meta.country", "trigger": "cold"}
    return connector_create(org=org, name="Formbricks", tool="formbricks", mapping=mapping)


def signed(secret: str, body: bytes, *, at=None, msg_id="msg_2bX5h3Zg") -> dict:
    at = at or datetime.datetime.now(datetime.UTC)
    signature = Webhook(secret).sign(msg_id, at, body)
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def with_score(nps: int) -> bytes:
    """The published responseFinished payload with an NPS question answered (the example has
    none), in a store whose code Formbricks puts in meta.country here."""
    events = json.loads(payload("formbricks_response_finished.json"))
    events[0]["data"]["data"]["nps"] = nps
    events[0]["data"]["meta"]["country"] = "T2"
    return json.dumps(events).encode()


def test_the_published_formbricks_payload_gives_its_survey_response(client, formbricks, tree):
    body = with_score(9)
    r = client.post(url(formbricks), body, content_type="application/json", **signed(formbricks.secret, body))
    assert (r.status_code, r.json()) == (201, {"created": 1})
    row = SurveyResponse.objects.get()
    assert (row.external_id, row.unit, row.nps, row.comment, row.trigger) == (
        "responseId",
        tree["T2"],
        9,
        "accepted",
        "periodic",
    )
    assert row.responded_at == datetime.datetime(2025, 7, 24, 7, 47, 56, 116000, tzinfo=datetime.UTC)
    again = client.post(url(formbricks), body, content_type="application/json", **signed(formbricks.secret, body))
    assert (again.status_code, again.json()) == (200, {"duplicate": 1})
    assert SurveyResponse.objects.count() == 1


def test_the_published_formbricks_payload_as_is_has_no_score_to_store(client, formbricks):
    body = payload("formbricks_response_finished.json")
    r = client.post(url(formbricks), body, content_type="application/json", **signed(formbricks.secret, body))
    assert r.status_code == 422
    assert r.json()["errors"] == {"0": {"nps": ["Pas de réponse à «\u00a0nps\u00a0» dans la charge utile."]}}


def test_an_old_timestamp_is_a_401(client, formbricks):
    body = with_score(9)
    ten_minutes_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    headers = signed(formbricks.secret, body, at=ten_minutes_ago)
    r = client.post(url(formbricks), body, content_type="application/json", **headers)
    assert r.status_code == 401
    assert "5 minutes" in r.json()["detail"]
    assert not SurveyResponse.objects.exists()


def test_a_formbricks_signature_with_another_secret_is_a_401(client, formbricks):
    body = with_score(9)
    headers = signed("whsec_" + "QUJD" * 11, body)
    r = client.post(url(formbricks), body, content_type="application/json", **headers)
    assert r.status_code == 401
    assert r.json() == {"detail": "Signature invalide."}


def test_a_refused_delivery_is_stored_when_replayed_after_the_mapping_is_fixed(client, formbricks, tree):
    from connectors.services import connector_update, delivery_replay

    events = json.loads(with_score(3))
    events[0]["data"]["meta"]["country"] = "DE"
    body = json.dumps(events).encode()
    r = client.post(url(formbricks), body, content_type="application/json", **signed(formbricks.secret, body))
    assert r.status_code == 422
    delivery = Delivery.objects.get()
    assert delivery.replayable
    connector_update(connector=formbricks, mapping={**formbricks.mapping, "unit": "=T3"})
    delivery.refresh_from_db()
    outcome = delivery_replay(delivery=delivery)
    assert outcome.http_status == 201
    delivery.refresh_from_db()
    assert (delivery.status, delivery.payload, delivery.replayed_at is not None) == ("accepted", None, True)
    assert SurveyResponse.objects.get().unit == tree["T3"]


# --- generic, and the organizations -------------------------------------------------------------


def test_a_generic_connector_maps_dotted_paths_and_takes_an_api_key(client, org, tree):
    connector = connector_create(
        org=org,
        name="CRM",
        tool="generic",
        auth="api_key",
        mapping={
            "external_id": "response.uid",
            "nps": "answers[0].value",
            "unit": "store.code",
            "responded_at": "response.at",
            "comment": "answers[1].value",
        },
    )
    body = {
        "response": {"uid": "crm-1", "at": "2026-03-11T18:02:00+01:00"},
        "store": {"code": "T1"},
        "answers": [{"value": "10"}, {"value": "Rappelez-moi au 06 12 34 56 78"}],
    }
    key = make_api_key(org)
    r = client.post(
        url(connector), json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert (r.status_code, r.json()) == (201, {"created": 1, "masked": 1})
    row = SurveyResponse.objects.get()
    assert (row.external_id, row.nps, row.comment) == ("crm-1", 10, "Rappelez-moi au [téléphone]")
    read_only = make_api_key(org, scopes=("read",))
    r = client.post(
        url(connector), json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {read_only}"
    )
    assert r.status_code == 401


def test_one_organizations_connector_never_writes_into_another(client, org, other_org, typeform, tree):
    make_tree(other_org)
    theirs = connector_create(
        org=other_org, name="Typeform", tool="typeform", mapping=typeform.mapping, secret="the-other-orgs-secret"
    )
    body = payload("typeform_example.json")
    # Signed with this organization's secret, posted to the other's URL: refused.
    assert post_typeform(client, theirs, body).status_code == 401
    # Signed with the other's secret, posted to theirs: lands in theirs only.
    assert post_typeform(client, theirs, body, secret="the-other-orgs-secret").status_code == 201
    assert list(SurveyResponse.objects.values_list("organization", flat=True)) == [other_org.pk]
    # An API key of this organization does not open the other's generic connector.
    generic = connector_create(
        org=other_org, name="CRM", tool="generic", auth="api_key", mapping={"nps": "n", "unit": "=T1"}
    )
    r = client.post(
        url(generic),
        json.dumps({"id": "x", "n": 9}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {make_api_key(org)}",
    )
    assert r.status_code == 401
    assert Delivery.objects.filter(organization=org).count() == 0


def test_an_unknown_connector_is_a_404(client, typeform):
    r = client.post(f"/api/v1/connectors/{typeform.pk + 1000}/inbound/", b"{}", content_type="application/json")
    assert r.status_code == 404
