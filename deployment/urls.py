from django.urls import path

from cxtracker.tenancy.views import moved

from . import views

app_name = "deployment"

urlpatterns = [
    path("teams/<str:code>/animations/new/", views.animation_create, name="animation-create"),
    path("members/<str:code>/", views.member_detail, name="member-detail"),
    path("observations/new/", views.observation_create, name="observation-create"),
    path("observations/<int:pk>/edit/", views.observation_update, name="observation-update"),
    path("observations/<int:pk>/delete/", views.observation_delete, name="observation-delete"),
    path("observations/<int:pk>/next-step-done/", views.observation_next_step_done, name="observation-next-step-done"),
    path("animations/<int:pk>/edit/", views.animation_update, name="animation-update"),
    path("animations/<int:pk>/delete/", views.animation_delete, name="animation-delete"),
    # The team pages moved under dashboards/teams/: old links and bookmarks still work.
    path("teams/", moved("dashboards:team-list"), name="moved-team-list"),
    path("teams/<str:code>/", moved("dashboards:team-detail"), name="moved-team-detail"),
    path("teams/<str:code>/dashboard/", moved("dashboards:team-dashboard"), name="moved-team-dashboard"),
    path(
        "teams/<str:code>/dashboard/<str:chart>.csv",
        moved("dashboards:team-dashboard-csv"),
        name="moved-team-dashboard-csv",
    ),
]
