from django.urls import path

from . import views
from .reports import views as report_views

app_name = "steering"

# A period is YYYY-MM, YYYY-Www or YYYY-Qn; "stakeholders" and "action-plans" are not stakeholder
# codes (steering.services refuses them).
urlpatterns = [
    path("", report_views.steering_home, name="home"),
    path("stakeholders/", views.stakeholder_list, name="stakeholder-list"),
    path("stakeholders/new/", views.stakeholder_create, name="stakeholder-create"),
    path("stakeholders/<str:code>/edit/", views.stakeholder_edit, name="stakeholder-edit"),
    path("stakeholders/<str:code>/delete/", views.stakeholder_delete, name="stakeholder-delete"),
    path("action-plans/", views.action_plan_list, name="action-plan-list"),
    path("action-plans/new/", views.action_plan_create, name="action-plan-create"),
    path("action-plans/<int:pk>/", views.action_plan_detail, name="action-plan-detail"),
    path("action-plans/<int:pk>/edit/", views.action_plan_edit, name="action-plan-edit"),
    path("action-plans/<int:pk>/delete/", views.action_plan_delete, name="action-plan-delete"),
    path("<str:code>/", report_views.stakeholder_latest, name="stakeholder"),
    path("<str:code>/deliveries/", report_views.delivery_page, name="deliveries"),
    path("<str:code>/deliveries/<int:pk>/resend/", report_views.delivery_resend, name="delivery-resend"),
    path("<str:code>/<str:period>/", report_views.report_page, name="report"),
    path("<str:code>/<str:period>/report.pdf", report_views.report_pdf, name="report-pdf"),
    path("<str:code>/<str:period>/report.xlsx", report_views.report_xlsx, name="report-xlsx"),
    path("<str:code>/<str:period>/report.csv", report_views.report_csv, name="report-csv"),
]
