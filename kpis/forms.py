from django import forms
from django.utils.translation import gettext_lazy as _

from cxtracker.tabular import EXTENSIONS, TableError
from cxtracker.tenancy.models import ApiKey, ApiKeyScope

from .models import Metric, UploadKind
from .uploads import ASPECT_PREFIX, COLUMNS, upload_check


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("Who uses it, e.g. “Survey tool” or “ERP export”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiKeyScope.choices,
        initial=[ApiKeyScope.READ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if ApiKey.objects.for_org(self.org).filter(name__iexact=name).exists():
            raise forms.ValidationError(_("An API key with this name already exists."))
        return name


class MetricForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["code", "name", "category", "unit_of_measure", "higher_is_better"]
        help_texts = {
            "code": _("What REST clients and uploads use, e.g. “revenue”. Unique in the organization."),
            "unit_of_measure": _("e.g. €, %, min, count."),
        }

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_code(self):
        code = self.cleaned_data["code"]
        others = Metric.objects.for_org(self.org).filter(code=code)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A metric with this code already exists."))
        return code


def _columns_help(kind):
    columns = ", ".join(COLUMNS[kind])
    if kind == UploadKind.SURVEY_RESPONSES:
        return _("%(columns)s, and one %(prefix)s<code> column per aspect score.") % {
            "columns": columns,
            "prefix": ASPECT_PREFIX,
        }
    return columns


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Data"), choices=UploadKind.choices)
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

    def clean(self):
        cleaned = super().clean()
        kind, file = cleaned.get("kind"), cleaned.get("file")
        if kind and file:
            try:
                upload_check(file=file, kind=kind)
            except TableError as exc:
                self.add_error("file", str(exc))
        return cleaned

    @staticmethod
    def columns_help():
        return [(label, _columns_help(kind)) for kind, label in UploadKind.choices]
