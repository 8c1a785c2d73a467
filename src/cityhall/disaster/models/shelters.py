"""Shelter status: opening, crowding, assigned staff and the history of changes
(取組12 防災情報の発信強化, 港区避難所開設状況システム).

The shelters and evacuation sites themselves are core `Facility` rows (kind `shelter` or
`evacuation_site`, the national 共通ID as `code`, loaded from the GSI data by
`core.services.shelters_import`); this module adds what changes on the day: whether a place
is open, how crowded it is, notes for the public, who on the staff may update it, and one
history row for every change. Only `disaster.services.shelters` writes these rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityhall.core.models import Facility

__all__ = [
    "SHELTER_KINDS",
    "Crowding",
    "CrowdingThresholds",
    "ShelterAssignment",
    "ShelterStatus",
    "ShelterStatusChange",
]

# The two kinds of core Facility that this subject is about.
SHELTER_KINDS = (Facility.Kind.SHELTER, Facility.Kind.EVACUATION_SITE)


class Crowding(models.TextChoices):
    # The four levels Minato's current system shows, in its words.
    AVAILABLE = "available", pgettext_lazy("crowding", "Available")  # 空いています
    # やや混雑
    SOMEWHAT_CROWDED = "somewhat_crowded", pgettext_lazy("crowding", "Somewhat crowded")
    CROWDED = "crowded", pgettext_lazy("crowding", "Crowded")  # 混雑
    FULL = "full", pgettext_lazy("crowding", "Full")  # 満員


class ShelterStatus(models.Model):
    """The live status of one shelter or evacuation site; made on its first update."""

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, primary_key=True,
                                    related_name="shelter_status",
                                    verbose_name=_("shelter"))
    is_open = models.BooleanField(_("open"), default=False)
    crowding = models.CharField(_("crowding"), max_length=20, choices=Crowding.choices,
                                blank=True, help_text=_("Empty while the shelter is closed."))
    head_count = models.PositiveIntegerField(_("people present"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True,
        help_text=_("How many people the shelter can take; the GSI data has no capacity."))
    capacity_is_demo = models.BooleanField(
        _("capacity invented for the demo"), default=False)
    pets_allowed = models.BooleanField(_("pets allowed"), null=True, blank=True)
    supplies = models.CharField(_("supplies"), max_length=300, blank=True)
    notes = models.TextField(_("notes for the public"), max_length=1000, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last updated"), null=True, blank=True, db_index=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("updated by"))
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        verbose_name = _("shelter status")
        verbose_name_plural = _("shelter statuses")
        permissions = [
            ("update_any_shelter", _("Can update the status of any shelter")),
            ("manage_shelters", _("Can assign staff to shelters and set crowding thresholds")),
        ]
        constraints = [
            # A closed shelter shows no crowding; an open one always does.
            models.CheckConstraint(
                condition=(Q(is_open=False, crowding="") | Q(is_open=True) & ~Q(crowding="")),
                name="disaster_shelterstatus_crowding_only_when_open"),
        ]

    def __str__(self):
        return f"{self.facility} ({'open' if self.is_open else 'closed'})"


class ShelterStatusChange(models.Model):
    """One change of a shelter's status, as it was after the change (the history)."""

    class Event(models.TextChoices):
        OPENED = "opened", pgettext_lazy("shelter", "Opened")
        CLOSED = "closed", pgettext_lazy("shelter", "Closed")
        FULL = "full", _("Became full")
        UPDATED = "updated", _("Updated")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE,
                                 related_name="shelter_status_changes",
                                 verbose_name=_("shelter"))
    changed_at = models.DateTimeField(_("changed at"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("changed by"))
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    fields = models.JSONField(_("fields changed"), default=list)
    is_open = models.BooleanField(_("open"))
    crowding = models.CharField(_("crowding"), max_length=20, choices=Crowding.choices,
                                blank=True)
    head_count = models.PositiveIntegerField(_("people present"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    pets_allowed = models.BooleanField(_("pets allowed"), null=True, blank=True)
    supplies = models.CharField(_("supplies"), max_length=300, blank=True)
    notes = models.TextField(_("notes for the public"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["facility", "-changed_at"])]
        verbose_name = _("shelter status change")
        verbose_name_plural = _("shelter status changes")

    def __str__(self):
        return f"{self.facility} {self.event} {self.changed_at:%Y-%m-%d %H:%M}"


class ShelterAssignment(models.Model):
    """A staff member who may update a shelter (e.g. the staff sent to open it)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE,
                                 related_name="shelter_assignments", verbose_name=_("shelter"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="shelter_assignments", verbose_name=_("staff member"))
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("assigned by"))
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["facility__name_kana", "facility__name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "staff"],
                                    name="disaster_shelterassignment_unique"),
        ]
        verbose_name = _("shelter assignment")
        verbose_name_plural = _("shelter assignments")

    def __str__(self):
        return f"{self.staff} → {self.facility}"


class CrowdingThresholds(models.Model):
    """The shares of capacity (in %) at which a head count becomes やや混雑, 混雑 and 満員;
    one row for the whole city, set by a manager."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    somewhat_crowded_percent = models.PositiveSmallIntegerField(
        _("somewhat crowded from (percent)"), default=30)
    crowded_percent = models.PositiveSmallIntegerField(_("crowded from (percent)"), default=60)
    full_percent = models.PositiveSmallIntegerField(_("full from (percent)"), default=80)
    updated_at = models.DateTimeField(_("last updated"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("crowding thresholds")
        verbose_name_plural = _("crowding thresholds")
        constraints = [
            models.CheckConstraint(
                condition=Q(somewhat_crowded_percent__gte=1)
                & Q(somewhat_crowded_percent__lt=models.F("crowded_percent"))
                & Q(crowded_percent__lt=models.F("full_percent")) & Q(full_percent__lte=100),
                name="disaster_crowdingthresholds_ordered"),
        ]

    def level_for(self, *, head_count: int, capacity: int) -> str:
        share = head_count * 100 / capacity
        if share >= self.full_percent:
            return Crowding.FULL
        if share >= self.crowded_percent:
            return Crowding.CROWDED
        if share >= self.somewhat_crowded_percent:
            return Crowding.SOMEWHAT_CROWDED
        return Crowding.AVAILABLE

    def __str__(self):
        return (f"{self.somewhat_crowded_percent} / {self.crowded_percent} / "
                f"{self.full_percent} %")
