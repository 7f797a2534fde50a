"""What the dashboards' filters share: everything lives in the query string, so that a link
reproduces the view."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cxtracker.months import Month, MonthSpan
from cxtracker.tenancy.models import Organization, Tree, UnitKind

# The default span, and the longest one a page draws (five years of months).
DEFAULT_MONTHS = 12
MAX_MONTHS = 60
# Above this many units the unit list offers the regions and business units only (and the
# chosen unit): a team is reached by drilling down.
UNIT_CHOICES_MAX = 400


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": _("Give a month as YYYY-MM (for example 2026-03).")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        month = Month.parse_or_none(value.strip())
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month


def tree_field() -> forms.ChoiceField:
    """``?tree=as-was``: roll-ups read each month in the tree of that month (default: today's)."""
    return forms.ChoiceField(label=_("Org tree"), required=False, choices=Tree.choices)


def tree_param(data: dict) -> str | None:
    """The cleaned tree as the query string writes it (the default, or a page without the
    choice: None)."""
    tree = data.get("tree")
    return tree if tree != Tree.AS_IS else None


class UnitSpanForm(forms.Form):
    """``?unit=CODE&from=YYYY-MM&to=YYYY-MM``: a unit of ``units`` (none: everything the page covers,
    ``everything_label``) and a span of months. Missing values take their defaults (the last 12
    months to the current one); a value that is there but wrong is a form error, never a silent
    default. ``cleaned_data["span"]`` is the span."""

    unit = forms.ChoiceField(label=_("Unit"), required=False)
    from_ = MonthField(label=_("From"), required=False)
    to = MonthField(label=_("To"), required=False)

    def __init__(self, data, *, org: Organization, current: Month, units: list, everything_label: str):
        # ``from`` is a Python keyword: the field is from_, the query string says from.
        data = data.copy()
        if "from" in data:
            data["from_"] = data.pop("from")[-1]
        super().__init__(data)
        self.org = org
        self.current = current
        self.units = {u.code: u for u in units}
        self.fields["unit"].choices = [("", everything_label), *_unit_choices(units, asked=data.get("unit"))]
        self.fields["unit"].valid_value = lambda value: value in self.units or value == ""

    def clean(self):
        data = super().clean()
        if "tree" in self.fields:
            data["tree"] = data.get("tree") or Tree.AS_IS
        last = data.get("to") or self.current
        if "to" in data and last > self.current:
            self.add_error("to", _("Choose a month no later than the current one."))
            return data
        first = data.get("from_") or last.shift(1 - DEFAULT_MONTHS)
        if "from_" in data and "to" in data:
            if first > last:
                self.add_error("to", _("“To” is before “From”."))
                return data
            if last - first + 1 > MAX_MONTHS:
                self.add_error("from_", _("Choose at most %(n)d months.") % {"n": MAX_MONTHS})
                return data
            data["span"] = MonthSpan(first, last)
        return data


def _unit_choices(units: list, *, asked: str | None) -> list[tuple[str, str]]:
    """The units in the chooser, indented by depth below the shallowest one listed. Above
    ``UNIT_CHOICES_MAX`` units, the regions and business units only (and the asked one): a team is
    reached by drilling down."""
    shown = [u for u in units if len(units) <= UNIT_CHOICES_MAX or u.kind != UnitKind.TEAM or u.code == asked]
    top = min((u.path.count("/") for u in shown), default=0)
    return [(u.code, "\u2003" * (u.path.count("/") - top) + u.name) for u in shown]
