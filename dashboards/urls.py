from django.urls import path

from . import views
from .explorer import views as explorer_views
from .teams import views as teams

app_name = "dashboards"

urlpatterns = [
    path("transformation/", views.transformation, name="transformation"),
    path("kpis/", explorer_views.kpi_explorer, name="kpis"),
    path("kpis/comments/", explorer_views.kpi_comments, name="kpi-comments"),
    # The team pages (formerly under field/teams/, where deployment.urls answers 301).
    path("teams/", teams.team_list, name="team-list"),
    path("teams/<str:code>/", teams.team_detail, name="team-detail"),
    path("teams/<str:code>/dashboard/", teams.team_dashboard, name="team-dashboard"),
    path("teams/<str:code>/dashboard/<str:chart>.csv", teams.team_dashboard_csv, name="team-dashboard-csv"),
]
