from django import forms
from django.utils.translation import gettext_lazy as _

from cxtracker.tabular import EXTENSIONS

from .mapping import MAPPED_FIELDS
from .models import ConnectorAuth, ConnectorTool

MAPPING_HELP = {
    "nps": _("0–10. e.g. an answer's ref or id (Typeform), a question id (Formbricks), a column (CSV)."),
    "csat": _("1–5."),
    "ces": _("1–7."),
    "comment": _("The verbatim: personal data in it is masked when stored."),
    "unit": _("The team's code: a source (e.g. hidden.store) or a constant written =CODE."),
    "trigger": _("hot or cold, or a source whose value is hot, cold, event or periodic."),
    "external_id": _("The tool's response id (by default its own: token, id, ResponseId, Respondent ID)."),
    "responded_at": _("The date (by default the tool's own; else when received)."),
    "respondent": _("The respondent's id: stored only pseudonymized."),
}


class MappingForm(forms.Form):
    """One source per field of a survey response; empty fields are not mapped."""

    def __init__(self, *args, mapping=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MAPPED_FIELDS:
            self.fields[name] = forms.CharField(
                label=name, required=False, max_length=200, help_text=MAPPING_HELP.get(name, "")
            )
            if mapping and name in mapping:
                self.fields[name].initial = mapping[name]
        self.extra = {k: v for k, v in (mapping or {}).items() if k not in MAPPED_FIELDS}

    def mapping(self) -> dict:
        chosen = {name: self.cleaned_data[name].strip() for name in MAPPED_FIELDS if self.cleaned_data.get(name)}
        return {**self.extra, **chosen}


class ConnectorForm(MappingForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own = {
            "name": forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. “Stores, hot survey”.")),
            "tool": forms.ChoiceField(label=_("Tool"), choices=ConnectorTool.choices),
            "auth": forms.ChoiceField(
                label=_("Verification"),
                choices=ConnectorAuth.choices,
                initial=ConnectorAuth.SIGNATURE,
                help_text=_("A generic connector may take an API key of the organization instead of a signature."),
            ),
            "secret": forms.CharField(
                label=_("Signing secret"),
                required=False,
                max_length=200,
                help_text=_("Formbricks: paste the secret it shows for its webhook. Empty: cxtracker makes one."),
            ),
        }
        self.fields = {**own, **self.fields}


class PreviewForm(forms.Form):
    payload = forms.CharField(
        label=_("Sample payload (JSON)"), widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"})
    )


class ExportForm(forms.Form):
    file = forms.FileField(
        label=_("Export file (CSV)"), widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)})
    )
