from django.urls import path

from . import views, views_kpis
from .teams import views as teams

app_name = "dashboards"

urlpatterns = [
    path("transformation/", views.transformation, name="transformation"),
    path("kpis/", views_kpis.kpi_explorer, name="kpis"),
    path("kpis/comments/", views_kpis.kpi_comments, name="kpi-comments"),
    # The team pages (formerly under field/teams/, where deployment.urls answers 301).
    path("teams/", teams.team_list, name="team-list"),
    path("teams/<str:code>/", teams.team_detail, name="team-detail"),
    path("teams/<str:code>/dashboard/", teams.team_dashboard, name="team-dashboard"),
    path("teams/<str:code>/dashboard/<str:chart>.csv", teams.team_dashboard_csv, name="team-dashboard-csv"),
]
