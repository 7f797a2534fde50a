from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        # A recomputation warms the pages read lately (its signal's receiver).
        from . import warming  # noqa: F401
