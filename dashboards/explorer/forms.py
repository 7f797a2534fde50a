"""The KPI explorer's and the verbatims' filters, all in the query string (a link reproduces the view):
``?unit=CODE&from=YYYY-MM&to=YYYY-MM&journey=…&segment=…&channel=…&trigger=event`` and, for the
explorer, ``&period=week|month|quarter&kpi=nps|csat|ces&by=journey&csv=trend&tree=as-was``; for the verbatims
``&band=promoters&q=accueil&page=2``.

A missing value takes its default (the organization or the manager's teams, the last 12 months, by
month, NPS); a value that is there but wrong is a form error (the page answers 400), never a
silent default."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import Organization, OrgUnit
from dashboards.forms import UnitSpanForm, tree_field
from kpis.engine.surveys import BREAKDOWNS
from kpis.models import SurveyTrigger

# Weekly figures are counted from the responses: at most a year of weeks on one page.
MAX_WEEK_MONTHS = 12
KPIS = ("nps", "csat", "ces")
CHARTS = (*(f"trend-{kpi}" for kpi in KPIS), *BREAKDOWNS)
TEXT_MAX_LENGTH = 200

BREAKDOWN_LABELS = {
    "journey": _("Journey"),
    "segment": _("Segment"),
    "channel": _("Channel"),
    "trigger": _("Trigger"),
}
TRIGGER_LABELS = dict(SurveyTrigger.choices)


def value_label(breakdown: str, value: str, journey_names: dict) -> str:
    """How a breakdown value reads: a journey's name, hot / cold for a trigger, else the value."""
    if value == "":
        return str(_("Not given"))
    if breakdown == "journey":
        return journey_names.get(value, value)
    if breakdown == "trigger":
        return str(TRIGGER_LABELS.get(value, value))
    return value


class SurveyScopeForm(UnitSpanForm):
    """Which responses: a unit (within the membership's scope), a span of months, and at most one
    value of each breakdown."""

    journey = forms.ChoiceField(label=_("Journey"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    trigger = forms.ChoiceField(label=_("Trigger"), required=False)

    def __init__(
        self,
        data,
        *,
        org: Organization,
        current,
        units: list[OrgUnit],
        everything_label: str,
        values: dict[str, list[str]],
        journey_names: dict[str, str],
    ):
        super().__init__(data, org=org, current=current, units=units, everything_label=everything_label)
        for breakdown in BREAKDOWNS:
            choices = [(v, value_label(breakdown, v, journey_names)) for v in values.get(breakdown, [])]
            self.fields[breakdown].choices = [("", _("All")), *choices]

    def clean_unit(self) -> OrgUnit | None:
        code = self.cleaned_data.get("unit")
        return self.units[code] if code else None

    def clean(self):
        data = super().clean()
        data["filters"] = {b: data[b] for b in BREAKDOWNS if data.get(b)}
        return data


BY_LABELS = {
    "journey": _("One line per journey"),
    "segment": _("One line per segment"),
    "channel": _("One line per channel"),
    "trigger": _("Hot and cold apart"),
}


class KpiExplorerForm(SurveyScopeForm):
    period = forms.ChoiceField(
        label=_("By"),
        required=False,
        choices=[("month", _("Month")), ("week", _("Week")), ("quarter", _("Quarter"))],
    )
    kpi = forms.ChoiceField(label=_("Figure"), required=False, choices=[(k, k.upper()) for k in KPIS])
    by = forms.ChoiceField(label=_("Lines"), required=False, choices=[("", _("All responses")), *BY_LABELS.items()])
    csv = forms.ChoiceField(required=False, choices=[(c, c) for c in CHARTS])
    tree = tree_field()

    def clean(self):
        data = super().clean()
        data["period"] = data.get("period") or "month"
        data["kpi"] = data.get("kpi") or "nps"
        data["by"] = data.get("by") or None
        span = data.get("span")
        if span is not None and data["period"] == "week" and len(span) > MAX_WEEK_MONTHS:
            self.add_error(
                "period",
                _("Weekly figures cover at most %(n)d months: choose a shorter span or another period.")
                % {"n": MAX_WEEK_MONTHS},
            )
        return data


class VerbatimForm(SurveyScopeForm):
    band = forms.ChoiceField(
        label=_("NPS category"),
        required=False,
        choices=[
            ("", _("Every score")),
            ("promoters", _("Promoters (9–10)")),
            ("passives", _("Passives (7–8)")),
            ("detractors", _("Detractors (0–6)")),
        ],
    )
    q = forms.CharField(label=_("Words"), required=False, max_length=TEXT_MAX_LENGTH, strip=True)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def clean(self):
        data = super().clean()
        data["page"] = data.get("page") or 1
        return data
