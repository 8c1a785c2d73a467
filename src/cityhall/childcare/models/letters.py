"""Telling applicants that a round's result is out, and the result letters of a round
(取組7 nursery admission): one `ResultNotice` per online application (stored before it is
sent, so a notice goes out once even when the task runs again), and `LetterBatch`, the
letters of a whole round printed by a background task into one private PDF."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rounds import AdmissionRound, Application


def _private_storage():
    # The letters carry children's names and results: kept with residents' uploads, outside
    # MEDIA_ROOT, served only by a view that checks the permission (settings.STORAGES).
    from django.core.files.storage import storages

    return storages["attachments"]


class ResultNotice(models.Model):  # 結果通知のお知らせ (to one online applicant)
    application = models.OneToOneField(Application, on_delete=models.CASCADE,
                                       related_name="result_notice")
    key = models.CharField(_("notice key"), max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["application"]
        verbose_name = _("result notice")
        verbose_name_plural = _("result notices")

    def __str__(self):
        return self.key


class LetterBatch(models.Model):  # 通知書の一括印刷
    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Printing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="letter_batches")
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.QUEUED)
    total = models.PositiveIntegerField(_("households"), default=0)
    done = models.PositiveIntegerField(_("households printed"), default=0)
    # Printed in parts of `part_size` households (kept until the whole file is joined), so
    # a task that stops half-way goes on from the last finished part.
    part_size = models.PositiveIntegerField(_("households per part"), default=100)
    parts = models.JSONField(_("finished parts"), default=list, blank=True)
    file = models.FileField(_("file"), upload_to="childcare/letters/%Y/%m/",
                            storage=_private_storage, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["round", "-requested_at", "-pk"]
        verbose_name = _("letter batch")
        verbose_name_plural = _("letter batches")

    def __str__(self):
        return f"{self.round_id}:{self.pk} {self.state} {self.done}/{self.total}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
