"""The transformation dashboard's filters, all in the query string (a link reproduces the view)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, OrgUnit
from dashboards.forms import UnitSpanForm, tree_field
from kpis.models import Metric

SORT_KEYS = (
    "name",
    "members",
    "deployment",
    "transformation",
    "nps",
    "nps_change",
    "csat",
    "csat_change",
    "ces",
    "ces_change",
)
CHARTS = ("trend", "children", "heatmap", "scatter", "lag")


class TransformationFilterForm(UnitSpanForm):
    """``?unit=CODE&from=YYYY-MM&to=YYYY-MM&metric=revenue&sort=-nps&mastery=known&lag=nps&csv=trend&tree=as-was``.

    Missing values take their defaults (the organization, the last 12 months, revenue, …); a value
    that is there but wrong is a form error, never a silent default."""

    unit = forms.ChoiceField(
        label=_("Unit"), required=False, error_messages={"invalid_choice": _("Unknown unit code: %(value)s.")}
    )
    metric = forms.ChoiceField(label=_("Business metric"), required=False)
    mastery = forms.ChoiceField(
        label=_("Mastery"),
        required=False,
        choices=[("mastered", _("Mastered share")), ("known", _("Known share"))],
    )
    lag = forms.ChoiceField(label=_("Outcome"), required=False)
    sort = forms.ChoiceField(required=False, choices=[(f"{sign}{key}", key) for key in SORT_KEYS for sign in ("", "-")])
    csv = forms.ChoiceField(required=False, choices=[(c, c) for c in CHARTS])
    tree = tree_field()

    def __init__(self, data, *, org: Organization, current: Month, units, metrics):
        super().__init__(data, org=org, current=current, units=units, everything_label=org.name)
        self.metrics = {m.code: m for m in metrics}
        self.fields["metric"].choices = [(m.code, m.name) for m in metrics]
        self.fields["lag"].choices = [("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")] + [
            (m.code, m.name) for m in metrics
        ]

    def clean_unit(self) -> OrgUnit | None:
        code = self.cleaned_data.get("unit")
        if not code:
            return None
        unit = self.units[code]
        return unit if isinstance(unit, OrgUnit) else OrgUnit.objects.for_org(self.org).get(pk=unit.pk)

    def clean_metric(self) -> Metric | None:
        code = self.cleaned_data.get("metric")
        if code:
            return self.metrics[code]
        default = self.metrics.get("revenue")
        return default or next(iter(self.metrics.values()), None)

    def clean(self):
        data = super().clean()
        data["sort"] = data.get("sort") or "name"
        data["mastery"] = data.get("mastery") or "mastered"
        data["lag"] = data.get("lag") or "nps"
        return data
