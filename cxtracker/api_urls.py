"""/api/v1/: every endpoint is an OrgApiView (cxtracker.api.views), which resolves the
organization before the handler runs; tests/test_api_tenancy.py walks these routes as an outsider."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from connectors import api as connectors_api
from cxtracker.tenancy import api as tenancy_api
from deployment import api as deployment_api
from experience import api as experience_api
from kpis import api as kpis_api
from kpis import api_lag as kpis_api_lag
from kpis import api_rates as kpis_api_rates
from privacy import api as privacy_api
from steering import api as kpis_api_steering
from steering.reports import api as dashboards_api_reports


def _resource(plural: str, list_api, detail_api=None, item: str = "<str:code>") -> list:
    """The routes of one kind of resource: ``<plural>/`` (named ``api-<plural>``) lists it and takes
    its writes, ``<plural>/<item>/`` (named ``api-<plural>`` without its final s) is one of it."""
    routes = [path(f"{plural}/", list_api.as_view(), name=f"api-{plural}")]
    if detail_api is not None:
        routes.append(path(f"{plural}/{item}/", detail_api.as_view(), name=f"api-{plural.removesuffix('s')}"))
    return routes


EXTERNAL_ID = "<str:external_id>"

urlpatterns = [
    # The schema and its docs hold no tenant data: public, so that client developers can read them.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    *_resource("units", tenancy_api.UnitListApi, tenancy_api.UnitDetailApi),
    *_resource("members", tenancy_api.MemberListApi, tenancy_api.MemberDetailApi),
    path("members/<str:code>/export/", privacy_api.MemberExportApi.as_view(), name="api-member-export"),
    path("members/<str:code>/erase/", privacy_api.MemberEraseApi.as_view(), name="api-member-erase"),
    *_resource(
        "experience-models",
        experience_api.ExperienceModelListApi,
        experience_api.ExperienceModelDetailApi,
        "<int:version>",
    ),
    *_resource("observations", deployment_api.ObservationListApi, deployment_api.ObservationDetailApi, EXTERNAL_ID),
    *_resource("animations", deployment_api.AnimationListApi, deployment_api.AnimationDetailApi, EXTERNAL_ID),
    *_resource("survey-responses", kpis_api.SurveyResponseListApi, kpis_api.SurveyResponseDetailApi, EXTERNAL_ID),
    *_resource("metric-values", kpis_api.MetricValueListApi),
    *_resource("metrics", kpis_api.MetricListApi, kpis_api.MetricDetailApi),
    path("rates/", kpis_api_rates.RatesApi.as_view(), name="api-rates"),
    path("kpis/", kpis_api_rates.KpisApi.as_view(), name="api-kpis"),
    path("analysis/lag/", kpis_api_lag.LagAnalysisApi.as_view(), name="api-analysis-lag"),
    *_resource("action-plans", kpis_api_steering.ActionPlanListApi, kpis_api_steering.ActionPlanDetailApi, EXTERNAL_ID),
    *_resource("stakeholders", kpis_api_steering.StakeholderListApi),
    path("reports/<str:code>/<str:period>/", dashboards_api_reports.ReportApi.as_view(), name="api-report"),
    *_resource("connectors", connectors_api.ConnectorListApi, connectors_api.ConnectorDetailApi, "<int:pk>"),
    # Where survey tools post: the connector's signature is the credential (not an OrgApiView).
    path("connectors/<int:pk>/inbound/", connectors_api.ConnectorInboundApi.as_view(), name="api-connector-inbound"),
]
