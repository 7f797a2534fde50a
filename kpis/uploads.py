"""Survey responses and metric values uploaded as CSV or XLSX, ingested by a Celery task.

The columns are the API's field names (SPEC §8), aspect scores as ``aspect:<code>`` columns; each
chunk of rows goes through the same bulk ingestion services as the API, so a row is accepted or
rejected for exactly the same reasons. ``row`` numbers are the file's: the header is row 1.
"""

import datetime
import logging
import re
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cxtracker.queue import BrokerUnavailable, enqueue
from cxtracker.tabular import TableError, table_read

from .ingest import (
    METRIC_VALUE_FIELDS,
    SURVEY_RESPONSE_INPUT_FIELDS,
    metric_values_ingest,
    survey_responses_ingest,
)
from .models import UploadJob, UploadKind, UploadStatus

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ASPECT_PREFIX = "aspect:"

# The API's fields; a file gives the aspects as one ``aspect:<code>`` column each.
COLUMNS = {
    UploadKind.SURVEY_RESPONSES: tuple(name for name in SURVEY_RESPONSE_INPUT_FIELDS if name != "aspects"),
    UploadKind.METRIC_VALUES: METRIC_VALUE_FIELDS,
}
REQUIRED = {
    UploadKind.SURVEY_RESPONSES: ("external_id", "unit", "responded_at"),
    UploadKind.METRIC_VALUES: METRIC_VALUE_FIELDS,
}
SCORES = ("nps", "ces", "csat")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def max_bytes() -> int:
    return getattr(settings, "KPIS_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def _header(header: list[str], kind: str) -> list[str]:
    known = set(COLUMNS[kind])
    unknown = [
        name
        for name in header
        if name not in known
        and not (kind == UploadKind.SURVEY_RESPONSES and name.startswith(ASPECT_PREFIX) and name[len(ASPECT_PREFIX) :])
    ]
    if unknown:
        raise TableError(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(f"“{c}”" for c in unknown)})
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise TableError(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(duplicated)})
    missing = [name for name in REQUIRED[kind] if name not in header]
    if missing:
        raise TableError(
            ngettext("Missing required column: %(columns)s.", "Missing required columns: %(columns)s.", len(missing))
            % {"columns": ", ".join(missing)}
        )
    if kind == UploadKind.SURVEY_RESPONSES and not any(score in header for score in SCORES):
        raise TableError(_("Add at least one score column: nps, ces or csat."))
    return header


def upload_check(*, file, kind: str) -> None:
    """Refuse a file that cannot be ingested at all, before any job exists: wrong extension, too
    big, empty, unreadable, or without the required columns. Rows are checked by the task."""
    file.seek(0)
    try:
        table = table_read(file, max_bytes=max_bytes())
        _header(table.header, kind)
        if next(table.rows, None) is None:
            raise TableError(_("The file has a header but no data rows."))
    finally:
        file.seek(0)


