"""The disaster domain: emergency alerts published as CAP 1.2 and the shelter status system
(取組12 防災情報の発信強化, 港区避難所開設状況システム; alerts also feed 取組17, 20, 21).

The app is split by subject (alerts, shelters) in each of its folders; each subject wires
itself to core and the engines in `registrations/<subject>.py`.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterConfig(AppConfig):
    name = "cityhall.disaster"
    label = "disaster"
    verbose_name = _("Disaster information")

    def ready(self):
        from .registrations import alerts, shelters

        shelters.register()
        alerts.register()

        from django.apps import apps

        if apps.is_installed("cityhall.opendata"):
            from .registrations import opendata

            opendata.register()
