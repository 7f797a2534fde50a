"""Browser forms of the field workflow. They only shape the input: the rules (not in the future,
member active that day, at least one rating…) live in ``deployment.services``, whose errors the
views put back on these forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from experience.models import Level

from .models import NOTE_MAX_LENGTH, AnimationKind, ObservationKind

NOT_OBSERVED = ""
_DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def rating_field_name(behavior_id: int) -> str:
    return f"b_{behavior_id}"


class ObservationForm(forms.Form):
    """``members``: (code, label) choices within the user's scope; ``behaviors``: those of the
    active model, each becoming an optional level field."""

    member = forms.ChoiceField(label=_("Member"))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ObservationKind.choices, initial=ObservationKind.OBSERVATION, widget=forms.RadioSelect
    )
    observed_at = forms.DateTimeField(label=_("Date and time"), widget=_DATETIME_WIDGET)
    # max_length: the browser stops typing at the cap (the services check it again for the API).
    strengths = forms.CharField(
        label=_("Strengths"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    development_points = forms.CharField(
        label=_("Development points"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_step = forms.CharField(
        label=_("Agreed next step"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_step_on = forms.DateField(
        label=_("Next step due"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, members, behaviors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("Choose a member")), *members]
        self.behaviors = list(behaviors)
        for behavior in self.behaviors:
            self.fields[rating_field_name(behavior.pk)] = forms.TypedChoiceField(
                label=behavior.name,
                choices=[(NOT_OBSERVED, _("Not observed")), *Level.choices],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def ratings(self) -> list:
        """(behavior, level) for the behaviors given a level."""
        return [
            (b, self.cleaned_data[rating_field_name(b.pk)])
            for b in self.behaviors
            if self.cleaned_data.get(rating_field_name(b.pk)) is not None
        ]

    def rating_rows(self):
        """(behavior, bound field) pairs, for the template to lay out by dimension."""
        return [(b, self[rating_field_name(b.pk)]) for b in self.behaviors]


class AnimationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AnimationKind.choices, widget=forms.RadioSelect)
    held_at = forms.DateTimeField(label=_("Date and time"), widget=_DATETIME_WIDGET)
    topic = forms.CharField(label=_("Topic"), required=False, max_length=300)
    dimensions = forms.MultipleChoiceField(
        label=_("Topic dimensions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    attendees = forms.MultipleChoiceField(label=_("Attendees"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, dimensions, attendees, **kwargs):
        """``dimensions`` and ``attendees``: (code, label) choices."""
        super().__init__(*args, **kwargs)
        self.fields["dimensions"].choices = list(dimensions)
        self.fields["attendees"].choices = list(attendees)
