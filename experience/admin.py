from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cxtracker.tenancy.admin import ReadOnlyAdmin, ServiceModelAdmin

from .models import Behavior, Dimension, ExperienceModel, Journey, JourneyStage
from .services import (
    experience_model_activate,
    experience_model_create,
    experience_model_delete,
    experience_model_delete_problem,
    experience_model_update,
)

# The admins of a version's structure are ReadOnlyAdmin: it is edited in the app, whose services keep
# a version in use locked (only its wording may change) and mark the months whose rates change.


class _TenantInlineAdmin(admin.ModelAdmin):
    """Inline rows take the organization of their parent."""

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.organization_id = form.instance.organization_id
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class DimensionInline(ReadOnlyAdmin, admin.TabularInline):
    model = Dimension
    fields = ["position", "code", "name"]
    extra = 0
    show_change_link = True


@admin.register(ExperienceModel)
class ExperienceModelAdmin(ServiceModelAdmin):
    list_display = ["name", "version", "organization", "is_active", "activated_at", "created_at"]
    list_filter = ["organization", "is_active"]
    search_fields = ["name"]
    list_select_related = ["organization"]
    fields = ["organization", "name", "description", "version", "is_active", "activated_at", "created_at"]
    inlines = [DimensionInline]
    actions = ["activate"]

    def get_readonly_fields(self, request, obj=None):
        # Versions are numbered by the service; activation goes through it too (the action), which
        # keeps one active version per organization and the activation history.
        readonly = ["version", "is_active", "activated_at", "created_at"]
        return readonly if obj is None else ["organization", *readonly]

    def service_save(self, obj, form, change):
        data = form.cleaned_data
        if change:
            stored = self.stored(obj)
            experience_model_update(
                org=stored.organization, model=stored, name=data["name"], description=data["description"]
            )
            return stored
        return experience_model_create(org=data["organization"], name=data["name"], description=data["description"])

    def delete_problem(self, obj):
        return experience_model_delete_problem(model=obj)

    def service_delete(self, obj):
        experience_model_delete(org=obj.organization, model=obj)

    @admin.action(description=_("Activate the selected version"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."), messages.ERROR)
            return
        model = queryset.select_related("organization").get()
        try:
            experience_model_activate(org=model.organization, model=model)
        except ValidationError as exc:
            self.message_user(request, exc.messages[0], messages.ERROR)
        else:
            self.message_user(request, _("%(model)s is now the active version.") % {"model": model})


class BehaviorInline(ReadOnlyAdmin, admin.StackedInline):
    model = Behavior
    fields = [
        ("position", "code"),
        "name",
        ("guidance_unknown", "guidance_known"),
        ("guidance_applied", "guidance_mastered"),
    ]
    extra = 0


@admin.register(Dimension)
class DimensionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "model", "position", "organization"]
    list_filter = ["organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "model"]
    raw_id_fields = ["model"]
    filter_horizontal = ["journeys"]
    inlines = [BehaviorInline]


@admin.register(Behavior)
class BehaviorAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "dimension", "model", "position", "organization"]
    list_filter = ["organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "dimension", "model"]
    raw_id_fields = ["model", "dimension"]


class JourneyStageInline(admin.TabularInline):
    model = JourneyStage
    fields = ["position", "name", "is_moment_of_truth"]
    extra = 0


@admin.register(Journey)
class JourneyAdmin(_TenantInlineAdmin):
    list_display = ["name", "code", "organization"]
    list_filter = ["organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization"]
    inlines = [JourneyStageInline]
