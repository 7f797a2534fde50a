from django.urls import path

from . import views
from .explorer import views as explorer_views

app_name = "dashboards"

urlpatterns = [
    path("transformation/", views.transformation, name="transformation"),
    path("kpis/", explorer_views.kpi_explorer, name="kpis"),
    path("kpis/comments/", explorer_views.kpi_comments, name="kpi-comments"),
]
