import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Behavior, Dimension, ExperienceModel, Journey, JourneyStage

MAX_IMPORT_BYTES = 1_000_000


class ExperienceModelForm(forms.ModelForm):
    class Meta:
        model = ExperienceModel
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class _CodeUniqueWithin(forms.ModelForm):
    """The unique constraints include ``organization``, which is not a form field, so Django does
    not check them: check the code against ``siblings`` (the rows it must differ from)."""

    duplicate_message = _("This code is already used.")

    def __init__(self, *args, siblings, locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.siblings = siblings
        if locked and "code" in self.fields:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Codes cannot change on a version that is active or has observations.")

    def clean_code(self):
        code = self.cleaned_data["code"]
        others = self.siblings.exclude(pk=self.instance.pk) if self.instance.pk else self.siblings
        if others.filter(code=code).exists():
            raise forms.ValidationError(self.duplicate_message)
        return code


class DimensionForm(_CodeUniqueWithin):
    duplicate_message = _("Another dimension of this version already has this code.")

    class Meta:
        model = Dimension
        fields = ["code", "name", "description", "journeys"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "journeys": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["journeys"].queryset = Journey.objects.for_org(org).order_by("name")
        self.fields["journeys"].help_text = _("The customer journeys where this dimension matters.")


class BehaviorForm(_CodeUniqueWithin):
    duplicate_message = _("Another behavior of this version already has this code.")

    class Meta:
        model = Behavior
        fields = [
            "dimension",
            "code",
            "name",
            "guidance_unknown",
            "guidance_known",
            "guidance_applied",
            "guidance_mastered",
        ]
        widgets = {
            "guidance_unknown": forms.Textarea(attrs={"rows": 2}),
            "guidance_known": forms.Textarea(attrs={"rows": 2}),
            "guidance_applied": forms.Textarea(attrs={"rows": 2}),
            "guidance_mastered": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, model, locked=False, **kwargs):
        super().__init__(*args, locked=locked, **kwargs)
        self.fields["dimension"].queryset = model.dimensions.order_by("position", "id")
        self.fields["dimension"].empty_label = None
        if locked and self.instance.pk:
            self.fields["dimension"].disabled = True


class JourneyForm(_CodeUniqueWithin):
    duplicate_message = _("Another journey already has this code.")

    class Meta:
        model = Journey
        fields = ["code", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class JourneyStageForm(forms.ModelForm):
    class Meta:
        model = JourneyStage
        fields = ["name", "is_moment_of_truth"]


class ModelImportForm(forms.Form):
    file = forms.FileField(
        label=_("JSON file"), required=False, help_text=_("A file exported from cxtracker, or written by hand.")
    )
    text = forms.CharField(
        label=_("…or paste the JSON"), required=False, widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"})
    )
    activate = forms.BooleanField(
        label=_("Activate now"),
        required=False,
        help_text=_("Rates switch to the new version at once; past observations keep theirs."),
    )

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text", "").strip()
        if upload and text:
            raise forms.ValidationError(_("Give either a file or pasted JSON, not both."))
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(_("The file is too large (1 MB at most)."))
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not text:
            raise forms.ValidationError(_("Choose a JSON file or paste the JSON."))
        try:
            cleaned["data"] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)d, column %(column)d: %(error)s)."),
                params={"line": exc.lineno, "column": exc.colno, "error": exc.msg},
            ) from None
        return cleaned
