from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_control

from cxtracker import health
from cxtracker.tenancy import views as tenancy_views
from dashboards import views as dashboard_views

# Everything of one organization lives under o/<slug:org>/; every view there is wrapped by
# cxtracker.tenancy.access.org_view (tests/test_tenancy.py walks these patterns as an outsider).
org_patterns = [
    path("", dashboard_views.org_home, name="org-home"),
    path("setup/", include("cxtracker.tenancy.urls")),
    path("model/", include("experience.urls")),
    path("field/", include("deployment.urls")),
    path("kpis/", include("kpis.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("steering/", include("steering.urls")),
    path("connectors/", include("connectors.urls")),
]

auth_patterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        tenancy_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Pages that do not extend base.html (the admin, JSON answers) still get the icon."""
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("health/", health.health, name="health"),
    path("health/ready/", health.ready, name="health-ready"),
    path("accounts/", include(auth_patterns)),
    path("language/", tenancy_views.language_set, name="language-set"),
    path("o/<slug:org>/", include(org_patterns)),
    path("api/v1/", include("cxtracker.api_urls")),
    path("admin/", admin.site.urls),
]

# A database outage answers 503 (JSON under /api/), any other error Django's 500 page.
handler500 = "cxtracker.outage.server_error"
