import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.models import Metric, MetricValue, SurveyResponse, UploadJob, UploadStatus
from kpis.services import metrics_seed_defaults

SURVEY_HEADER = "external_id,unit,responded_at,nps,ces,csat,channel,journey,trigger,segment,comment,aspect:accueil"


def _url(name, org, **kwargs):
    return reverse(f"kpis:{name}", kwargs={"org": org.slug, **kwargs})


def _csv(text, name="responses.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _xlsx(rows, name="values.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def upload(client_for, admin, org, eager_tasks, django_capture_on_commit_callbacks):
    """POST a file as the admin; the task runs at commit, as with the embedded settings."""

    def _upload(file, kind="survey_responses"):
        client = client_for(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(_url("uploads", org), {"kind": kind, "file": file})
        assert response.status_code == 302, response.context["form"].errors
        return client.get(response.url)

    return _upload


def test_csv_with_a_bad_row_stores_the_good_rows_and_reports_the_bad_one(upload, org, tree):
    response = upload(
        _csv(
            f"{SURVEY_HEADER}\n"
            "q-1,T1,2026-03-10T10:00:00+01:00,9,6,5,store,purchase,event,gold,Très bien,5\n"
            "q-2,T1,2026-03-10T11:00:00+01:00,11,,,store,,,,,\n"
            "q-3,T2,2026-03-11T09:00:00+01:00,,,4,web,,periodic,,,\n"
        )
    )
    assert response.status_code == 200
    job = UploadJob.objects.for_org(org).get()
    assert response.request["PATH_INFO"] == _url("upload", org, pk=job.pk)
    assert (job.status, job.total, job.processed) == (UploadStatus.DONE, 3, 3)
    assert (job.created, job.duplicates, job.rejected) == (2, 0, 1)
    stored = SurveyResponse.objects.for_org(org)
    assert sorted(stored.values_list("external_id", flat=True)) == ["q-1", "q-3"]
    first = stored.get(external_id="q-1")
    assert (first.nps, first.ces, first.csat, first.aspects, first.comment) == (9, 6, 5, {"accueil": 5}, "Très bien")
    assert first.responded_at == datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)

    # Row 3 of the file (the header is row 1) is named with its field and reason, in the
    # organization's language.
    assert response.context["page"].object_list == [(3, "nps", "Doit être compris entre 0 et 10.")]
    assert "Doit être compris entre 0 et 10." in response.content.decode()

    report = response.client.get(_url("upload-report", org, pk=job.pk))
    assert report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "status", "field", "error"]
    assert rows[1][:3] == ["3", "rejected", "nps"]


def test_uploading_the_same_file_again_creates_nothing(upload, org, tree):
    content = f"{SURVEY_HEADER}\nq-1,T1,2026-03-10T10:00:00+01:00,9,,,,,,,,\n"
    upload(_csv(content))
    upload(_csv(content))
    second = UploadJob.objects.for_org(org).first()
    assert (second.created, second.duplicates) == (0, 1)
    assert SurveyResponse.objects.for_org(org).count() == 1


def test_semicolon_csv_from_a_french_excel_is_read(upload, org, tree):
    upload(_csv("\ufeffexternal_id;unit;responded_at;csat\nq-9;T1;2026-03-10T10:00:00+01:00;4\n"))
    assert SurveyResponse.objects.for_org(org).get().csat == 4


