from django.urls import path

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
]
