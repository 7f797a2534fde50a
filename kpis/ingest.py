"""Bulk ingestion of survey responses and metric values (SPEC §8), shared by the REST API and the
browser's CSV upload.

Fast on purpose (thousands of rows a minute from survey tools): every item is validated in plain
Python, the unit and metric codes of a whole batch are resolved with one query each, and the rows
go in with one ``INSERT ... ON CONFLICT`` statement. Idempotency rests on the database's unique
constraints, never on check-then-insert, so concurrent retries of the same batch cannot create a
row twice.
"""

import datetime
import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cxtracker.api import BulkResult, parse_moment
from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind
from cxtracker.tenancy.signals import figures_change

from .models import Metric, MetricValue, RespondentSalt, SurveyResponse, SurveyTrigger
from .verbatims import Markers, mask_personal_data

__all__ = [
    "METRIC_VALUE_FIELDS",
    "SURVEY_RESPONSE_COLUMNS",
    "SURVEY_RESPONSE_FIELDS",
    "SURVEY_RESPONSE_INPUT_FIELDS",
    "BulkResult",
    "metric_values_ingest",
    "survey_responses_ingest",
]

# The fields of a survey response and of a metric value, in the API's order (SPEC §8): the API's
# serializers, the file uploads and the benchmarks take them from here.
SURVEY_RESPONSE_FIELDS = (
    "external_id",
    "unit",
    "responded_at",
    "nps",
    "ces",
    "csat",
    "channel",
    "journey",
    "trigger",
    "segment",
    "comment",
    "aspects",
)
# What a client may send: the stored fields and the respondent's id in the survey tool, which is
# stored only pseudonymized (``respondent_hash``).
SURVEY_RESPONSE_INPUT_FIELDS = (*SURVEY_RESPONSE_FIELDS, "respondent")
METRIC_VALUE_FIELDS = ("metric", "unit", "period", "value")
# A survey response's row as the ingestion writes it (the table's columns, created_at aside).
SURVEY_RESPONSE_COLUMNS = (
    "organization_id",
    *("unit_id" if f == "unit" else f for f in SURVEY_RESPONSE_FIELDS),
    "respondent_hash",
)
_SURVEY_FIELD_SET = frozenset(SURVEY_RESPONSE_INPUT_FIELDS)
_METRIC_VALUE_FIELD_SET = frozenset(METRIC_VALUE_FIELDS)
TRIGGERS = tuple(SurveyTrigger.values)
SCORE_RANGES = {"nps": (0, 10), "ces": (1, 7), "csat": (1, 5)}
ASPECT_RANGE = (1, 5)
# A comment is a customer's sentence or a paragraph, not a document (2 MB used to be stored).
COMMENT_MAX_LENGTH = 5000
RESPONDENT_MAX_LENGTH = 256
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# What PostgreSQL cannot store in text (JSON can carry both: "\u0000", "\ud800").
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


