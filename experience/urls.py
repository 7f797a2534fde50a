from django.urls import path

from . import views

app_name = "experience"

urlpatterns = [
    path("", views.model_list, name="model-list"),
    path("new/", views.model_create, name="model-create"),
    path("import/", views.model_import, name="model-import"),
    path("active/", views.model_active, name="model-active"),
    path("v/<int:model_pk>/", views.model_detail, name="model-detail"),
    path("v/<int:model_pk>/edit/", views.model_edit, name="model-edit"),
    path("v/<int:model_pk>/copy/", views.model_copy, name="model-copy"),
    path("v/<int:model_pk>/activate/", views.model_activate, name="model-activate"),
    path("v/<int:model_pk>/delete/", views.model_delete, name="model-delete"),
    path("v/<int:model_pk>/export/", views.model_export, name="model-export"),
    path("v/<int:model_pk>/dimensions/new/", views.dimension_create, name="dimension-create"),
    path("dimensions/<int:dimension_pk>/edit/", views.dimension_edit, name="dimension-edit"),
    path("dimensions/<int:dimension_pk>/delete/", views.dimension_delete, name="dimension-delete"),
    path("dimensions/<int:dimension_pk>/move/", views.dimension_move, name="dimension-move"),
    path("dimensions/<int:dimension_pk>/behaviors/new/", views.behavior_create, name="behavior-create"),
    path("behaviors/<int:behavior_pk>/edit/", views.behavior_edit, name="behavior-edit"),
    path("behaviors/<int:behavior_pk>/delete/", views.behavior_delete, name="behavior-delete"),
    path("behaviors/<int:behavior_pk>/move/", views.behavior_move, name="behavior-move"),
    path("journeys/", views.journey_list, name="journey-list"),
    path("journeys/new/", views.journey_create, name="journey-create"),
    path("journeys/<int:journey_pk>/", views.journey_detail, name="journey-detail"),
    path("journeys/<int:journey_pk>/edit/", views.journey_edit, name="journey-edit"),
    path("journeys/<int:journey_pk>/delete/", views.journey_delete, name="journey-delete"),
    path("journeys/<int:journey_pk>/stages/new/", views.stage_create, name="stage-create"),
    path("stages/<int:stage_pk>/edit/", views.stage_edit, name="stage-edit"),
    path("stages/<int:stage_pk>/delete/", views.stage_delete, name="stage-delete"),
    path("stages/<int:stage_pk>/move/", views.stage_move, name="stage-move"),
]
