from django.urls import path

from . import views, views_steering

app_name = "kpis"

urlpatterns = [
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/new/", views.api_key_create, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("metrics/", views.metrics, name="metrics"),
    path("metrics/new/", views.metric_create, name="metric-create"),
    path("metrics/<str:code>/edit/", views.metric_edit, name="metric-edit"),
    path("metrics/<str:code>/delete/", views.metric_delete, name="metric-delete"),
    path("uploads/", views.uploads, name="uploads"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload"),
    path("uploads/<int:pk>/status/", views.upload_status, name="upload-status"),
    path("uploads/<int:pk>/report.csv", views.upload_report, name="upload-report"),
    path("stakeholders/", views_steering.stakeholder_list, name="stakeholder-list"),
    path("stakeholders/new/", views_steering.stakeholder_create, name="stakeholder-create"),
    path("stakeholders/<str:code>/edit/", views_steering.stakeholder_edit, name="stakeholder-edit"),
    path("stakeholders/<str:code>/delete/", views_steering.stakeholder_delete, name="stakeholder-delete"),
    path("action-plans/", views_steering.action_plan_list, name="action-plan-list"),
    path("action-plans/new/", views_steering.action_plan_create, name="action-plan-create"),
    path("action-plans/<int:pk>/", views_steering.action_plan_detail, name="action-plan-detail"),
    path("action-plans/<int:pk>/edit/", views_steering.action_plan_edit, name="action-plan-edit"),
    path("action-plans/<int:pk>/delete/", views_steering.action_plan_delete, name="action-plan-delete"),
]
