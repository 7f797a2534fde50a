from django.urls import path

from . import views

app_name = "connectors"

urlpatterns = [
    path("", views.connector_list, name="list"),
    path("new/", views.connector_create, name="create"),
    path("<int:pk>/", views.connector_detail, name="detail"),
    path("<int:pk>/preview/", views.connector_preview, name="preview"),
    path("<int:pk>/import/", views.connector_import, name="import"),
    path("<int:pk>/delete/", views.connector_delete, name="delete"),
    path("<int:pk>/deliveries/<int:delivery_pk>/replay/", views.delivery_replay, name="delivery-replay"),
]