def _number(value, integer: bool):
    """A cell as a number where it plainly is one (XLSX floats, CSV text, French decimal comma);
    anything else is passed on for the ingestion to reject with its own message."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and integer and value.is_integer():
        return int(value)
    if isinstance(value, str):
        if integer and _INTEGER.match(value):
            return int(value)
        if not integer and _DECIMAL.match(value):
            return float(value.replace(",", "."))
    return value


def _item(header: list[str], cells: list, kind: str, tzinfo) -> dict:
    item, aspects = {}, {}
    for name, value in zip(header, cells, strict=False):
        if not name or value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        if isinstance(value, datetime.datetime):
            # A spreadsheet cell has no timezone: it is read in the organization's.
            if timezone.is_naive(value):
                value = timezone.make_aware(value, tzinfo)
            value = value.date() if name == "period" else value
        if name == "period" and isinstance(value, datetime.date):
            value = f"{value:%Y-%m}"
        elif isinstance(value, datetime.datetime | datetime.date):
            value = value.isoformat()
        if name.startswith(ASPECT_PREFIX):
            aspects[name[len(ASPECT_PREFIX) :]] = _number(value, integer=True)
            continue
        if name in SCORES:
            value = _number(value, integer=True)
        elif name == "value":
            value = _number(value, integer=False)
        elif not isinstance(value, str):
            value = str(_number(value, integer=True))
        item[name] = value
    if aspects:
        item["aspects"] = aspects
    return item


def _ingest(kind: str):
    return survey_responses_ingest if kind == UploadKind.SURVEY_RESPONSES else metric_values_ingest


def upload_process(*, upload_id: int) -> None:
    """Ingest an uploaded file in chunks, saving progress after each; idempotent on re-delivery
    (a finished job is left alone, a restarted one starts over: survey responses are idempotent
    by external_id and metric values are upserts)."""
    job = UploadJob.objects.select_related("organization").filter(pk=upload_id).first()
    if job is None or job.is_finished:
        return
    # The report's messages are stored as text: write them in the uploader's language.
    with translation.override(job.language or job.organization.language):
        _process(job)


def _process(job: UploadJob) -> None:
    org = job.organization
    job.status, job.started_at, job.failure = UploadStatus.RUNNING, timezone.now(), ""
    job.total = job.processed = job.created = job.duplicates = job.updated = job.rejected = job.masked = 0
    job.errors = []
    job.save()
    try:
        with job.file.open("rb") as fh:
            job.total = sum(1 for _row in table_read(fh, name=job.filename).rows)
        job.save(update_fields=["total"])
        ingest = _ingest(job.kind)
        with job.file.open("rb") as fh:
            table = table_read(fh, name=job.filename)
            header = _header(table.header, job.kind)
            chunk: list[tuple[int, dict]] = []
            for number, cells in table.rows:
                chunk.append((number, _item(header, cells, job.kind, org.tzinfo)))
                if len(chunk) == CHUNK_SIZE:
                    _process_chunk(job, ingest, chunk)
                    chunk = []
            if chunk:
                _process_chunk(job, ingest, chunk)
    except TableError as exc:
        _fail(job, str(exc))
        return
    except Exception:
        logger.exception("Upload %s failed", job.pk)
        _fail(job, _("An unexpected error stopped the import. The rows counted above are stored."))
        return
    _finish(job, UploadStatus.DONE)


def _process_chunk(job: UploadJob, ingest, chunk: list[tuple[int, dict]]) -> None:
    result = ingest(org=job.organization, items=[item for _n, item in chunk], from_text=True)
    for entry in result.results:
        if entry["status"] == "rejected":
            job.errors.append({"row": chunk[entry["index"]][0], "errors": entry.get("errors") or {}})
    job.processed += len(chunk)
    for key in ("created", "duplicates", "updated", "rejected"):
        setattr(job, key, getattr(job, key) + getattr(result, key))
    job.masked += result.masked or 0
    job.save(update_fields=["processed", "created", "duplicates", "updated", "rejected", "masked", "errors"])


def _fail(job: UploadJob, message: str) -> None:
    _finish(job, UploadStatus.FAILED, failure=message)


def _finish(job: UploadJob, status: str, failure: str = "") -> None:
    """Close the job and drop the file: the counts and the report are what is kept, and an
    uploaded file may hold customers' verbatims that have no reason to outlive the import."""
    if job.file:
        job.file.delete(save=False)
    job.status, job.failure, job.finished_at = status, failure, timezone.now()
    job.save(update_fields=["status", "failure", "finished_at", "file"])


def upload_queue(*, upload_id: int) -> None:
    """Send the job to the workers; with the broker down, say so on the job rather than leave it
    waiting forever."""
    try:
        enqueue("kpis.tasks.upload_process_task", upload_id)
    except BrokerUnavailable:
        logger.warning("Broker unreachable: upload %s not queued", upload_id)
        job = UploadJob.objects.get(pk=upload_id)
        _fail(job, _("The background workers cannot be reached right now. Upload the file again later."))


def _flatten(errors, field: str = "") -> Iterator[tuple[str, str]]:
    """(field, message) pairs of a DRF-style error structure, nested fields joined by dots."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flatten(value, f"{field}.{key}" if field else str(key))
    elif isinstance(errors, list | tuple):
        for value in errors:
            yield from _flatten(value, field)
    else:
        yield field, str(errors)


# Keys DRF and Django give the errors of a whole item rather than of one of its fields: no
# column of the file to name (the report says "—").
_WHOLE_ITEM_KEYS = frozenset({"non_field_errors", "__all__"})


def _field_name(path: str) -> str:
    return ".".join(part for part in path.split(".") if part not in _WHOLE_ITEM_KEYS)


def report_rows(job: UploadJob) -> Iterator[tuple[int, str, str]]:
    """(row, field, message) for every error of every rejected row, in file order; the field is
    "" for an error of the row as a whole (never the key ``non_field_errors``)."""
    for entry in sorted(job.errors, key=lambda e: e["row"]):
        for field, message in _flatten(entry["errors"]):
            yield entry["row"], _field_name(field), message
