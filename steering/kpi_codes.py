"""The KPI codes of the steering features, defined once: what a stakeholder receives (for action,
for information, flagship) and what an action plan targets.

A code is one of
- a survey KPI: ``nps``, ``csat``, ``ces``;
- a survey KPI on one breakdown of the responses: ``<kpi>.<breakdown>=<value>`` with breakdown
  journey, segment, channel or trigger (``nps.journey=purchase``, ``csat.trigger=event``); the
  trigger is ``event`` (hot) or ``periodic`` (cold);
- one of the two rates: ``deployment_rate``, ``transformation_rate``;
- a metric code of the organization (``revenue``, ``handling_time`` …).

Parsing and validation here have no Django (tests call them with plain values); the one function
that reads an organization's metrics and breakdown values, ``kpi_code_choices``, imports the models
when called.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

SURVEY_KPIS = ("nps", "csat", "ces")
RATE_KPIS = ("deployment_rate", "transformation_rate")
BUILTIN_KPIS = SURVEY_KPIS + RATE_KPIS
BREAKDOWNS = ("journey", "segment", "channel", "trigger")
TRIGGER_VALUES = ("event", "periodic")
# A breakdown value is a survey response's channel / journey / segment (64 characters at most).
VALUE_MAX_LENGTH = 64
CODE_MAX_LENGTH = 150

# kpi[.breakdown=value]; the kpi part follows code_validator (metric codes), the value anything
# printable but '=' is allowed only once, as the separator.
_CODE_RE = re.compile(r"(?P<kpi>[A-Za-z0-9][A-Za-z0-9_\-]*)(?:\.(?P<breakdown>[a-z]+)=(?P<value>[^=\s][^=]*))?")


class KpiCodeError(ValueError):
    """A code that is not a KPI code of the organization. ``reason`` is one of ``syntax``,
    ``unknown_kpi``, ``breakdown`` (an unknown breakdown), ``breakdown_not_survey`` (a breakdown of
    a rate or a metric), ``trigger`` (a trigger other than event/periodic), ``too_long``; callers
    word the message in the user's language."""

    def __init__(self, reason: str, code: str):
        super().__init__(f"{reason}: {code!r}")
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class KpiCode:
    kpi: str
    breakdown: str = ""
    value: str = ""

    @property
    def kind(self) -> str:
        """``survey``, ``rate`` or ``metric``."""
        if self.kpi in SURVEY_KPIS:
            return "survey"
        if self.kpi in RATE_KPIS:
            return "rate"
        return "metric"

    @property
    def is_survey(self) -> bool:
        return self.kind == "survey"

    @property
    def filters(self) -> dict:
        """The survey filter of a breakdown code (``{"journey": "purchase"}``), for kpis_read."""
        return {self.breakdown: self.value} if self.breakdown else {}

    def __str__(self) -> str:
        return f"{self.kpi}.{self.breakdown}={self.value}" if self.breakdown else self.kpi


def parse(code: str, *, metric_codes: Collection[str] | None = None) -> KpiCode:
    """``code`` → KpiCode, or KpiCodeError. With ``metric_codes`` (the organization's), a kpi part
    that is neither built in nor one of them is refused; without, any well-formed one passes."""
    if not isinstance(code, str):
        raise KpiCodeError("syntax", str(code))
    code = code.strip()
    if len(code) > CODE_MAX_LENGTH:
        raise KpiCodeError("too_long", code)
    match = _CODE_RE.fullmatch(code)
    if not match:
        raise KpiCodeError("syntax", code)
    kpi, breakdown, value = match["kpi"], match["breakdown"] or "", (match["value"] or "").strip()
    if kpi not in BUILTIN_KPIS and metric_codes is not None and kpi not in metric_codes:
        raise KpiCodeError("unknown_kpi", code)
    if breakdown:
        if breakdown not in BREAKDOWNS:
            raise KpiCodeError("breakdown", code)
        if kpi not in SURVEY_KPIS:
            raise KpiCodeError("breakdown_not_survey", code)
        if len(value) > VALUE_MAX_LENGTH or not value:
            raise KpiCodeError("syntax", code)
        if breakdown == "trigger" and value not in TRIGGER_VALUES:
            raise KpiCodeError("trigger", code)
    return KpiCode(kpi, breakdown, value)


