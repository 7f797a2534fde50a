from django.urls import path

from . import views

app_name = "deployment"

urlpatterns = [
    path("teams/", views.team_list, name="team-list"),
    path("teams/<str:code>/", views.team_detail, name="team-detail"),
    path("teams/<str:code>/dashboard/", views.team_dashboard, name="team-dashboard"),
    path("teams/<str:code>/dashboard/<str:chart>.csv", views.team_dashboard_csv, name="team-dashboard-csv"),
    path("teams/<str:code>/animations/new/", views.animation_create, name="animation-create"),
    path("members/<str:code>/", views.member_detail, name="member-detail"),
    path("observations/new/", views.observation_create, name="observation-create"),
    path("observations/<int:pk>/edit/", views.observation_update, name="observation-update"),
    path("observations/<int:pk>/delete/", views.observation_delete, name="observation-delete"),
    path("observations/<int:pk>/next-step-done/", views.observation_next_step_done, name="observation-next-step-done"),
    path("animations/<int:pk>/edit/", views.animation_update, name="animation-update"),
    path("animations/<int:pk>/delete/", views.animation_delete, name="animation-delete"),
]