def test_xlsx_metric_values_are_upserted(upload, org, tree):
    org.language = "en"
    org.save(update_fields=["language"])
    metrics_seed_defaults(org=org)
    revenue = Metric.objects.get(organization=org, code="revenue")
    MetricValue.objects.create(
        organization=org, metric=revenue, unit=tree["T1"], period_start=datetime.date(2026, 2, 1), value=1.0
    )
    response = upload(
        _xlsx(
            [
                ["metric", "unit", "period", "value"],
                ["revenue", "T1", datetime.datetime(2026, 2, 1), 182340.5],
                ["handling_time", "T2", "2026-03", "4,5"],
                [None, None, None, None],
                ["nope", "T1", "2026-03", 3],
            ]
        ),
        kind="metric_values",
    )
    job = UploadJob.objects.for_org(org).get()
    assert (job.status, job.total, job.created, job.updated, job.rejected) == (UploadStatus.DONE, 3, 1, 1, 1)
    values = {(v.metric.code, v.unit.code, v.period_start): v.value for v in MetricValue.objects.for_org(org)}
    assert values == {
        ("revenue", "T1", datetime.date(2026, 2, 1)): 182340.5,
        ("handling_time", "T2", datetime.date(2026, 3, 1)): 4.5,
    }
    # The blank row 4 is skipped; the unknown metric is on row 5 of the sheet.
    assert response.context["page"].object_list == [(5, "metric", "Unknown metric code: nope.")]


def test_xlsx_date_cells_are_read_in_the_organization_timezone(upload, org, tree):
    upload(
        _xlsx(
            [
                ["external_id", "unit", "responded_at", "nps", "aspect:accueil"],
                ["x-1", "T1", datetime.datetime(2026, 3, 31, 23, 30), 8, 4.0],
            ],
            name="responses.xlsx",
        )
    )
    response = SurveyResponse.objects.for_org(org).get()
    assert response.responded_at == datetime.datetime(2026, 3, 31, 21, 30, tzinfo=datetime.UTC)
    assert response.aspects == {"accueil": 4}


@pytest.mark.parametrize(
    ("file", "kind", "error"),
    [
        (_csv("a,b\n1,2\n", name="data.txt"), "survey_responses", ".csv or .xlsx"),
        (_csv("", name="empty.csv"), "survey_responses", "empty"),
        (_csv("external_id,unit,responded_at,nps\n"), "survey_responses", "no data rows"),
        (_csv("external_id,unit,nps\nq,T1,9\n"), "survey_responses", "Missing required column: responded_at"),
        (_csv("external_id,unit,responded_at\nq,T1,2026-03-01T10:00:00Z\n"), "survey_responses", "at least one score"),
        (_csv("metric,unit,period,value,colour\nrevenue,T1,2026-01,3,red\n"), "metric_values", "Unknown columns"),
        (SimpleUploadedFile("broken.xlsx", b"not a zip at all"), "metric_values", "not a readable XLSX"),
        (
            SimpleUploadedFile("latin.csv", b"external_id,unit,responded_at,nps\nq-\x81,T1,2026-03-01T10:00Z,9\n"),
            "survey_responses",
            "save it as CSV UTF-8",
        ),
    ],
    ids=[
        "extension",
        "empty",
        "header-only",
        "missing-column",
        "no-score",
        "unknown-column",
        "corrupt-xlsx",
        "not-utf8",
    ],
)
def test_a_bad_file_is_a_form_error_and_creates_no_job(client_for, admin, org, settings, file, kind, error):
    settings.LANGUAGE_CODE = "en"
    client = client_for(admin)
    client.cookies["cxtracker_language"] = "en"
    file.seek(0)
    response = client.post(_url("uploads", org), {"kind": kind, "file": file})
    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors["file"])
    assert not UploadJob.objects.exists()


def test_a_too_big_file_is_refused(client_for, admin, org, settings):
    settings.KPIS_UPLOAD_MAX_BYTES = 100
    response = client_for(admin).post(
        _url("uploads", org), {"kind": "survey_responses", "file": _csv(SURVEY_HEADER + "\n" + "x," * 100)}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not UploadJob.objects.exists()


def test_with_the_broker_down_the_job_is_marked_failed_not_left_waiting(
    client_for, admin, org, tree, django_capture_on_commit_callbacks, unreachable_broker
):
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("uploads", org),
            {"kind": "survey_responses", "file": _csv("external_id,unit,responded_at,nps\nq,T1,2026-03-01T10:00Z,9\n")},
        )
    job = UploadJob.objects.for_org(org).get()
    assert response.status_code == 302
    # No worker reachable: the job says so instead of waiting forever, and nothing was half-written.
    status = client.get(_url("upload-status", org, pk=job.pk)).json()
    assert status["status"] == "failed"
    assert status["finished"] is True
    assert not SurveyResponse.objects.exists()


