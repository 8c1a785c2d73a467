"""Street-problem reports (取組13 道路等の損傷通報): residents report a broken road, a dead
streetlight or illegal dumping; the city routes, fixes and answers in public; other systems
speak to it through Open311 GeoReport v2."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "cityhall.reports"
    label = "reports"
    verbose_name = _("Street-problem reports")

    def ready(self):
        from . import registrations

        registrations.register()
