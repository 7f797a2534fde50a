from django.urls import path

from . import views_setup

app_name = "tenancy"

urlpatterns = [
    path("", views_setup.setup, name="setup"),
]
