from django.contrib import admin

from .models import Animation, Observation, Rating


class RatingInline(admin.TabularInline):
    model = Rating
    fields = ["behavior", "level"]
    raw_id_fields = ["behavior"]
    extra = 0


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ["observed_at", "kind", "member", "observer", "organization"]
    list_filter = ["kind", "organization"]
    search_fields = ["member__name", "member__code", "external_id"]
    date_hierarchy = "observed_at"
    raw_id_fields = ["member", "observer", "model"]
    list_select_related = ["member", "observer", "organization"]
    inlines = [RatingInline]

    def save_formset(self, request, form, formset, change):
        # A rating carries its observation's organization, member and moment (denormalized).
        observation = form.instance
        for rating in formset.save(commit=False):
            rating.organization_id = observation.organization_id
            rating.member_id = observation.member_id
            rating.observed_at = observation.observed_at
            rating.save()
        for rating in formset.deleted_objects:
            rating.delete()
        observation.ratings.update(member_id=observation.member_id, observed_at=observation.observed_at)


@admin.register(Animation)
class AnimationAdmin(admin.ModelAdmin):
    list_display = ["held_at", "kind", "team", "held_by", "topic", "organization"]
    list_filter = ["kind", "organization"]
    search_fields = ["team__name", "team__code", "topic", "external_id"]
    date_hierarchy = "held_at"
    raw_id_fields = ["team", "held_by", "attendees", "dimensions"]
    list_select_related = ["team", "held_by", "organization"]
