"""Files attached to an online application (取組1 行政手続のオンライン化: 電子申請の添付ファイル):
added to or taken off a draft (or returned) application, and read by a reviewer (audited). A
file leaves the storage only once the rows that named it are gone for good; what an upload
really is, is decided in `procedures.attachments`."""

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

from .applications import EDITABLE_STATUSES

__all__ = ["attachment_add", "attachment_read", "attachment_remove"]

def _file_rules(application, field: str) -> dict:
    from ..forms_schema import file_fields

    rules = file_fields(application.form).get(field)
    if rules is None:
        raise ValidationFailed(_("This question does not take a file."), field=field)
    return rules


def attachment_add(*, application, field: str, uploaded_file, actor):
    """Attach a file to a draft (or returned) application's file field, replacing the file
    attached there before. The type is read from the content; nothing is stored if the file
    or the application's state is refused."""
    from ..attachments import inspect_upload
    from ..models import Application, Attachment

    if actor.pk != application.applicant_id:
        raise PermissionDeniedError()
    rules = _file_rules(application, field)
    facts = inspect_upload(uploaded_file, accept=rules["accept"],
                           max_bytes=rules["max_bytes"], field=field)
    attachment = Attachment(field=field, original_name=facts.name,
                            content_type=facts.content_type, size=facts.size,
                            sha256=facts.sha256)
    try:
        with transaction.atomic():
            current = Application.objects.select_for_update().get(pk=application.pk)
            if current.status not in EDITABLE_STATUSES:
                raise ConflictError(_("This application can no longer be changed."))
            previous = list(current.attachments.filter(field=field))
            replaced = [str(old.id) for old in previous]
            attachment.application = current
            # Stored under a name made from the ids (models._attachment_path).
            attachment.file.save("upload", uploaded_file, save=False)
            attachment.save(force_insert=True)
            for old in previous:
                old.delete()
            current.data = {**current.data, field: str(attachment.id)}
            current.save(update_fields=["data", "updated_at"])
            audit_record(actor=actor, action="attachment.add", target=current,
                         details={"field": field, "attachment": str(attachment.id),
                                  "size": facts.size, "content_type": facts.content_type,
                                  "sha256": facts.sha256, "replaced": replaced})
            _delete_files_on_commit([old.file.name for old in previous])
    except BaseException:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
        raise
    application.data, application.status = current.data, current.status
    return attachment


def attachment_remove(*, application, field: str, actor) -> None:
    """Take the file off a draft (or returned) application's file field."""
    from ..models import Application

    if actor.pk != application.applicant_id:
        raise PermissionDeniedError()
    _file_rules(application, field)
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status not in EDITABLE_STATUSES:
            raise ConflictError(_("This application can no longer be changed."))
        previous = list(current.attachments.filter(field=field))
        if not previous and field not in current.data:
            return
        removed = [str(old.id) for old in previous]
        for old in previous:
            old.delete()
        current.data = {name: value for name, value in current.data.items() if name != field}
        current.save(update_fields=["data", "updated_at"])
        audit_record(actor=actor, action="attachment.remove", target=current,
                     details={"field": field, "attachments": removed})
        _delete_files_on_commit([old.file.name for old in previous])
    application.data, application.status = current.data, current.status


def attachment_read(*, application, attachment_id, actor):
    """A reviewer downloads a file of an application they opened through
    `permissions.access_application`; the reading is audited."""
    import uuid

    from cityhall.core.errors import NotFoundError

    from ..models import Attachment
    from ..permissions import may_review

    if application.status == "draft" or not may_review(actor, application):
        raise PermissionDeniedError()
    try:
        attachment_id = uuid.UUID(str(attachment_id))
    except ValueError:
        raise NotFoundError() from None
    attachment = Attachment.objects.filter(application=application, pk=attachment_id).first()
    if attachment is None:
        raise NotFoundError()
    with transaction.atomic():
        audit_record(actor=actor, action="attachment.read", target=application,
                     purpose="review",
                     details={"attachment": str(attachment.id), "field": attachment.field})
    return attachment


def _delete_files_on_commit(names: list[str]) -> None:
    # A file leaves the storage only once the rows that named it are gone for good.
    from ..models import Attachment

    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if name:
            transaction.on_commit(lambda name=name: storage.delete(name))
