from django.urls import path

from cxtracker.tenancy.views import moved

from . import views

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
    # Stakeholders and action plans moved under steering/: old links and bookmarks still work.
    path("stakeholders/", moved("steering:stakeholder-list"), name="moved-stakeholder-list"),
    path("stakeholders/new/", moved("steering:stakeholder-create"), name="moved-stakeholder-create"),
    path("stakeholders/<str:code>/edit/", moved("steering:stakeholder-edit"), name="moved-stakeholder-edit"),
    path("stakeholders/<str:code>/delete/", moved("steering:stakeholder-delete"), name="moved-stakeholder-delete"),
    path("action-plans/", moved("steering:action-plan-list"), name="moved-action-plan-list"),
    path("action-plans/new/", moved("steering:action-plan-create"), name="moved-action-plan-create"),
    path("action-plans/<int:pk>/", moved("steering:action-plan-detail"), name="moved-action-plan-detail"),
    path("action-plans/<int:pk>/edit/", moved("steering:action-plan-edit"), name="moved-action-plan-edit"),
    path("action-plans/<int:pk>/delete/", moved("steering:action-plan-delete"), name="moved-action-plan-delete"),
]
