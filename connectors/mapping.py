"""From a tool's payload to a survey response of SPEC §8, by the connector's mapping.

A mapping names, for each field of a survey response, where its value comes from:

- a *source* of the payload: for Typeform an answer by field ``ref`` (or id), ``hidden.<name>``,
  ``variables.<key>``, or any dotted path of ``form_response``; for Formbricks an answer by question
  id (hidden fields too), ``meta.*``, ``contactAttributes.*``, or any dotted path of ``data``; for
  the generic tool a dotted path of the JSON (``a.b[0].c``); for a CSV export a column (its
  heading, or for Qualtrics its ImportId);
- a constant, written ``=value`` (``"channel": "=store"``); ``trigger`` also takes ``hot`` or
  ``cold`` (``event`` / ``periodic``) as they are.

The response id and the date default to the tool's own (Typeform ``token`` and ``submitted_at``,
Formbricks ``id`` and ``updatedAt``, Qualtrics ``ResponseId`` and ``RecordedDate``…); a payload
without a date is dated when it is received. What the mapping gives is then validated by the
survey-response ingestion, the one place for that (``kpis.ingest``).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ConnectorTool

SCORE_FIELDS = ("nps", "csat", "ces")
MAPPED_FIELDS = (
    *SCORE_FIELDS,
    "comment",
    "unit",
    "journey",
    "segment",
    "channel",
    "trigger",
    "external_id",
    "responded_at",
    "respondent",
)
DEFAULT_SOURCES = {
    ConnectorTool.TYPEFORM: {"external_id": "token", "responded_at": "submitted_at"},
    ConnectorTool.FORMBRICKS: {"external_id": "id", "responded_at": "updatedAt"},
    ConnectorTool.GENERIC: {"external_id": "id"},
    ConnectorTool.QUALTRICS: {"external_id": "ResponseId", "responded_at": "RecordedDate"},
    ConnectorTool.SURVEYMONKEY: {"external_id": "Respondent ID", "responded_at": "End Date"},
}
TRIGGER_WORDS = {"hot": "event", "cold": "periodic", "event": "event", "periodic": "periodic"}
# The events of a webhook tool that carry a response to store; others are answered "ignored".
DEFAULT_EVENTS = {ConnectorTool.TYPEFORM: ("form_response",), ConnectorTool.FORMBRICKS: ("responseFinished",)}
FORMBRICKS_EVENTS = ("responseFinished", "responseCreated")
SOURCE_MAX_LENGTH = 200
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def path_get(data, path: str):
    """``a.b[0].c`` of nested dicts and lists; ``_MISSING`` when any step is absent."""
    for name, index in _PATH_TOKEN.findall(path):
        if name:
            if not isinstance(data, dict) or name not in data:
                return _MISSING
            data = data[name]
        else:
            if not isinstance(data, list) or int(index) >= len(data):
                return _MISSING
            data = data[int(index)]
    return data


def _typeform_answer(answer: dict):
    kind = answer.get("type")
    value = answer.get(kind)
    if kind == "choice" and isinstance(value, dict):
        return value.get("label") or value.get("other")
    if kind == "choices" and isinstance(value, dict):
        return ", ".join([*value.get("labels", []), *([value["other"]] if value.get("other") else [])])
    return value


class Sources:
    """What a mapping's sources name in one response of a tool."""

    def __init__(self, tool: str, payload):
        self.tool = tool
        self.payload = payload
        self.answers: dict = {}
        self.root = payload
        if tool == ConnectorTool.TYPEFORM:
            self._typeform(payload.get("form_response") if isinstance(payload, dict) else None)
        elif tool == ConnectorTool.FORMBRICKS:
            data = payload.get("data") if isinstance(payload, dict) else None
            self.root = data if isinstance(data, dict) else {}
            answers = self.root.get("data")
            self.answers = answers if isinstance(answers, dict) else {}

    def _typeform(self, response) -> None:
        self.root = response if isinstance(response, dict) else {}
        refs = {
            f.get("id"): f.get("ref")
            for f in path_get(self.root, "definition.fields") or []
            if isinstance(f, dict) and f.get("ref")
        }
        for answer in self.root.get("answers") or []:
            if not isinstance(answer, dict) or not isinstance(answer.get("field"), dict):
                continue
            field = answer["field"]
            value = _typeform_answer(answer)
            for key in (field.get("id"), field.get("ref") or refs.get(field.get("id"))):
                if key:
                    self.answers[key] = value
        variables = {}
        for variable in self.root.get("variables") or []:
            if isinstance(variable, dict) and "key" in variable:
                variables[variable["key"]] = variable.get(variable.get("type"))
        self.answers.update({f"variables.{key}": value for key, value in variables.items()})

    def get(self, source: str):
        """The value ``source`` names, or ``_MISSING``."""
        if self.tool in (ConnectorTool.QUALTRICS, ConnectorTool.SURVEYMONKEY):
            return self.payload.get(source, _MISSING)
        if source in self.answers:
            return self.answers[source]
        value = path_get(self.root, source)
        if value is _MISSING and self.root is not self.payload:
            value = path_get(self.payload, source)
        return value


