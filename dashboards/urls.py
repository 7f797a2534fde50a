from django.urls import path

from . import views, views_kpis

app_name = "dashboards"

urlpatterns = [
    path("transformation/", views.transformation, name="transformation"),
    path("kpis/", views_kpis.kpi_explorer, name="kpis"),
    path("kpis/comments/", views_kpis.kpi_comments, name="kpi-comments"),
]
