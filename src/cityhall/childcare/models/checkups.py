"""The infant health checkups (乳幼児健康診査) a child is offered, with their age windows, for
the 母子手帳アプリ (取組23): guardians see which checkups their child is due for and book a
session of the group ones at the health centre (みなと保健所) through the bookings engine.

A kind is data, loaded from `data/checkup_kinds.json` (each row cites where its window comes
from and says whether the rule is confirmed for Minato) and kept by staff in the records
administration. The sessions themselves are slots of a bookings resource, named here by its
code (`resource_code`): a soft reference, so that childcare works without the bookings
engine installed (the checkups are then shown without booking).
"""

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..immunisation.dates import reach_months


class CheckupKind(models.Model):  # 乳幼児健康診査の種類
    class Delivery(models.TextChoices):
        GROUP = "group", _("At the health centre, booked here (集団健診)")
        CLINIC = "clinic", _("At a contracted clinic with the voucher (個別健診・受診票)")

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    from_months = models.PositiveSmallIntegerField(
        _("from (age in months)"),
        help_text=_("The period opens on the day the child reaches this age (生後N月に至った日, "
                    "the day before the same date N months after birth, or the last day of "
                    "that month)."))
    until_months = models.PositiveSmallIntegerField(
        _("until before (age in months)"),
        help_text=_("The period ends the day before the child reaches this age."))
    delivery = models.CharField(_("where"), max_length=10, choices=Delivery.choices)
    resource_code = models.SlugField(
        _("bookings resource"), max_length=60, blank=True,
        help_text=_("Group checkups: the code of the bookable resource whose slots are the "
                    "sessions."))
    description = models.TextField(_("what to know"), blank=True)
    description_en = models.TextField(_("what to know (English)"), blank=True)
    source = models.TextField(_("source of the period"))
    confirmed = models.BooleanField(
        _("period confirmed for the city"), default=False,
        help_text=_("Off while the period follows the law or other municipalities and has not "
                    "been checked against the city's own published rule."))
    is_active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "from_months", "code"]
        verbose_name = _("infant health checkup")
        verbose_name_plural = _("infant health checkups")
        constraints = [
            models.CheckConstraint(condition=Q(until_months__gt=F("from_months")),
                                   name="childcare_checkup_window_positive"),
            models.CheckConstraint(condition=~Q(delivery="group") | ~Q(resource_code=""),
                                   name="childcare_checkup_group_has_resource"),
        ]

    def __str__(self):
        return self.name

    def window(self, date_of_birth: datetime.date) -> tuple[datetime.date, datetime.date]:
        """The first and last day (both inclusive) on which a child born on `date_of_birth`
        may have this checkup: from the day they reach `from_months` to the day before they
        reach `until_months` (e.g. 3歳児: "3歳前日から4歳前々日まで")."""
        return (reach_months(date_of_birth, self.from_months),
                reach_months(date_of_birth, self.until_months) - datetime.timedelta(days=1))
