"""Qualtrics and SurveyMonkey CSV exports, uploaded as they come on the connector's page."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connectors.services import connector_create
from kpis.models import SurveyResponse
from tests.connectors.test_inbound import PAYLOADS

pytestmark = pytest.mark.django_db

# payloads/qualtrics_export.csv: a Qualtrics export (CSV, choice numeric values): column names,
# question texts, ImportIds; then a real response (Status 0), a survey preview (1), a test (2) and
# another real one; Q1 the NPS, Q2 the comment, "store" an embedded data field.
QUALTRICS = (PAYLOADS / "qualtrics_export.csv").read_text()


@pytest.fixture
def qualtrics(org, tree):
    mapping = {"nps": "QID1", "comment": "Q2", "unit": "store", "trigger": "cold", "channel": "=email"}
    return connector_create(org=org, name="Qualtrics", tool="qualtrics", mapping=mapping)


def upload(client, org, connector, text: str, name="export.csv"):
    url = reverse("connectors:import", kwargs={"org": org.slug, "pk": connector.pk})
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def test_a_qualtrics_export_gives_its_real_responses(client_for, admin, org, tree, qualtrics):
    client = client_for(admin)
    r = upload(client, org, qualtrics, QUALTRICS)
    assert r.status_code == 200
    result = r.context["export_result"]
    assert (result.rows, result.created, result.skipped, result.rejected, result.masked) == (4, 2, 2, 0, 1)
    rows = {row.external_id: row for row in SurveyResponse.objects.select_related("unit")}
    assert set(rows) == {"R_1hV8xQ2mZ9kLp3A", "R_2aB3cD4eF5gH6iJ"}
    first = rows["R_1hV8xQ2mZ9kLp3A"]
    assert (first.unit.code, first.nps, first.trigger, first.channel) == ("T1", 9, "periodic", "email")
    assert first.comment == "Très bon accueil, rappelez-moi au [téléphone]"
    # RecordedDate is in the organization's timezone (Paris, UTC+1 in March).
    assert first.responded_at == datetime.datetime(2026, 3, 11, 17, 2, 1, tzinfo=datetime.UTC)
    # Uploading it again adds nothing.
    again = upload(client, org, qualtrics, QUALTRICS).context["export_result"]
    assert (again.created, again.duplicates, again.skipped) == (0, 2, 2)
    assert SurveyResponse.objects.count() == 2


def test_a_row_with_an_unknown_unit_is_reported_with_its_file_row(client_for, admin, org, tree, qualtrics):
    page = upload(client_for(admin), org, qualtrics, QUALTRICS.replace(",T2\n", ",X-12\n"))
    result = page.context["export_result"]
    assert (result.created, result.rejected) == (1, 1)
    assert result.errors == [(7, "unit", "Code d’unité inconnu\u202f: X-12.")]
    assert "X-12" in page.content.decode()


def test_a_file_with_one_header_row_is_refused(client_for, admin, org, tree, qualtrics):
    r = upload(client_for(admin), org, qualtrics, "ResponseId,Q1\nR_1,9\n")
    assert r.status_code == 400
    assert "trois lignes d’en-tête" in r.content.decode()
    assert not SurveyResponse.objects.exists()


# payloads/surveymonkey_export.csv: the question, then "Response" or "Open-Ended Response".
SURVEYMONKEY = (PAYLOADS / "surveymonkey_export.csv").read_text()


def test_a_surveymonkey_export_gives_its_responses(client_for, admin, org, tree):
    mapping = {"nps": "Recommanderiez-vous notre magasin ?", "unit": "Votre magasin", "comment": "Un commentaire ?"}
    connector = connector_create(org=org, name="SurveyMonkey", tool="surveymonkey", mapping=mapping)
    result = upload(client_for(admin), org, connector, SURVEYMONKEY).context["export_result"]
    assert (result.created, result.rejected, result.masked) == (2, 0, 1)
    row = SurveyResponse.objects.get(external_id="114368729961")
    assert (row.nps, row.unit.code, row.comment) == (10, "T1", "Écrivez-moi : [e-mail]")
    assert row.responded_at == datetime.datetime(2026, 3, 11, 17, 2, tzinfo=datetime.UTC)