class _Item:
    """Collects one item's field errors."""

    def __init__(self, data: dict, *, from_text: bool):
        self.data = data
        self.from_text = from_text
        self.errors: dict[str, list[str]] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raw(self, field):
        value = self.data.get(field)
        # A CSV cell is always text: an empty cell means "not given".
        if self.from_text and isinstance(value, str) and not value.strip():
            return None
        return value

    def text(self, field, *, required=False, max_length=None) -> str:
        value = self.raw(field)
        if value is None:
            if required:
                self.error(field, _("This field is required."))
            return ""
        if not isinstance(value, str):
            self.error(field, _("Must be a string."))
            return ""
        if _UNSAFE_TEXT.search(value):
            self.error(field, _("Contains a character that cannot be stored: NUL or an unpaired surrogate."))
            return ""
        value = value.strip()
        if required and not value:
            self.error(field, _("This field may not be blank."))
        elif max_length and len(value) > max_length:
            self.error(field, _("At most %(n)d characters.") % {"n": max_length})
        return value

    def integer(self, field, low: int, high: int, *, required=False) -> int | None:
        value = self.raw(field)
        if value is None:
            if required:
                self.error(field, _("This field is required."))
            return None
        if self.from_text and isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                self.error(field, _("Must be a whole number."))
                return None
        # bool is an int in Python; in JSON it is not a score. A JSON score is an integer, as an
        # aspect's and a rating's level are (9.0 is refused); a spreadsheet stores 9 as 9.0.
        if isinstance(value, bool) or not isinstance(value, int):
            if self.from_text and isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.error(field, _("Must be a whole number."))
                return None
        if not low <= value <= high:
            self.error(field, _("Must be between %(low)d and %(high)d.") % {"low": low, "high": high})
            return None
        return value

    def number(self, field) -> float | None:
        value = self.raw(field)
        if value is None:
            self.error(field, _("This field is required."))
            return None
        if self.from_text and isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                self.error(field, _("Must be a number."))
                return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(field, _("Must be a number."))
            return None
        try:
            value = float(value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            self.error(field, _("Must be a finite number."))
            return None
        return value

    def moment(self, field, now: datetime.datetime) -> datetime.datetime | None:
        value = self.raw(field)
        if value is None:
            self.error(field, _("This field is required."))
            return None
        try:
            return parse_moment(value, now)
        except ValidationError as exc:
            for message in exc.messages:
                self.error(field, message)
            return None

    def unknown_fields(self, allowed: frozenset) -> None:
        for key in self.data:
            if key not in allowed:
                self.error(str(key), _("Unknown field."))


def _not_an_object() -> dict:
    return {"non_field_errors": [_("Expected an object.")]}


def _insert_ignoring_conflicts(rows: list, returning: str) -> set:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING ``returning``: the values of the rows really
    inserted, in the same statement, so that concurrent requests agree on who created what."""
    model = type(rows[0])
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, rows)
    returned = query.get_compiler(connection=connection).execute_sql(returning_fields=[opts.get_field(returning)])
    # A single-row INSERT that hit a conflict returns None rather than no row.
    return {row[0] for row in returned if row is not None}


# The PostgreSQL types of the staging table's columns (SURVEY_RESPONSE_COLUMNS, in the order
# _survey_response() returns them) that are not text.
_SURVEY_COLUMN_TYPES = {
    "organization_id": "bigint",
    "unit_id": "bigint",
    "responded_at": "timestamptz",
    "nps": "smallint",
    "ces": "smallint",
    "csat": "smallint",
    "aspects": "jsonb",
}
_EXTERNAL_ID, _UNIT_ID, _RESPONDED_AT, _COMMENT, _ASPECTS = (
    SURVEY_RESPONSE_COLUMNS.index(name) for name in ("external_id", "unit_id", "responded_at", "comment", "aspects")
)
_STAGING_TABLE = "kpis_ingest_survey_response"
_SURVEY_TEXTS = ("channel", "journey", "trigger", "segment", "comment")


def _survey_responses_insert(rows: list[tuple], now: datetime.datetime) -> set[str]:
    """Insert the rows, skipping the external_ids already stored; returns those inserted.

    On PostgreSQL the batch is COPied into a session-local staging table, then moved with one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``: close to the speed of a plain COPY,
    where the ORM spends longer preparing 1,000 × 13 values than the database spends inserting.
    """
    if connection.vendor != "postgresql":
        objs = [SurveyResponse(**dict(zip(SURVEY_RESPONSE_COLUMNS, row, strict=True)), created_at=now) for row in rows]
        return _insert_ignoring_conflicts(objs, "external_id")
    qn = connection.ops.quote_name
    columns = ", ".join(qn(name) for name in SURVEY_RESPONSE_COLUMNS)
    definition = ", ".join(f"{qn(name)} {_SURVEY_COLUMN_TYPES.get(name, 'text')}" for name in SURVEY_RESPONSE_COLUMNS)
    table = qn(SurveyResponse._meta.db_table)
    with connection.cursor() as cursor:
        # Created once per database session; emptied here in case of an earlier batch in the same
        # transaction, and at commit. One round trip for both statements.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING_TABLE} ({definition}) ON COMMIT DELETE ROWS; "
            f"TRUNCATE {_STAGING_TABLE}"
        )
        dumps = json.dumps
        with cursor.copy(f"COPY {_STAGING_TABLE} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write((*row[:_ASPECTS], dumps(row[_ASPECTS]) if row[_ASPECTS] else "{}", *row[_ASPECTS + 1 :]))
        # Only identifiers are formatted in; the one value is a parameter.
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {qn('created_at')}) SELECT {columns}, %s FROM {_STAGING_TABLE} "  # noqa: S608
            f"ON CONFLICT DO NOTHING RETURNING {qn('external_id')}",
            [now],
        )
        return {row[0] for row in cursor.fetchall()}


def _units_by_code(org: Organization, codes: Iterable[str]) -> dict[str, tuple[int, str]]:
    codes = {c.strip() for c in codes if isinstance(c, str)}
    if not codes:
        return {}
    rows = OrgUnit.objects.for_org(org).filter(code__in=codes).values_list("code", "pk", "kind")
    return {code: (pk, kind) for code, pk, kind in rows}


def _survey_row(data: dict, org_pk: int, units, now) -> tuple | None:
    """The row of a well-formed JSON item (in SURVEY_RESPONSE_COLUMNS order), read in one pass;
    None when anything is unusual or wrong, and ``_survey_response`` reads the item again and words
    every error. The same checks, written for speed: the API takes 1,000 of these per request."""
    if not data.keys() <= _SURVEY_FIELD_SET:
        return None
    get = data.get
    external_id, unit = get("external_id"), get("unit")
    if type(external_id) is not str or type(unit) is not str:
        return None
    external_id, found = external_id.strip(), units.get(unit.strip())
    if not external_id or len(external_id) > 128 or found is None or found[1] != UnitKind.TEAM:
        return None
    try:
        responded_at = parse_moment(get("responded_at"), now)
    except ValidationError:
        return None
    nps, ces, csat = get("nps"), get("ces"), get("csat")
    if nps is None and ces is None and csat is None:
        return None
    if nps is not None and (type(nps) is not int or not 0 <= nps <= 10):
        return None
    if ces is not None and (type(ces) is not int or not 1 <= ces <= 7):
        return None
    if csat is not None and (type(csat) is not int or not 1 <= csat <= 5):
        return None
    texts = []
    for name in _SURVEY_TEXTS:
        value = get(name)
        if value is None:
            texts.append("")
        elif type(value) is str and not _UNSAFE_TEXT.search(value):
            texts.append(value.strip())
        else:
            return None
    channel, journey, trigger, segment, comment = texts
    if len(channel) > 64 or len(journey) > 64 or len(segment) > 64 or (trigger and trigger not in TRIGGERS):
        return None
    if len(comment) > COMMENT_MAX_LENGTH:
        return None
    aspects = get("aspects")
    if aspects is None:
        aspects = {}
    elif type(aspects) is not dict:
        return None
    else:
        low, high = ASPECT_RANGE
        for code, score in aspects.items():
            if len(code) > 64 or not _CODE_RE.match(code) or type(score) is not int or not low <= score <= high:
                return None
    respondent = get("respondent")
    if respondent is None:
        respondent = ""
    elif type(respondent) is not str or _UNSAFE_TEXT.search(respondent) or len(respondent) > RESPONDENT_MAX_LENGTH:
        return None
    # _SURVEY_TEXTS are in SURVEY_RESPONSE_COLUMNS order; the respondent is hashed by the caller.
    return (org_pk, external_id, found[0], responded_at, nps, ces, csat, *texts, aspects, respondent.strip())


def _survey_response(item: _Item, org, units, now) -> tuple | None:
    """The row of a valid item (in SURVEY_RESPONSE_COLUMNS order), else None with item.errors
    filled."""
    item.unknown_fields(_SURVEY_FIELD_SET)
    external_id = item.text("external_id", required=True, max_length=128)
    unit_code = item.text("unit", required=True)
    unit_id = None
    if unit_code:
        found = units.get(unit_code)
        if found is None:
            item.error("unit", _("Unknown unit code: %(code)s.") % {"code": unit_code})
        elif found[1] != UnitKind.TEAM:
            item.error(
                "unit",
                _("A survey response belongs to a team; %(code)s is a %(kind)s.")
                % {"code": unit_code, "kind": UnitKind(found[1]).label.lower()},
            )
        else:
            unit_id = found[0]
    responded_at = item.moment("responded_at", now)
    scores = {name: item.integer(name, low, high) for name, (low, high) in SCORE_RANGES.items()}
    if all(item.raw(name) is None for name in SCORE_RANGES):
        item.error("non_field_errors", _("Give at least one score: nps, ces or csat."))
    channel = item.text("channel", max_length=64)
    journey = item.text("journey", max_length=64)
    segment = item.text("segment", max_length=64)
    trigger = item.text("trigger", max_length=16)
    if trigger and trigger not in TRIGGERS:
        item.error("trigger", _("Must be one of: %(choices)s.") % {"choices": ", ".join(TRIGGERS)})
    comment = item.text("comment", max_length=COMMENT_MAX_LENGTH)
    aspects = _aspects(item)
    respondent = item.text("respondent", max_length=RESPONDENT_MAX_LENGTH)
    if item.errors:
        return None
    texts = (channel, journey, trigger, segment, comment)
    scores = (scores["nps"], scores["ces"], scores["csat"])
    return (org.pk, external_id, unit_id, responded_at, *scores, *texts, aspects, respondent)


def verbatim_markers(org: Organization) -> Markers:
    """The markers that replace personal data in comments, in the organization's language: a
    comment is stored once, in one language, for whoever reads it later, whatever the language
    of the client or the browser that sent it."""
    with translation.override(org.language):
        return Markers(email=_("[e-mail]"), phone=_("[phone]"), iban=_("[IBAN]"), card=_("[card]"))


def respondent_salt(org: Organization) -> bytes:
    """The organization's salt for respondent ids, made on first use."""
    salt, _created = RespondentSalt.objects.get_or_create(organization=org, defaults={"salt": secrets.token_hex(32)})
    return salt.salt.encode()


def respondent_hash(respondent: str, salt: bytes) -> str:
    """A respondent id pseudonymized: HMAC-SHA256 under the organization's salt, so that nobody
    without the salt can test a guessed id (an e-mail address, a customer number) against it."""
    return hmac.new(salt, respondent.encode(), hashlib.sha256).hexdigest() if respondent else ""


def _protect(rows: list[tuple], org: Organization) -> list[int]:
    """Mask the personal data of the rows' comments and hash their respondent ids, in place; the
    number of pieces masked in each row."""
    markers = verbatim_markers(org)
    salt = respondent_salt(org) if any(row[-1] for row in rows) else b""
    counts = []
    for i, row in enumerate(rows):
        comment, count = mask_personal_data(row[_COMMENT], markers)
        rows[i] = (*row[:_COMMENT], comment, *row[_COMMENT + 1 : -1], respondent_hash(row[-1], salt))
        counts.append(count)
    return counts


def _aspects(item: _Item) -> dict:
    value = item.raw("aspects")
    if value is None:
        return {}
    if not isinstance(value, dict):
        item.error("aspects", _("Must be an object of aspect codes to scores from 1 to 5."))
        return {}
    low, high = ASPECT_RANGE
    aspects = {}
    for code, score in value.items():
        if not _CODE_RE.match(code) or len(code) > 64:
            item.error("aspects", _("Invalid aspect code: %(code)s.") % {"code": code})
        elif isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
            item.error("aspects", _("%(code)s: must be a whole number from 1 to 5.") % {"code": code})
        else:
            aspects[code] = score
    return aspects


def survey_responses_ingest(*, org: Organization, items: list, from_text: bool = False) -> BulkResult:
    """Store the valid survey responses of ``items`` (dicts in the SPEC §8 shape), idempotent by
    ``external_id``; invalid items are rejected with their field errors, the others are kept.

    ``from_text``: the values come from a CSV/XLSX file: numbers given as text are accepted and
    empty cells mean "not given". Queries: one for the unit codes, one COPY and one INSERT for the
    batch (plus the dirty-period marks when something was created: the months of the responses,
    for their teams).

    One validation pass: a well-formed JSON item is read by ``_survey_row``; the others (and every
    item of a file) by ``_survey_response``, which words their errors. Before anything is stored,
    personal data in the comments is replaced by markers (counted in ``result.masked`` and in each
    item's ``masked``) and a ``respondent`` id is kept only as its salted hash.
    """
    now = timezone.now()
    result = BulkResult(len(items), masked=0)
    units = _units_by_code(org, (i.get("unit") for i in items if isinstance(i, dict)))
    pending: dict[str, list[int]] = {}  # external_id -> indexes of the valid items carrying it
    rows = []
    org_pk = org.pk
    for index, data in enumerate(items):
        if not isinstance(data, dict):
            result.reject(index, _not_an_object())
            continue
        row = None if from_text else _survey_row(data, org_pk, units, now)
        if row is None:
            item = _Item(data, from_text=from_text)
            row = _survey_response(item, org, units, now)
            if row is None:
                result.reject(index, item.errors)
                continue
        external_id = row[_EXTERNAL_ID]
        if external_id not in pending:
            rows.append(row)
            pending[external_id] = [index]
        else:
            pending[external_id].append(index)
    if rows:
        masked = _protect(rows, org)
        with transaction.atomic():
            created = _survey_responses_insert(rows, now)
            new = [r for r in rows if r[_EXTERNAL_ID] in created]
            if new:
                tz = org.tzinfo
                figures_change(
                    org=org,
                    days={r[_RESPONDED_AT].astimezone(tz).date() for r in new},
                    teams={r[_UNIT_ID] for r in new},
                )
        for row, count in zip(rows, masked, strict=True):
            first, *repeats = pending[row[_EXTERNAL_ID]]
            if row[_EXTERNAL_ID] in created:
                result.set(first, "created")
                if count:
                    result.results[first]["masked"] = count
                    result.masked += count
            else:
                result.set(first, "duplicate")
            for index in repeats:
                result.set(index, "duplicate")
    return result


def _period(item: _Item, today: datetime.date) -> datetime.date | None:
    value = item.raw("period")
    if value is None:
        item.error("period", _("This field is required."))
        return None
    month = Month.parse_or_none(value.strip()) if isinstance(value, str) else None
    if month is None:
        item.error("period", _("Must be a month written YYYY-MM."))
        return None
    start = month.first_day
    if start > today:
        item.error("period", _("This month is in the future."))
        return None
    return start


def metric_values_ingest(*, org: Organization, items: list, from_text: bool = False) -> BulkResult:
    """Upsert the valid metric values of ``items`` (``metric``, ``unit``, ``period`` YYYY-MM,
    ``value``) by (metric, unit, period): a value already stored is replaced and reported
    ``updated``. Within one batch the last item of a key wins. Queries: metric codes, unit codes,
    the existing keys, one upsert."""
    today = org.today()
    result = BulkResult(len(items), upsert=True)
    dicts = [i for i in items if isinstance(i, dict)]
    units = _units_by_code(org, (i.get("unit") for i in dicts))
    metric_codes = {i.get("metric") for i in dicts if isinstance(i.get("metric"), str)}
    metrics = dict(Metric.objects.for_org(org).filter(code__in=metric_codes).values_list("code", "pk"))
    by_key: dict[tuple, MetricValue] = {}
    indexes: dict[tuple, list[int]] = {}
    for index, data in enumerate(items):
        if not isinstance(data, dict):
            result.reject(index, _not_an_object())
            continue
        item = _Item(data, from_text=from_text)
        item.unknown_fields(_METRIC_VALUE_FIELD_SET)
        metric_code = item.text("metric", required=True)
        if metric_code and metric_code not in metrics:
            item.error("metric", _("Unknown metric code: %(code)s.") % {"code": metric_code})
        unit_code = item.text("unit", required=True)
        if unit_code and unit_code not in units:
            item.error("unit", _("Unknown unit code: %(code)s.") % {"code": unit_code})
        period_start = _period(item, today)
        value = item.number("value")
        if item.errors:
            result.reject(index, item.errors)
            continue
        key = (metrics[metric_code], units[unit_code][0], period_start)
        by_key[key] = MetricValue(
            organization=org, metric_id=key[0], unit_id=key[1], period_start=period_start, value=value
        )
        indexes.setdefault(key, []).append(index)
    if by_key:
        with transaction.atomic():
            existing = _existing_metric_keys(org, by_key)
            MetricValue.objects.bulk_create(
                list(by_key.values()),
                update_conflicts=True,
                unique_fields=["organization", "metric", "unit", "period_start"],
                update_fields=["value", "updated_at"],
            )
            figures_change(org=org, days={key[2] for key in by_key})
        for key, (first, *repeats) in indexes.items():
            result.set(first, "updated" if key in existing else "created")
            for index in repeats:
                result.set(index, "updated")
    return result


def _existing_metric_keys(org: Organization, by_key: dict) -> set:
    metric_ids = {k[0] for k in by_key}
    unit_ids = {k[1] for k in by_key}
    periods = {k[2] for k in by_key}
    rows = (
        MetricValue.objects.for_org(org)
        .filter(metric_id__in=metric_ids, unit_id__in=unit_ids, period_start__in=periods)
        .values_list("metric_id", "unit_id", "period_start")
    )
    return set(rows) & set(by_key)
