"""A survey comment is at most 5,000 characters, whatever the way in: the API (one response or a
bulk list), a CSV or XLSX upload, the admin. Until this cap a 2 MB comment was stored."""

import io
import json

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.models import SurveyResponse, UploadJob, UploadStatus
from tests.api.test_survey_responses import URL, response
from tests.kpis.conftest import _media_in_tmp, eager_tasks  # noqa: F401 (fixtures of the upload)

pytestmark = pytest.mark.django_db

CAP = 5000
TOO_LONG = "x" * (CAP + 1)
AT_MOST = "At most 5000 characters."


def test_a_comment_of_5000_characters_is_stored_whole(api, tree):
    r = api.post(URL, response(comment="é" * CAP))
    assert r.status_code == 201, r.json()
    assert SurveyResponse.objects.get().comment == "é" * CAP


def test_one_character_more_is_a_400_naming_the_comment(api, tree):
    r = api.post(URL, response(comment=TOO_LONG))
    assert r.status_code == 400
    assert r.json() == {"comment": [AT_MOST]}
    assert not SurveyResponse.objects.exists()


def test_two_megabytes_of_comment_are_refused(api, tree):
    r = api.post(URL, response(comment="a" * 2_000_000))
    assert r.status_code == 400
    assert r.json() == {"comment": [AT_MOST]}
    assert not SurveyResponse.objects.exists()


def test_the_surrounding_blanks_do_not_count(api, tree):
    # The comment is stored stripped: the cap is on what is stored.
    r = api.post(URL, response(comment=f"  {'y' * CAP}\n"))
    assert r.status_code == 201, r.json()
    assert len(SurveyResponse.objects.get().comment) == CAP


def test_bulk_rejects_the_long_comment_and_keeps_the_others(api, tree):
    items = [response("a"), response("b", comment=TOO_LONG), response("c", comment="z" * CAP)]
    r = api.post(URL, items)
    assert r.status_code == 200
    assert r.json()["results"] == [
        {"index": 0, "status": "created"},
        {"index": 1, "status": "rejected", "errors": {"comment": [AT_MOST]}},
        {"index": 2, "status": "created"},
    ]
    assert sorted(SurveyResponse.objects.values_list("external_id", flat=True)) == ["a", "c"]


def test_the_schema_says_the_cap(api):
    schema = api.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    body = json.loads(schema.content)
    comment = body["components"]["schemas"]["SurveyResponseWriteRequest"]["properties"]["comment"]
    assert comment["maxLength"] == CAP


# --- uploads -----------------------------------------------------------------------------------

HEADER = ["external_id", "unit", "responded_at", "nps", "comment"]


@pytest.fixture
def upload(client_for, admin, org, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    def _upload(file):
        client = client_for(admin)
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(
                reverse("kpis:uploads", kwargs={"org": org.slug}), {"kind": "survey_responses", "file": file}
            )
        assert r.status_code == 302, r.context["form"].errors
        return client.get(r.url)

    return _upload


def test_csv_upload_rejects_the_row_with_a_long_comment(upload, org, tree):
    text = "\n".join(
        [
            ",".join(HEADER),
            f"u-1,T1,2026-03-10T10:00:00+01:00,9,{'k' * CAP}",
            f"u-2,T1,2026-03-10T11:00:00+01:00,3,{TOO_LONG}",
        ]
    )
    page = upload(SimpleUploadedFile("responses.csv", text.encode(), content_type="text/csv"))
    job = UploadJob.objects.for_org(org).get()
    assert (job.status, job.created, job.rejected) == (UploadStatus.DONE, 1, 1)
    # Row 3 of the file (the header is row 1), in the organization's language (French).
    [rejected] = job.errors
    assert rejected["row"] == 3
    assert list(rejected["errors"]) == ["comment"]
    assert "5000" in rejected["errors"]["comment"][0]
    assert page.status_code == 200
    assert list(SurveyResponse.objects.for_org(org).values_list("external_id", flat=True)) == ["u-1"]


def test_xlsx_upload_rejects_the_row_with_a_long_comment(upload, org, tree):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["x-1", "T1", "2026-03-10T10:00:00+01:00", 9, "Bien"])
    sheet.append(["x-2", "T1", "2026-03-10T11:00:00+01:00", 9, TOO_LONG])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(SimpleUploadedFile("responses.xlsx", buffer.getvalue()))
    job = UploadJob.objects.for_org(org).get()
    assert (job.created, job.rejected) == (1, 1)
    assert job.errors[0]["row"] == 3
    assert list(job.errors[0]["errors"]) == ["comment"]
    assert list(SurveyResponse.objects.for_org(org).values_list("external_id", flat=True)) == ["x-1"]


# --- admin -------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "x-very-secret-1")
    client.force_login(user)
    return client


def test_the_admin_cannot_write_a_comment_at_all(staff_client, org, tree):
    """Responses are read-only in the admin (a customer's words are not staff's to edit): neither
    adding nor changing one can store a comment, long or short."""
    row = SurveyResponse.objects.create(
        organization=org, external_id="adm-1", unit=tree["T1"], responded_at="2026-03-10T10:00:00+01:00", nps=9
    )
    add = staff_client.post(reverse("admin:kpis_surveyresponse_add"), {"comment": TOO_LONG, "nps": 9})
    change = staff_client.post(reverse("admin:kpis_surveyresponse_change", args=[row.pk]), {"comment": TOO_LONG})
    assert (add.status_code, change.status_code) == (403, 403)
    row.refresh_from_db()
    assert row.comment == ""
    assert SurveyResponse.objects.count() == 1
