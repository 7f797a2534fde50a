"""CSV exports of Qualtrics and SurveyMonkey, uploaded as they come, mapped by the connector.

- Qualtrics: three header rows (the column names, the question texts, the ImportIds as
  ``{"ImportId":"QID1"}``); a column is named by its name or its ImportId; ``Status`` other than
  0 (``IP Address``: a real response) is a preview, a test, spam…: skipped and counted.
- SurveyMonkey: two header rows (the question, then ``Response``, ``Open-Ended Response`` or the
  sub-question); a column is named by its question, and ``question / sub-question`` where the
  second row says more; a question over several columns gives its heading to the first only.

Dates without an offset (Qualtrics' ``RecordedDate``, SurveyMonkey's ``End Date``) are read in
the organization's timezone. Rows go through the survey-response ingestion in chunks of 1,000.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cxtracker.tabular import TableError, table_read
from kpis.ingest import survey_responses_ingest
from kpis.uploads import max_bytes

from .mapping import item_build
from .models import Connector, ConnectorTool

CHUNK_SIZE = 1000
QUALTRICS_KEPT_STATUSES = frozenset({"0", "IP Address"})
_SURVEYMONKEY_PLAIN = frozenset({"", "Response", "Open-Ended Response"})
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
)


@dataclass
class ExportResult:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    masked: int = 0
    # (row of the file, field, message)
    errors: list = field(default_factory=list)


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def _names_qualtrics(header: list[str], rows) -> list[list[str]]:
    """The names of each column: its name and, from the third header row, its ImportId."""
    _texts = next(rows, None)
    ids = next(rows, None)
    if ids is None:
        raise TableError(_("A Qualtrics export has three header rows: this file has fewer."))
    names = []
    for name, cell in zip(header, ids[1], strict=False):
        aliases = [name]
        try:
            import_id = json.loads(_cell(cell)).get("ImportId")
        except (ValueError, AttributeError):
            import_id = None
        if import_id:
            aliases.append(import_id)
        names.append(aliases)
    return names


def _names_surveymonkey(header: list[str], rows) -> list[list[str]]:
    second = next(rows, None)
    if second is None:
        raise TableError(_("A SurveyMonkey export has two header rows: this file has fewer."))
    names, question = [], ""
    for name, sub in zip(header, second[1], strict=False):
        question = name or question
        sub = _cell(sub)
        names.append([question] if sub in _SURVEYMONKEY_PLAIN else [f"{question} / {sub}", *([name] if name else [])])
    return names


def _dated(value: str, tzinfo) -> str:
    """A date of the export with the organization's offset, when it has none."""
    for fmt in _DATE_FORMATS:
        try:
            moment = datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return moment.replace(tzinfo=tzinfo).isoformat()
    return value


def export_import(*, connector: Connector, file) -> ExportResult:
    """Import a Qualtrics or SurveyMonkey CSV export with the connector's mapping."""
    org = connector.organization
    table = table_read(file, max_bytes=max_bytes())
    rows = table.rows
    qualtrics = connector.tool == ConnectorTool.QUALTRICS
    names = _names_qualtrics(table.header, rows) if qualtrics else _names_surveymonkey(table.header, rows)
    date_source = connector.mapping.get("responded_at") or ("RecordedDate" if qualtrics else "End Date")
    result = ExportResult()
    chunk: list[tuple[int, dict]] = []
    for number, cells in rows:
        result.rows += 1
        record = {}
        for aliases, cell in zip(names, cells, strict=False):
            for alias in aliases:
                record[alias] = _cell(cell)
        if qualtrics and record.get("Status", "0") not in QUALTRICS_KEPT_STATUSES:
            result.skipped += 1
            continue
        if record.get(date_source):
            record[date_source] = _dated(record[date_source], org.tzinfo)
        item, problems = item_build(tool=connector.tool, mapping=connector.mapping, payload=record, received_at="")
        if problems:
            result.rejected += 1
            result.errors += [(number, name, " ".join(messages)) for name, messages in problems.items()]
            continue
        chunk.append((number, item))
        if len(chunk) == CHUNK_SIZE:
            _ingest(org, chunk, result)
            chunk = []
    if chunk:
        _ingest(org, chunk, result)
    result.errors.sort()
    return result


def _ingest(org, chunk: list[tuple[int, dict]], result: ExportResult) -> None:
    outcome = survey_responses_ingest(org=org, items=[item for _n, item in chunk], from_text=True)
    result.created += outcome.created
    result.duplicates += outcome.duplicates
    result.rejected += outcome.rejected
    result.masked += outcome.masked or 0
    for entry in outcome.results:
        if entry["status"] == "rejected":
            number = chunk[entry["index"]][0]
            for name, messages in entry["errors"].items():
                result.errors.append((number, name, " ".join(map(str, messages))))
