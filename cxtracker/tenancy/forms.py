"""Forms of the setup screens. Each takes the organization, and every choice it offers (parents,
teams, units) comes from that organization only."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cxtracker.months import Month
from cxtracker.tabular import EXTENSIONS

from . import selectors
from .models import (
    KIND_RANK,
    MEMBER_START_MAX_AHEAD,
    Member,
    Membership,
    Organization,
    OrgUnit,
    Role,
    UnitKind,
    member_start_error,
    month_start,
    placement_error,
)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{'— ' * unit.depth}{unit.name} ({unit.code})"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        return f"{'— ' * unit.depth}{unit.name} ({unit.code})"


class _CodeUniqueInOrg:
    """Codes are unique per organization; the model constraint names the organization, which is
    not a form field, so the form checks it itself (a clear error rather than an IntegrityError)."""

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        taken = self._meta.model.objects.for_org(self.org).filter(code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("The code “%(code)s” is already used in this organization.") % {"code": code})
        return code


class OrgUnitForm(_CodeUniqueInOrg, forms.ModelForm):
    parent = UnitChoiceField(queryset=OrgUnit.objects.none(), required=False, label=_("Parent"))
    effective_month = forms.CharField(
        label=_("Effective month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}),
        help_text=_(
            "The month a move takes effect (default: the current month): figures read “as it was each month” "
            "count the unit under its former parent until then. For a new unit, the month it exists from "
            "(default: always)."
        ),
    )

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "parent"]

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.instance.organization = org
        self._original_kind = self.instance.kind if self.instance.pk else None
        self._original_parent = self.instance.parent_id if self.instance.pk else None
        parents = selectors.unit_choices(org=org, kinds=[UnitKind.REGION, UnitKind.BUSINESS_UNIT])
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents
        self.fields["parent"].help_text = _("Empty for a region. Changing it moves the unit with everything under it.")

    def clean_effective_month(self):
        value = self.cleaned_data["effective_month"].strip()
        if not value:
            return None
        month = Month.parse_or_none(value)
        if month is None:
            raise forms.ValidationError(_("Give a month as YYYY-MM (for example 2026-03)."))
        return month.first_day

    def clean(self):
        cleaned = super().clean()
        since = cleaned.get("effective_month")
        parent = cleaned.get("parent")
        moved = self.instance.pk and "parent" in cleaned and (parent.pk if parent else None) != self._original_parent
        if since is not None or moved:
            unit = OrgUnit.objects.get(pk=self.instance.pk) if self.instance.pk else None
            error = placement_error(self.org, unit, parent, since or month_start(self.org.today()))
            if error:
                self.add_error("effective_month", error)
        kind = cleaned.get("kind")
        if self.instance.pk and kind and kind != self._original_kind:
            unit = self.instance
            if kind != UnitKind.TEAM and unit.members.exists():
                self.add_error("kind", _("Members belong to this team: move them before changing its kind."))
            lowest_child = min((KIND_RANK[k] for k in unit.children.values_list("kind", flat=True)), default=None)
            if lowest_child is not None and lowest_child <= KIND_RANK[kind]:
                self.add_error(
                    "kind",
                    _("Units sit under this one: a %(kind)s cannot hold them.")
                    % {"kind": UnitKind(kind).label.lower()},
                )
        return cleaned


class MemberForm(_CodeUniqueInOrg, forms.ModelForm):
    team = UnitChoiceField(queryset=OrgUnit.objects.none(), label=_("Team"))

    class Meta:
        model = Member
        fields = ["code", "name", "team", "active_from", "active_to"]
        widgets = {
            "active_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "active_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.instance.organization = org
        self.fields["team"].queryset = selectors.team_choices(org=org)
        if not self.instance.pk:
            self.fields["active_from"].initial = org.today()
        self.fields["active_from"].widget.attrs["max"] = (org.today() + MEMBER_START_MAX_AHEAD).isoformat()

    def clean_active_from(self):
        day = self.cleaned_data["active_from"]
        unchanged = self.instance.pk and day == self.initial.get("active_from")
        if not unchanged and (error := member_start_error(self.org, day)):
            raise forms.ValidationError(error)
        return day


class MemberDeactivateForm(forms.Form):
    active_to = forms.DateField(
        label=_("Last active day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        # A departure already planned is the date to change; otherwise today (or the start date).
        self.fields["active_to"].initial = member.active_to or max(member.organization.today(), member.active_from)

    def clean_active_to(self):
        day = self.cleaned_data["active_to"]
        if day < self.member.active_from:
            raise forms.ValidationError(
                _("The last active day cannot be before the start date (%(date)s).") % {"date": self.member.active_from}
            )
        return day


class _MembershipFields(forms.Form):
    # No default: giving someone the administrator role must be a deliberate choice.
    role = forms.ChoiceField(label=_("Role"), choices=[("", "---------"), *Role.choices])
    units = UnitMultipleChoiceField(
        queryset=OrgUnit.objects.none(),
        required=False,
        label=_("Units (managers)"),
        help_text=_("A manager works in these units and everything under them."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["units"].queryset = selectors.unit_choices(org=org)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.MANAGER and not cleaned.get("units"):
            self.add_error("units", _("A manager needs at least one unit."))
        return cleaned


class MembershipCreateForm(_MembershipFields):
    email = forms.EmailField(label=_("E-mail"))
    field_order = ["email", "role", "units"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        users = get_user_model().objects.filter(email__iexact=email)
        if Membership.objects.for_org(self.org).filter(user__in=users).exists():
            raise forms.ValidationError(_("This user already belongs to the organization."))
        return email


class MembershipForm(_MembershipFields):
    pass


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "timezone",
            "language",
            "rate_weight",
            "expected_animations_per_month",
            "min_sample_size",
            "min_group_size",
        ]
        widgets = {"rate_weight": forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1"})}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=[("units", _("Org units")), ("members", _("Members"))]
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon) or Excel .xlsx, at most 5 MB; the first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )


class ImportConfirmForm(forms.Form):
    kind = forms.ChoiceField(choices=[("units", "units"), ("members", "members")], widget=forms.HiddenInput)
    payload = forms.CharField(widget=forms.HiddenInput)