def event_wanted(tool: str, mapping: dict, payload) -> bool:
    """Whether a webhook event carries a response to store (Typeform ``form_response``, Formbricks
    ``responseFinished`` unless the mapping's ``events`` says otherwise; every generic payload)."""
    default = DEFAULT_EVENTS.get(tool)
    if default is None:
        return True
    key = "event_type" if tool == ConnectorTool.TYPEFORM else "event"
    wanted = mapping.get("events") or default
    return isinstance(payload, dict) and payload.get(key) in wanted


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def item_build(*, tool: str, mapping: dict, payload, received_at: str) -> tuple[dict, dict]:
    """The survey-response item of one response, and the errors of what could not be mapped
    (``{field: [message]}``): a response id, a unit and at least one mapped score are required."""
    sources = Sources(tool, payload)
    item, errors, missing_scores = {}, {}, {}
    defaults = DEFAULT_SOURCES[tool]
    for field in MAPPED_FIELDS:
        source = mapping.get(field) or defaults.get(field)
        if not source:
            continue
        if field == "trigger" and source in TRIGGER_WORDS:
            item[field] = TRIGGER_WORDS[source]
            continue
        if source.startswith("="):
            item[field] = source[1:]
            continue
        value = sources.get(source)
        if value is _MISSING or value is None or value == "":
            message = _("No answer to “%(source)s” in the payload.") % {"source": source}
            if field in SCORE_FIELDS:
                missing_scores[field] = [message]
            elif field in ("unit", "external_id"):
                errors[field] = [message]
            continue
        if field == "trigger":
            value = TRIGGER_WORDS.get(str(value).strip().lower(), value)
        if field not in SCORE_FIELDS:
            value = _text(value)
        item[field] = value
    if not any(field in item for field in SCORE_FIELDS):
        errors.update(missing_scores or {"nps": [_("Map at least one score: nps, csat or ces.")]})
    item.setdefault("responded_at", received_at)
    return item, errors


def mapping_clean(*, tool: str, mapping) -> dict:
    """The mapping as stored: known fields, sources as non-empty text; a unit and a score mapped.
    Raises a ValidationError keyed ``mapping``."""
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("Must be an object of survey-response fields to sources.")})
    problems, cleaned = [], {}
    for field, source in mapping.items():
        if field == "events" and tool == ConnectorTool.FORMBRICKS:
            if not isinstance(source, list) or not source or not set(source) <= set(FORMBRICKS_EVENTS):
                problems.append(_("events: a list of %(events)s.") % {"events": ", ".join(FORMBRICKS_EVENTS)})
            else:
                cleaned[field] = source
            continue
        if field not in MAPPED_FIELDS:
            problems.append(_("%(field)s: not a field of a survey response.") % {"field": field})
        elif not isinstance(source, str) or not source.strip() or len(source) > SOURCE_MAX_LENGTH:
            problems.append(
                _("%(field)s: give a source of at most %(n)d characters.") % {"field": field, "n": SOURCE_MAX_LENGTH}
            )
        else:
            cleaned[field] = source.strip()
    if "unit" not in cleaned:
        problems.append(_("unit: say where the team's code comes from (a source, or =CODE)."))
    if not any(field in cleaned for field in SCORE_FIELDS):
        problems.append(_("Map at least one score: nps, csat or ces."))
    if problems:
        raise ValidationError({"mapping": problems})
    return cleaned