def normalize_list(codes, *, metric_codes: Collection[str] | None = None) -> list[str]:
    """A list of codes, parsed, in their canonical spelling, duplicates dropped (first kept).
    Raises KpiCodeError on the first bad one; a non-list is a syntax error."""
    if not isinstance(codes, list | tuple):
        raise KpiCodeError("syntax", str(codes))
    seen: dict[str, None] = {}
    for code in codes:
        seen.setdefault(str(parse(code, metric_codes=metric_codes)), None)
    return list(seen)


def label(code: KpiCode | str, *, names: Mapping[str, str], breakdown_names: Mapping[str, str]) -> str:
    """A human label: ``names`` maps a kpi part (built in or metric) to its name, ``breakdown_names``
    a breakdown to its name, both in the reader's language (``NPS · journey: purchase``)."""
    kc = code if isinstance(code, KpiCode) else parse(code)
    base = names.get(kc.kpi, kc.kpi)
    if not kc.breakdown:
        return base
    return f"{base} · {breakdown_names.get(kc.breakdown, kc.breakdown)}: {kc.value}"


# ---------------------------------------------------------------------------------------------
# The organization's codes (reads the database).


def builtin_names() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        "nps": _("NPS"),
        "csat": _("CSAT"),
        "ces": _("CES"),
        "deployment_rate": _("Deployment rate"),
        "transformation_rate": _("Transformation rate"),
    }


def breakdown_names() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {"journey": _("journey"), "segment": _("segment"), "channel": _("channel"), "trigger": _("trigger")}


def kpi_names(*, org) -> dict[str, str]:
    """kpi part → name: the built-in KPIs and the organization's metrics."""
    from kpis.models import Metric

    return {**builtin_names(), **dict(Metric.objects.for_org(org).values_list("code", "name"))}


def metric_codes(*, org) -> set[str]:
    from kpis.models import Metric

    return set(Metric.objects.for_org(org).values_list("code", flat=True))


def kpi_code_label(code: str, *, org=None, names: Mapping[str, str] | None = None) -> str:
    """The label of one code, in the active language; a code that no longer parses shows as is."""
    try:
        return label(code, names=names if names is not None else kpi_names(org=org), breakdown_names=breakdown_names())
    except KpiCodeError:
        return code


def kpi_code_choices(*, org) -> list[tuple[str, str]]:
    """The organization's available codes with their labels, for the forms: the five built-in
    KPIs, its metrics, then every survey KPI crossed with the trigger values and with the journeys,
    segments and channels its responses carry (read from the KPI snapshots) and the journeys of its
    experience model."""
    from experience.models import Journey
    from kpis.models import TeamKpiSnapshot

    names = kpi_names(org=org)
    bnames = breakdown_names()
    values: dict[str, set[str]] = {b: set() for b in BREAKDOWNS}
    values["trigger"].update(TRIGGER_VALUES)
    rows = (
        TeamKpiSnapshot.objects.for_org(org)
        .exclude(breakdown="")
        .values_list("breakdown", "value")
        .distinct()
        .order_by()
    )
    for breakdown, value in rows:
        if breakdown in values and value and len(value) <= VALUE_MAX_LENGTH and "=" not in value:
            values[breakdown].add(value)
    values["journey"].update(c for c in Journey.objects.for_org(org).values_list("code", flat=True) if c)
    codes = [KpiCode(k) for k in BUILTIN_KPIS]
    codes += [KpiCode(c) for c in sorted(names) if c not in BUILTIN_KPIS]
    for kpi in SURVEY_KPIS:
        for breakdown in BREAKDOWNS:
            codes += [KpiCode(kpi, breakdown, v) for v in sorted(values[breakdown])]
    return [(str(c), label(c, names=names, breakdown_names=bnames)) for c in codes]
