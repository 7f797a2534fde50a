"""The upload report names the file's column of each error, and no internal key: an error of the
whole row (no score at all) shows "—" on the page and an empty field in the CSV (the
report used to show ``non_field_errors``)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.models import UploadJob
from kpis.uploads import report_rows

pytestmark = pytest.mark.django_db

HEADER = "external_id,unit,responded_at,nps,ces,csat"


def test_a_row_without_any_score_is_reported_without_a_field_key(
    client_for, admin, org, tree, eager_tasks, django_capture_on_commit_callbacks
):
    client = client_for(admin)
    file = SimpleUploadedFile(
        "responses.csv",
        f"{HEADER}\nq-1,T1,2026-03-10T10:00:00+01:00,9,,\nq-2,T1,2026-03-10T11:00:00+01:00,,,\n".encode(),
        content_type="text/csv",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("kpis:uploads", kwargs={"org": org.slug}), {"kind": "survey_responses", "file": file}
        )
    assert response.status_code == 302
    job = UploadJob.objects.for_org(org).get()
    assert job.rejected == 1
    [(row, field, message)] = list(report_rows(job))
    assert (row, field) == (3, "")
    assert "nps, ces" in message

    page = client.get(response.url).content.decode()
    assert "non_field_errors" not in page
    assert '<td>3</td><td><span class="muted"' in page and ">—</span></td>" in page

    report = client.get(reverse("kpis:upload-report", kwargs={"org": org.slug, "pk": job.pk}))
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["3", "rejected", ""]
    assert "non_field_errors" not in report.content.decode()


def test_nested_whole_item_keys_keep_the_field_they_belong_to():
    job = UploadJob(
        errors=[
            {"row": 5, "errors": {"ratings": {"0": {"non_field_errors": ["Bad rating."]}}}},
            {"row": 4, "errors": {"__all__": ["Bad row."], "nps": ["Too high."]}},
        ]
    )
    assert list(report_rows(job)) == [(4, "", "Bad row."), (4, "nps", "Too high."), (5, "ratings.0", "Bad rating.")]
