"""The documents of a resident's online nursery application (取組7: 申込のオンライン化, 添付書類):
the 就労証明書 and other proofs of what the family claims, attached by the resident while the
round takes online applications, and read by the staff who check the application
(書類確認済). What an upload really is (PDF, JPEG or PNG, read from its first bytes; size) is
decided by the procedures engine's `attachments.inspect_upload`, the same rule as every other
online application's files.

Attaching or removing a document is a change like any other: a sent application becomes a
draft again, to be sent again (services.online). A resident reaching another's document gets
"not found"; a staff read goes through `access_application` (audited with its purpose) and is
audited once more with the document read."""

import uuid

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, ValidationFailed

from ..models import Household, OnlineDocument
from .online import _back_to_draft, _lock_own

__all__ = ["MAX_DOCUMENTS", "document_rules", "online_document_add", "online_document_remove",
           "own_document", "staff_document_read"]

# Enough for two parents' certificates and the proofs of a few adjustments, twice over.
MAX_DOCUMENTS = 12


def document_rules() -> dict:
    """What a document may be: the types (content types) and the largest size in bytes."""
    from cityhall.procedures.attachments import FILE_TYPES

    return {"accept": list(FILE_TYPES), "max_bytes": settings.ATTACHMENT_MAX_BYTES}


def _check_choice(kind: str, parent) -> int | None:
    if kind not in OnlineDocument.Kind.values:
        raise ValidationFailed(_("Choose the kind of document."), code="bad_kind", field="kind")
    if parent in (None, ""):
        return None
    try:
        parent = int(parent)
    except (TypeError, ValueError):
        parent = 0
    if parent not in OnlineDocument.Parent.values:
        raise ValidationFailed(_("Choose whose situation the document shows."),
                               code="bad_parent", field="parent")
    return parent


def online_document_add(*, household: Household, kind: str, parent, uploaded_file,
                        actor) -> OnlineDocument:
    """Attach a document to the resident's application while the round takes online
    applications. Nothing is stored if the file, the choice or the application's state is
    refused."""
    from cityhall.procedures.attachments import inspect_upload

    parent = _check_choice(kind, parent)
    if uploaded_file is None:
        raise ValidationFailed(_("Choose the file to attach."), code="required", field="file")
    rules = document_rules()
    facts = inspect_upload(uploaded_file, accept=rules["accept"],
                           max_bytes=rules["max_bytes"], field="file")
    document = OnlineDocument(kind=kind, parent=parent, original_name=facts.name,
                              content_type=facts.content_type, size=facts.size,
                              sha256=facts.sha256, uploaded_by=actor)
    try:
        with transaction.atomic():
            household = _lock_own(household, actor)
            if household.documents.count() >= MAX_DOCUMENTS:
                raise ValidationFailed(
                    _("At most %(count)d documents can be attached: remove one first.")
                    % {"count": MAX_DOCUMENTS}, code="too_many", field="file")
            document.household = household
            # Stored under a name made from the ids (models.documents._document_path).
            document.file.save("upload", uploaded_file, save=False)
            document.save(force_insert=True)
            _back_to_draft(household)
            audit_record(actor=actor, action="childcare.online_application.document_add",
                         target=household,
                         details={"document": str(document.id), "kind": kind,
                                  "parent": parent, "size": facts.size,
                                  "content_type": facts.content_type,
                                  "sha256": facts.sha256})
    except BaseException:
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def _document_of(household: Household, document_id) -> OnlineDocument:
    try:
        return household.documents.get(pk=uuid.UUID(str(document_id)))
    except (OnlineDocument.DoesNotExist, ValueError, TypeError, AttributeError):
        raise NotFoundError() from None


def own_document(household: Household, document_id) -> OnlineDocument:
    """A document of the user's own application (`online.own_household` found it)."""
    return _document_of(household, document_id)


def online_document_remove(*, household: Household, document_id, actor) -> None:
    """Take a document off the resident's application while the round takes online
    applications; the file leaves the storage after the commit."""
    with transaction.atomic():
        household = _lock_own(household, actor)
        document = _document_of(household, document_id)
        audit_record(actor=actor, action="childcare.online_application.document_remove",
                     target=household,
                     details={"document": str(document.id), "kind": document.kind})
        document.delete()
        _back_to_draft(household)


def staff_document_read(*, application, document_id, actor) -> OnlineDocument:
    """A document of the household of an application that staff opened through
    `permissions.access_application`; the reading is audited."""
    document = _document_of(application.household, document_id)
    with transaction.atomic():
        audit_record(actor=actor, action="childcare.online_application.document_read",
                     target=application.household,
                     purpose=_("Nursery admission: check the documents of an online "
                               "application"),
                     details={"document": str(document.id), "kind": document.kind,
                              "application": application.pk})
    return document
