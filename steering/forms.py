"""Browser forms of the steering features: stakeholders (admins), action plans, the plan filters.

The forms only offer the organization's rows and codes; steering.services checks the rules
(its ValidationErrors land next to the fields)."""

from django import forms
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.models import OrgUnit
from steering.models import ACTION_PLAN_NOTES_MAX, ActionPlanStatus, ReportFrequency
from steering.selectors import org_users
from steering.services import dimension_codes

from . import kpi_codes


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} <{obj.email}>" if name else obj.email


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


def _with_current(choices: list[tuple[str, str]], current) -> list[tuple[str, str]]:
    """The offered codes, plus those already stored that are no longer offered (a renamed
    journey): editing must not drop them silently."""
    known = {code for code, _label in choices}
    extra = [(c, c) for c in current if c and c not in known]
    return [*choices, *extra]


class StakeholderForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=64, help_text=_("Short and stable, e.g. “after-sales”; unique in the organization.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    users = UserChoiceField(
        label=_("Users"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They receive the report."),
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Units in scope"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("None: the whole organization."),
    )
    kpis_for_action = forms.MultipleChoiceField(
        label=_("KPIs for action"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Within their lever: what they are expected to move."),
    )
    kpis_for_information = forms.MultipleChoiceField(
        label=_("KPIs for information"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Shown for context: they have no direct lever on them."),
    )
    frequency = forms.ChoiceField(label=_("Report frequency"), choices=ReportFrequency.choices)
    flagship_kpi = forms.ChoiceField(
        label=_("Flagship KPI"), help_text=_("The common indicator shown first in every report.")
    )

    def __init__(self, *args, org, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(instance, fields=list(self.base_fields))
        super().__init__(*args, **kwargs)
        self.org, self.instance = org, instance
        self.fields["users"].queryset = org_users(org=org)
        self.fields["units"].queryset = OrgUnit.objects.for_org(org).order_by("path")
        choices = kpi_codes.kpi_code_choices(org=org)
        current = [*instance.kpis_for_action, *instance.kpis_for_information] if instance else []
        for name in ("kpis_for_action", "kpis_for_information"):
            self.fields[name].choices = _with_current(choices, current)
        flagship = [instance.flagship_kpi] if instance else []
        self.fields["flagship_kpi"].choices = _with_current(choices, flagship)
        if instance is None:
            self.fields["flagship_kpi"].initial = "nps"
            self.fields["frequency"].initial = ReportFrequency.MONTHLY


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ActionPlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    owner = OwnerChoiceField(label=_("Owner"), queryset=None, required=False)
    target_kpi = forms.ChoiceField(label=_("Target KPI"), required=False)
    target_dimension = forms.ChoiceField(label=_("Target dimension"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ActionPlanStatus.choices, initial=ActionPlanStatus.PLANNED)
    start_on = forms.DateField(label=_("Start"), widget=_DateInput())
    due_on = forms.DateField(label=_("Due"), widget=_DateInput())
    done_on = forms.DateField(
        label=_("Completed on"), required=False, widget=_DateInput(), help_text=_("Only for a done plan.")
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=ACTION_PLAN_NOTES_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    external_id = forms.CharField(
        label=_("External id"),
        required=False,
        max_length=128,
        help_text=_("Optional: the id a REST client uses for this plan."),
    )

    def __init__(self, *args, org, units, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(instance, fields=list(self.base_fields))
        super().__init__(*args, **kwargs)
        self.org, self.instance = org, instance
        self.fields["unit"].queryset = units.order_by("path")
        self.fields["owner"].queryset = org_users(org=org)
        blank = [("", "—")]
        kpis = kpi_codes.kpi_code_choices(org=org)
        self.fields["target_kpi"].choices = blank + _with_current(kpis, [instance.target_kpi] if instance else [])
        dimensions = [(c, c) for c in sorted(dimension_codes(org=org))]
        current = [instance.target_dimension] if instance else []
        self.fields["target_dimension"].choices = blank + _with_current(dimensions, current)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["notes"] = data.get("notes") or ""
        return data


class ActionPlanFilterForm(forms.Form):
    """The list's filters, from the query string (codes and e-mails, so that URLs read well)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False, to_field_name="code")
    owner = OwnerChoiceField(label=_("Owner"), queryset=None, required=False, to_field_name="email")
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.ChoiceField(
        label=_("Overdue"), required=False, choices=[("", _("All")), ("yes", _("Overdue")), ("no", _("Not overdue"))]
    )

    def __init__(self, *args, org, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("path")
        self.fields["owner"].queryset = org_users(org=org)
        self.fields["status"].choices = [("", _("All")), *ActionPlanStatus.choices]

    def filters(self) -> dict:
        data = self.cleaned_data
        overdue = {"yes": True, "no": False}.get(data.get("overdue") or "")
        return {
            "unit": data.get("unit"),
            "owner": data.get("owner"),
            "status": data.get("status") or None,
            "overdue": overdue,
        }
