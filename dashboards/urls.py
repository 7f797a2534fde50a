from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("transformation/", views.transformation, name="transformation"),
]