def test_progress_page_polls_while_the_job_runs(client_for, admin, org):
    job = UploadJob.objects.create(
        organization=org, kind="survey_responses", file="uploads/x.csv", filename="x.csv", total=5000, processed=2000
    )
    client = client_for(admin)
    page = client.get(_url("upload", org, pk=job.pk)).content.decode()
    assert _url("upload-status", org, pk=job.pk) in page
    assert '<progress id="upload-bar" value="2000" max="5000">' in page
    assert client.get(_url("upload-status", org, pk=job.pk)).json() == {
        "status": "pending",
        "finished": False,
        "percent": 40,
        "total": 5000,
        "processed": 2000,
        "created": 0,
        "duplicates": 0,
        "updated": 0,
        "rejected": 0,
    }


@pytest.mark.parametrize("user", ["manager", "executive", "steering"])
def test_only_admins_upload(request, client_for, org, user):
    client = client_for(request.getfixturevalue(user))
    response = client.post(_url("uploads", org), {"kind": "survey_responses", "file": _csv(SURVEY_HEADER)})
    assert response.status_code == 403
    assert not UploadJob.objects.exists()


def test_outsider_gets_404_on_another_organizations_uploads(client_for, outsider, org, other_org):
    job = UploadJob.objects.create(
        organization=org,
        kind="survey_responses",
        file="uploads/acme.csv",
        filename="acme-secret.csv",
        status=UploadStatus.DONE,
        errors=[{"row": 2, "errors": {"unit": ["Unknown unit code: ZZ."]}}],
    )
    client = client_for(outsider)
    for name in ("upload", "upload-status", "upload-report"):
        assert client.get(_url(name, org, pk=job.pk)).status_code == 404
        assert client.get(_url(name, other_org, pk=job.pk)).status_code == 404
    assert client.get(_url("uploads", org)).status_code == 404
    assert "acme-secret.csv" not in client.get(_url("uploads", other_org)).content.decode()


def test_a_file_of_several_chunks_reports_the_right_row_numbers(upload, org, tree):
    lines = [f"q-{i},T1,2026-03-10T10:00:00+01:00,{11 if i == 2000 else i % 11}" for i in range(2500)]
    response = upload(_csv("external_id,unit,responded_at,nps\n" + "\n".join(lines) + "\n"))
    job = UploadJob.objects.for_org(org).get()
    assert (job.total, job.processed, job.created, job.rejected) == (2500, 2500, 2499, 1)
    # Item 2000 sits in the third chunk of 1,000; in the file it is on row 2002 (header, then 0-based).
    assert [row for row, _field, _message in response.context["page"]] == [2002]
    assert SurveyResponse.objects.for_org(org).count() == 2499


def test_the_file_is_deleted_once_imported(upload, org, tree, settings):
    upload(_csv("external_id,unit,responded_at,nps\nq,T1,2026-03-01T10:00Z,9\n"))
    job = UploadJob.objects.for_org(org).get()
    assert job.status == UploadStatus.DONE
    assert not job.file
    assert (settings.MEDIA_ROOT / "uploads").is_dir()  # it was stored, then removed
    assert not any(p.is_file() for p in (settings.MEDIA_ROOT / "uploads").rglob("*"))


def test_a_comment_over_several_lines_is_one_row_of_the_report(upload, org, tree):
    response = upload(
        _csv(
            "external_id,unit,responded_at,nps,comment\n"
            'q-1,T1,2026-03-10T10:00:00+01:00,9,"Très bien,\nmerci"\n'
            "q-2,T1,2026-03-10T11:00:00+01:00,11,\n"
        )
    )
    assert SurveyResponse.objects.for_org(org).get().comment == "Très bien,\nmerci"
    # The row a spreadsheet shows, not the line of a text editor (which would say 4).
    assert [row for row, _field, _message in response.context["page"]] == [3]
