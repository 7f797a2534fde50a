"""/api/v1/: every endpoint is an OrgApiView (cxtracker.api.views), which resolves the
organization before the handler runs; tests/test_api_tenancy.py walks these routes as an outsider."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from cxtracker.tenancy import api as tenancy_api
from deployment import api as deployment_api
from experience import api as experience_api
from kpis import api as kpis_api
from kpis import api_lag as kpis_api_lag
from kpis import api_rates as kpis_api_rates
from steering import api as kpis_api_steering
from steering.reports import api as dashboards_api_reports

urlpatterns = [
    # The schema and its docs hold no tenant data: public, so that client developers can read them.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    path("units/", tenancy_api.UnitListApi.as_view(), name="api-units"),
    path("units/<str:code>/", tenancy_api.UnitDetailApi.as_view(), name="api-unit"),
    path("members/", tenancy_api.MemberListApi.as_view(), name="api-members"),
    path("members/<str:code>/", tenancy_api.MemberDetailApi.as_view(), name="api-member"),
    path("experience-models/", experience_api.ExperienceModelListApi.as_view(), name="api-experience-models"),
    path(
        "experience-models/<int:version>/",
        experience_api.ExperienceModelDetailApi.as_view(),
        name="api-experience-model",
    ),
    path("observations/", deployment_api.ObservationListApi.as_view(), name="api-observations"),
    path("observations/<str:external_id>/", deployment_api.ObservationDetailApi.as_view(), name="api-observation"),
    path("animations/", deployment_api.AnimationListApi.as_view(), name="api-animations"),
    path("animations/<str:external_id>/", deployment_api.AnimationDetailApi.as_view(), name="api-animation"),
    path("survey-responses/", kpis_api.SurveyResponseListApi.as_view(), name="api-survey-responses"),
    path(
        "survey-responses/<str:external_id>/",
        kpis_api.SurveyResponseDetailApi.as_view(),
        name="api-survey-response",
    ),
    path("metric-values/", kpis_api.MetricValueListApi.as_view(), name="api-metric-values"),
    path("metrics/", kpis_api.MetricListApi.as_view(), name="api-metrics"),
    path("metrics/<str:code>/", kpis_api.MetricDetailApi.as_view(), name="api-metric"),
    path("rates/", kpis_api_rates.RatesApi.as_view(), name="api-rates"),
    path("kpis/", kpis_api_rates.KpisApi.as_view(), name="api-kpis"),
    path("analysis/lag/", kpis_api_lag.LagAnalysisApi.as_view(), name="api-analysis-lag"),
    path("action-plans/", kpis_api_steering.ActionPlanListApi.as_view(), name="api-action-plans"),
    path("action-plans/<str:external_id>/", kpis_api_steering.ActionPlanDetailApi.as_view(), name="api-action-plan"),
    path("stakeholders/", kpis_api_steering.StakeholderListApi.as_view(), name="api-stakeholders"),
    path("reports/<str:code>/<str:period>/", dashboards_api_reports.ReportApi.as_view(), name="api-report"),
]
