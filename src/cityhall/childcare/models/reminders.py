"""Immunisation reminders and the daily run that makes them (取組23 母子手帳アプリ).

Messages are stored before they are sent (DESIGN.md): the daily run writes one
`ImmunisationReminder` row per thing to tell (a dose is due, the free period ends, a planned
date is tomorrow or was missed). The row's natural key (child, series, dose, kind, date) is
unique, so running the day again, or every hour, never makes a second row; the row's status
says whether it was sent, failed (and will be tried again) or was skipped. A row holds dates
and codes only: the text is written at sending time in the guardian's language.

`ImmunisationDailyRun` records each day's run, and holds the coverage counts computed in the
same pass (the staff coverage page shows them "as of" that day).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImmunisationReminder(models.Model):  # 予防接種のお知らせ
    class Kind(models.TextChoices):
        DUE = "due", _("A dose is due")
        ENDS_30 = "ends_30", _("The free period ends in 30 days")
        ENDS_7 = "ends_7", _("The free period ends in 7 days")
        TOMORROW = "tomorrow", _("A planned date is tomorrow")
        MISSED = "missed", _("A planned date was missed")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (will be tried again)")
        SKIPPED = "skipped", _("Not sent (no longer relevant or reminders turned off)")

    child = models.ForeignKey("childcare.ChildProfile", on_delete=models.CASCADE,
                              related_name="immunisation_reminders")
    series = models.CharField(_("series"), max_length=20)  # immunisation.series.SERIES key
    dose = models.PositiveSmallIntegerField(_("dose number"), default=0)  # 0: not one dose
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date it is about"))
    # Dates the text needs (earliest, recommended window, last free date): no personal data.
    facts = models.JSONField(default=dict, blank=True)
    created_on = models.DateField(_("made by the run of"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)  # the error's class, no text
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["child", "on", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["child", "series", "dose", "kind", "on"],
            name="childcare_reminder_unique")]
        indexes = [models.Index(fields=["status", "queued_at"],
                                name="childcare_reminder_status")]
        verbose_name = _("immunisation reminder")
        verbose_name_plural = _("immunisation reminders")

    def __str__(self):
        return f"{self.series} {self.kind} {self.on}"


class ImmunisationDailyRun(models.Model):
    """One day's pass over every child: reminders made, and the coverage counts as of that
    day (`coverage`: [[fiscal year of birth, branch office id or null, series, bucket,
    children], ...], aggregates only)."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    children = models.PositiveIntegerField(default=0)
    reminders_created = models.PositiveIntegerField(default=0)
    coverage = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("immunisation daily run")
        verbose_name_plural = _("immunisation daily runs")

    def __str__(self):
        return str(self.day)
