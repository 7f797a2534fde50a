"""Observations and animations in the admin: every change goes through the deployment services,
which check it as the app does and mark the months whose figures it changes."""

from django.contrib import admin

from cxtracker.tenancy.admin import ReadOnlyAdmin, ServiceModelAdmin

from . import services
from .models import Animation, Observation, Rating

OBSERVATION_FIELDS = (
    "member",
    "observed_at",
    "kind",
    "strengths",
    "development_points",
    "next_step",
    "next_step_on",
    "next_step_done",
)
ANIMATION_FIELDS = ("held_at", "kind", "topic", "dimensions", "attendees")


def _changed(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.changed_data}


class RatingInline(ReadOnlyAdmin, admin.TabularInline):
    """Read-only: ratings are written with their observation, in the app or through the API, where
    they are checked against the experience model."""

    model = Rating
    fields = ["behavior", "level"]
    readonly_fields = ["behavior", "level"]
    extra = 0


@admin.register(Observation)
class ObservationAdmin(ServiceModelAdmin):
    list_display = ["observed_at", "kind", "member", "observer", "organization"]
    list_filter = ["kind", "organization"]
    search_fields = ["member__name", "member__code", "external_id"]
    date_hierarchy = "observed_at"
    raw_id_fields = ["member"]
    list_select_related = ["member", "observer", "organization"]
    fields = ["organization", "observer", "model", "external_id", *OBSERVATION_FIELDS]
    readonly_fields = ["organization", "observer", "model", "external_id"]
    inlines = [RatingInline]

    def has_add_permission(self, request):
        # An observation is made with its ratings: in the app or through the API.
        return False

    def service_save(self, obj, form, change):
        return services.observation_update(observation=self.stored(obj), **_changed(form, OBSERVATION_FIELDS))

    def service_delete(self, obj):
        services.observation_delete(observation=obj)


@admin.register(Animation)
class AnimationAdmin(ServiceModelAdmin):
    list_display = ["held_at", "kind", "team", "held_by", "topic", "organization"]
    list_filter = ["kind", "organization"]
    search_fields = ["team__name", "team__code", "topic", "external_id"]
    date_hierarchy = "held_at"
    raw_id_fields = ["team", "held_by", "attendees", "dimensions"]
    list_select_related = ["team", "held_by", "organization"]
    fields = ["organization", "team", "held_by", "external_id", *ANIMATION_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        # The service changes an animation's moment and content, not whose it is.
        return [] if obj is None else ["organization", "team", "held_by", "external_id"]

    def service_save(self, obj, form, change):
        data = form.cleaned_data
        if change:
            return services.animation_update(animation=self.stored(obj), **_changed(form, ANIMATION_FIELDS))
        return services.animation_create(
            org=data["organization"],
            team=data["team"],
            held_by=data["held_by"],
            external_id=data["external_id"] or None,
            **{name: data[name] for name in ANIMATION_FIELDS},
        )

    def service_delete(self, obj):
        services.animation_delete(animation=obj)
