from django.urls import path

from . import views_setup as views

app_name = "tenancy"

urlpatterns = [
    path("", views.setup, name="setup"),
    path("units/", views.unit_list, name="unit-list"),
    path("units/new/", views.unit_create, name="unit-create"),
    path("units/<str:code>/edit/", views.unit_edit, name="unit-edit"),
    path("units/<str:code>/delete/", views.unit_delete, name="unit-delete"),
    path("members/", views.member_list, name="member-list"),
    path("members/new/", views.member_create, name="member-create"),
    path("members/<str:code>/edit/", views.member_edit, name="member-edit"),
    path("members/<str:code>/deactivate/", views.member_deactivate, name="member-deactivate"),
    path("members/<str:code>/reactivate/", views.member_reactivate, name="member-reactivate"),
    path("users/", views.membership_list, name="membership-list"),
    path("users/add/", views.membership_create, name="membership-create"),
    path("users/<int:membership_id>/edit/", views.membership_edit, name="membership-edit"),
    path("users/<int:membership_id>/remove/", views.membership_delete, name="membership-delete"),
    path("settings/", views.organization_settings, name="settings"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import-confirm"),
    path("import/units.csv", views.import_template, {"kind": "units"}, name="import-template-units"),
    path("import/members.csv", views.import_template, {"kind": "members"}, name="import-template-members"),
]
