"""The documents a family attaches to its online nursery application (取組7: 申込の
オンライン化, 添付書類): the 就労証明書 of each parent and the other proofs of the situation the
family claims, which staff read before marking the application as checked (書類確認済).

A document is kept privately (the "attachments" storage, outside MEDIA_ROOT) under a name made
of ids, never the resident's; its type was read from its content when it came in
(`procedures.attachments`). The file leaves the storage once its row is gone for good,
however the row went: removed by the resident, or with the withdrawn application or a
deleted round."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from .rounds import Household


def _private_storage():
    from django.core.files.storage import storages

    return storages["attachments"]


def _document_path(document, filename):
    # The stored name never contains what the resident called the file.
    return f"childcare/documents/{document.household_id}/{document.id}"


class OnlineDocument(models.Model):  # 添付書類 (of one online application)
    class Kind(models.TextChoices):
        EMPLOYMENT = "employment", _("Employment certificate (就労証明書)")
        JOB_SEEKING = "job_seeking", _("Job-seeking statement (求職活動申立書)")
        STUDY = "study", _("Certificate of enrolment (在学証明書)")
        MEDICAL = "medical", _("Medical certificate (診断書)")
        DISABILITY = "disability", _("Disability certificate, a copy (障害者手帳等の写し)")
        CARE = "care", _("Proof of nursing care (介護・看護の状況がわかる書類)")
        OTHER = "other", _("Other document")

    class Parent(models.IntegerChoices):
        FIRST = 1, _("Parent 1")
        SECOND = 2, _("Parent 2")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    household = models.ForeignKey(Household, on_delete=models.CASCADE,
                                  related_name="documents")
    kind = models.CharField(_("kind of document"), max_length=20, choices=Kind.choices)
    # Whose situation the document proves; empty for one about the whole family.
    parent = models.PositiveSmallIntegerField(_("parent concerned"), choices=Parent.choices,
                                              null=True, blank=True)
    file = models.FileField(upload_to=_document_path, storage=_private_storage,
                            max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["household", "uploaded_at", "id"]
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")

    def __str__(self):
        return self.original_name


@receiver(post_delete, sender=OnlineDocument)
def _delete_the_file_once_the_row_is_gone(sender, instance, **kwargs):
    # After the commit: a rolled-back delete keeps a row that still names its file.
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
