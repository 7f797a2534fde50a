from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("Customer KPIs and results")

    def ready(self):
        # The receivers of what the apps below write (cxtracker.tenancy.signals).
        from . import services  # noqa: F401
        from .engine import marks  # noqa: F401
