"""Childcare (取組7 保育園入園AIマッチング, 取組23 母子手帳アプリ): nursery admission matching and
the immunisation schedule. A domain app (layer 4)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildcareConfig(AppConfig):
    name = "cityhall.childcare"
    label = "childcare"
    verbose_name = _("Childcare")
