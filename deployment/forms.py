"""Browser forms of the field workflow. They only shape the input: the rules (not in the future,
member active that day, at least one rating…) live in ``deployment.services``, whose errors the
views put back on these forms."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from experience.models import Level

from .models import NOTE_MAX_LENGTH, AnimationKind, ObservationKind

NOT_OBSERVED = ""
_DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def rating_field_name(behavior_id: int) -> str:
    return f"b_{behavior_id}"


def _this_minute():
    """Now in the active timezone, as the datetime-local widget shows it (to the minute)."""
    return timezone.localtime().replace(second=0, microsecond=0)


def observation_initial(observation, member) -> dict:
    """The form's starting values: now for a new observation, else the observation's own, with
    ``member`` (the one asked for, or the observation's) chosen."""
    if observation is None:
        initial = {"observed_at": _this_minute()}
    else:
        initial = {
            "kind": observation.kind,
            "observed_at": timezone.localtime(observation.observed_at),
            "strengths": observation.strengths,
            "development_points": observation.development_points,
            "next_step": observation.next_step,
            "next_step_on": observation.next_step_on,
        }
        for r in observation.ratings.all():
            initial[rating_field_name(r.behavior_id)] = r.level
    if member is not None:
        initial["member"] = member.code
    return initial


def animation_initial(animation, team_members, today) -> dict:
    """The form's starting values: now and the team's members active today for a new animation,
    else the animation's own."""
    if animation is None:
        return {"held_at": _this_minute(), "attendees": [m.code for m in team_members if m.is_active_on(today)]}
    return {
        "kind": animation.kind,
        "held_at": timezone.localtime(animation.held_at),
        "topic": animation.topic,
        "dimensions": [d.code for d in animation.dimensions.all()],
        "attendees": [m.code for m in animation.attendees.all()],
    }


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

    def observation_fields(self) -> dict:
        """The cleaned values as the observation services take them (the member apart: the view
        resolves it within the user's scope)."""
        data = self.cleaned_data
        notes = {name: data[name] for name in ("strengths", "development_points", "next_step", "next_step_on")}
        return {"observed_at": data["observed_at"], "kind": data["kind"], "ratings": self.ratings(), **notes}


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

    def animation_fields(self) -> dict:
        """The cleaned values as the animation services take them (codes for the dimensions and
        attendees)."""
        return {name: self.cleaned_data[name] for name in ("held_at", "kind", "topic", "dimensions", "attendees")}
