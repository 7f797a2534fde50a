from django.urls import path

from . import views_reports

app_name = "reports"

# A period is YYYY-MM, YYYY-Www or YYYY-Qn: never "deliveries".
urlpatterns = [
    path("", views_reports.steering_home, name="home"),
    path("<str:code>/", views_reports.stakeholder_latest, name="stakeholder"),
    path("<str:code>/deliveries/", views_reports.delivery_page, name="deliveries"),
    path("<str:code>/deliveries/<int:pk>/resend/", views_reports.delivery_resend, name="delivery-resend"),
    path("<str:code>/<str:period>/", views_reports.report_page, name="report"),
    path("<str:code>/<str:period>/report.pdf", views_reports.report_pdf, name="report-pdf"),
    path("<str:code>/<str:period>/report.xlsx", views_reports.report_xlsx, name="report-xlsx"),
    path("<str:code>/<str:period>/report.csv", views_reports.report_csv, name="report-csv"),
]
