from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiKey, Member, Membership, Organization, OrgUnit, UserProfile


class OrganizationCreateForm(forms.ModelForm):
    admin_email = forms.EmailField(
        label=_("First administrator's e-mail"),
        required=False,
        help_text=_("Created if needed; they choose their password through “Forgot your password?”."),
    )

    class Meta:
        model = Organization
        fields = ["slug", "name", "timezone", "language"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OrganizationCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["slug", "name", "timezone", "language", "admin_email"]
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # The same creation as `manage.py create_organization`: default metrics, first admin.
        try:
            created = services.organization_create(
                slug=obj.slug,
                name=obj.name,
                timezone=obj.timezone,
                language=obj.language,
                admin_email=form.cleaned_data.get("admin_email") or None,
            )
        except ValidationError as error:  # the form checked the same things: only a race gets here
            raise ValueError(error.messages) from error
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "user__username", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user"]
    filter_horizontal = ["units"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "organization", "parent"]
    list_filter = ["kind", "organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "parent"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "team", "organization", "active_from", "active_to"]
    list_filter = ["organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "team"]
    raw_id_fields = ["team"]
    date_hierarchy = "active_from"


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "last_organization"]
    list_filter = ["language"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user", "last_organization"]
    raw_id_fields = ["user", "last_organization"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made in the app (the key is shown once there); staff can inspect and revoke."""

    list_display = ["name", "prefix", "organization", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organization", "revoked_at"]
    search_fields = ["name", "prefix"]
    list_select_related = ["organization"]
    readonly_fields = ["organization", "prefix", "hashed_key", "created_by", "created_at", "last_used_at"]
    fields = [
        "organization",
        "name",
        "prefix",
        "hashed_key",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def has_add_permission(self, request):
        return False
