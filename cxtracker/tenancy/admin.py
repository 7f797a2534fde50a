"""The Django admin, for staff. Writes of what the figures depend on go through the services
(``ServiceModelAdmin``), as the app's screens and the API do: the same checks, and the dirty marks
that keep the snapshots right."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiKey, Member, Membership, Organization, OrgUnit, UserProfile


class _DryRun(Exception):
    """Rolls back a service call made only to learn whether the service accepts the form."""


class ReadOnlyAdmin:
    """An admin (or inline) that shows rows and changes none: what is written through the app's
    services, which check it and mark what its figures change, or what is not staff's to edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceModelAdmin(admin.ModelAdmin):
    """An admin whose writes go through the services.

    ``service_save(obj, form, change)`` writes the form's cleaned data through the service and
    returns the object written; it must leave ``obj`` alone (on a change it works on ``stored(obj)``,
    a fresh copy, so that the service compares the change with what the database holds).
    ``service_delete(obj)`` deletes; ``delete_problem(obj)`` says why a deletion is refused.

    The form runs ``service_save`` once in a savepoint rolled back before the real save: what the
    service refuses shows up as form errors, not as a server error. The services write the
    many-to-many fields themselves, and no editable inline may hang on such an admin.
    """

    def service_save(self, obj, form, change):
        raise NotImplementedError

    def service_delete(self, obj) -> None:
        raise NotImplementedError

    def delete_problem(self, obj) -> str | None:
        return None

    @staticmethod
    def stored(obj):
        return type(obj)._default_manager.get(pk=obj.pk)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                if not self._errors:
                    model_admin._dry_run(self)

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def _dry_run(self, form) -> None:
        try:
            with transaction.atomic():
                self.service_save(form.instance, form, not form.instance._state.adding)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as error:
            errors = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
            for field, messages in errors:
                form.add_error(field if field in form.fields else None, messages)

    def save_model(self, request, obj, form, change):
        saved = self.service_save(obj, form, change)
        # The admin goes on with ``obj`` (its log entry, its redirect): give it the row written.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the service wrote the many-to-many fields. The inlines are read-only
        # (their save writes nothing, and tells the change message so).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.service_delete(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(obj)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        problems = [f"{obj}: {problem}" for obj in objs if (problem := self.delete_problem(obj))]
        return to_delete, model_count, perms_needed, [*protected, *problems]


def _changed(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.changed_data}


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
class OrganizationAdmin(ServiceModelAdmin):
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

    def service_save(self, obj, form, change):
        data = form.cleaned_data
        if change:
            # A change of a setting the figures depend on marks every month for recomputation.
            return services.organization_update(
                org=self.stored(obj), **{name: data[name] for name in form.changed_data}
            )
        # The same creation as `manage.py create_organization`: default metrics, first admin.
        return services.organization_create(
            slug=data["slug"],
            name=data["name"],
            timezone=data["timezone"],
            language=data["language"],
            admin_email=data.get("admin_email") or None,
        )

    def service_delete(self, obj):
        # Everything of the organization goes with it, its snapshots too: nothing to recompute.
        obj.delete()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "user__username", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user"]
    filter_horizontal = ["units"]


UNIT_FIELDS = ("code", "name", "kind", "parent")
MEMBER_FIELDS = ("code", "name", "team", "active_from", "active_to")


@admin.register(OrgUnit)
class OrgUnitAdmin(ServiceModelAdmin):
    list_display = ["code", "name", "kind", "organization", "parent"]
    list_filter = ["kind", "organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "parent"]
    raw_id_fields = ["parent"]
    fields = ["organization", *UNIT_FIELDS, "path", "depth"]

    def get_readonly_fields(self, request, obj=None):
        # A unit never changes organization: its members and data would be another tenant's.
        return ["path", "depth"] if obj is None else ["organization", "path", "depth"]

    def service_save(self, obj, form, change):
        data = form.cleaned_data
        if change:
            return services.unit_update(unit=self.stored(obj), **_changed(form, UNIT_FIELDS))
        return services.unit_create(org=data["organization"], **{name: data[name] for name in UNIT_FIELDS})

    def delete_problem(self, obj):
        attached = services.unit_attachments(unit=obj)
        if not attached:
            return None
        return _("still holds %(attached)s") % {"attached": ", ".join(f"{count} {what}" for what, count in attached)}

    def service_delete(self, obj):
        services.unit_delete(unit=obj)


@admin.register(Member)
class MemberAdmin(ServiceModelAdmin):
    list_display = ["code", "name", "team", "organization", "active_from", "active_to"]
    list_filter = ["organization"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "team"]
    raw_id_fields = ["team"]
    date_hierarchy = "active_from"
    fields = ["organization", *MEMBER_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organization"]

    def service_save(self, obj, form, change):
        data = form.cleaned_data
        if change:
            return services.member_update(member=self.stored(obj), **_changed(form, MEMBER_FIELDS))
        return services.member_create(org=data["organization"], **{name: data[name] for name in MEMBER_FIELDS})

    def service_delete(self, obj):
        services.member_delete(member=obj)


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
