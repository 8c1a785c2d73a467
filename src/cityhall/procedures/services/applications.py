"""Online applications (取組1 行政手続のオンライン化: 電子申請): the versioned forms, the
resident's draft and its submission with a reference number, and the staff review (assign,
comment, the status transitions with two-person approval). Every status change is announced,
once it commits, to the registered status listeners (the applicant's notification, the
business systems' webhooks)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

from .. import fees
from ..models import ApplicationEvent, PaymentStatus, Procedure

__all__ = [
    "EDITABLE_STATUSES", "RESIDENT_TRANSITIONS", "STAFF_TRANSITIONS", "application_assign",
    "application_comment", "application_form_save", "application_save_draft",
    "application_start", "application_submit", "application_transition",
    "notify_applicant_of_change", "register_status_listener",
]

# Which status may follow which, and who moves it there.
REFERENCE_SEQUENCE = "procedures.application"  # core.YearCounter: A<year>-NNNNNN

RESIDENT_TRANSITIONS = {
    ("draft", "submitted"), ("returned", "submitted"),
}
STAFF_TRANSITIONS = {
    ("submitted", "in_review"), ("in_review", "returned"), ("in_review", "approved"),
    ("in_review", "rejected"), ("approved", "completed"), ("submitted", "returned"),
}
EDITABLE_STATUSES = ("draft", "returned")

# Engines and domains that must hear of every status change (the notifications engine, the
# business-system webhooks) register a callable here; it is called after the change commits.
_status_listeners: list = []


def register_status_listener(listener) -> None:
    _status_listeners.append(listener)


def _announce(application, status_from):
    for listener in list(_status_listeners):
        transaction.on_commit(lambda listener=listener: listener(
            application=application, status_from=status_from))


def notify_applicant_of_change(*, application, status_from) -> None:
    """Status listener: tell the applicant of the step just committed (the notifications
    engine's narrow interface is `core.notify`)."""
    from ..tasks import notify_applicant

    event = application.events.filter(status_from=status_from,
                                       status_to=application.status).order_by("-id").first()
    if event is not None and not event.is_internal:
        notify_applicant.enqueue(event.pk)


def application_form_save(*, procedure: Procedure, schema: dict, ui: dict, activate: bool,
                          actor):
    """Add a new version of a procedure's online form (versions are never edited, so an
    application always shows the questions it was answered with)."""
    from ..models import ApplicationForm

    with transaction.atomic():
        latest = ApplicationForm.objects.select_for_update().filter(procedure=procedure).first()
        same = latest and latest.schema == schema and latest.ui == ui
        if same:
            form = latest
        else:
            form = ApplicationForm(procedure=procedure, schema=schema, ui=ui,
                                   version=(latest.version + 1) if latest else 1)
            try:
                form.full_clean(exclude=["is_active"])
            except ValidationError as error:
                raise ValidationFailed("; ".join(error.messages)) from None
        if activate and not form.is_active:
            ApplicationForm.objects.filter(procedure=procedure, is_active=True).update(
                is_active=False)
            form.is_active = True
        if not same or activate:
            form.save()
            audit_record(actor=actor, action="application_form.save", target=form,
                         details={"procedure": procedure.code, "version": form.version,
                                  "active": form.is_active})
    return form


def application_start(*, procedure: Procedure, applicant, actor):
    """The resident's open draft for this procedure, or a new one on the active form."""
    from ..models import Application

    if actor.pk != applicant.pk:
        raise PermissionDeniedError()
    form = procedure.forms.filter(is_active=True).first()
    if form is None or not procedure.is_published:
        raise ValidationFailed(_("This procedure cannot be applied for online."))
    with transaction.atomic():
        draft = Application.objects.filter(procedure=procedure, applicant=applicant,
                                           status=Application.Status.DRAFT).first()
        if draft is None:
            draft = Application.objects.create(procedure=procedure, form=form,
                                               applicant=applicant)
            ApplicationEvent.objects.create(application=draft, status_to="draft", actor=actor)
            audit_record(actor=actor, action="application.start", target=draft,
                         details={"procedure": procedure.code})
    return draft


def application_save_draft(*, application, data: dict, actor):
    from ..models import Application

    if actor.pk != application.applicant_id:
        raise PermissionDeniedError()
    with transaction.atomic():
        # The stored status decides, not the caller's copy: it may have been submitted since.
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status not in EDITABLE_STATUSES:
            raise ConflictError(_("This application can no longer be changed."))
        current.data = data
        current.save(update_fields=["data", "updated_at"])
    application.data, application.status = current.data, current.status
    return current



def _check_attachments(application) -> None:
    """Every file field's answer must be an attachment of this very application."""
    from ..forms_schema import file_fields

    attached = {str(pk): field for pk, field in
                application.attachments.values_list("id", "field")}
    for field in file_fields(application.form):
        value = application.data.get(field)
        if value is not None and attached.get(str(value)) != field:
            raise ValidationFailed(_("The attached file could not be found. Please attach it "
                                     "again."), field=field, code="attachment_missing")


def _next_reference(year: int) -> str:
    from cityhall.core.services import sequence_next

    return f"A{year}-{sequence_next(sequence=REFERENCE_SEQUENCE, year=year):06d}"


def application_submit(*, application, actor):
    """Validate the whole application against its form's schema, give it a reference number
    and submit it. Nothing changes if anything is invalid."""
    from django.utils import timezone

    from ..forms_schema import prefill_values, schema_errors
    from ..models import Application

    if actor.pk != application.applicant_id:
        raise PermissionDeniedError()
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if (application.status, "submitted") not in RESIDENT_TRANSITIONS:
            raise ConflictError(_("This application has already been submitted."))
        prefilled = prefill_values(application.form, application.applicant)
        missing = set(application.form.ui.get("prefill") or {}) - set(prefilled)
        if missing:
            raise ValidationFailed(_("Please complete your details (name, address) in your "
                                     "account first."), code="profile_incomplete")
        _check_attachments(application)
        errors = schema_errors(application.form, {**application.data, **prefilled})
        if errors:
            field = next(iter(errors))
            raise ValidationFailed(errors[field][0], field=field or None)
        status_from = application.status
        application.prefilled = prefilled
        first_submission = application.reference is None
        if first_submission:
            # The fee is fixed when first submitted; a corrected application is not charged
            # again and keeps its payment.
            fee = application.procedure.fee_yen or None
            application.fee_yen = fee
            application.payment_status = fees.initial_payment_status(fee)
        application.status = Application.Status.SUBMITTED
        application.submitted_at = timezone.now()
        if not application.reference:
            application.reference = _next_reference(timezone.localdate().year)
        application.save()
        ApplicationEvent.objects.create(application=application, status_from=status_from,
                                        status_to="submitted", actor=actor)
        audit_record(actor=actor, action="application.submit", target=application,
                     details={"reference": application.reference,
                              "procedure": application.procedure.code,
                              "fee_yen": application.fee_yen})
        if first_submission and application.payment_status == PaymentStatus.PENDING:
            from ..tasks import request_fee_payment

            enqueue_on_commit(request_fee_payment, application.pk)
        _announce(application, status_from)
    return application


def _require_reviewer(actor, application):
    from cityhall.core.permissions import can

    from ..permissions import may_review

    if not can(actor, "procedures.change_application") or not may_review(actor, application):
        raise PermissionDeniedError()


def application_assign(*, application, assignee, actor):
    """Give an application to a reviewer (or take it: assignee=actor)."""
    from ..models import Application
    from ..permissions import may_review

    _require_reviewer(actor, application)
    if assignee is not None and not may_review(assignee, application):
        raise ValidationFailed(_("That person cannot review this application."),
                               field="assignee")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        application.assignee = assignee
        application.save(update_fields=["assignee", "updated_at"])
        audit_record(actor=actor, action="application.assign", target=application,
                     details={"assignee": getattr(assignee, "pk", None)})
    return application


def application_comment(*, application, actor, comment: str, is_internal: bool):
    """A note on an application: internal (staff only) or to the applicant."""
    _require_reviewer(actor, application)
    if not comment.strip():
        raise ValidationFailed(_("Write a comment."), field="comment")
    with transaction.atomic():
        event = ApplicationEvent.objects.create(
            application=application, status_from=application.status,
            status_to=application.status, actor=actor, comment=comment.strip()[:4000],
            is_internal=is_internal)
        audit_record(actor=actor, action="application.comment", target=application,
                     details={"internal": is_internal})
        if not is_internal:
            from ..tasks import notify_applicant

            enqueue_on_commit(notify_applicant, event.pk)


def application_transition(*, application, status_to: str, actor, comment: str = "",
                           is_internal: bool = False):
    """A staff decision on an application (review, return, approve, reject, complete).

    Where the procedure requires two-person approval, the first "approve" is recorded and
    the application stays in review until a different staff member approves it too.
    """
    from ..models import Application

    _require_reviewer(actor, application)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if (status_to == "approved" and application.status == "in_review"
                and application.procedure.requires_two_approvals):
            if application.first_approver_id is None:
                application.first_approver = actor
                application.save(update_fields=["first_approver", "updated_at"])
                ApplicationEvent.objects.create(
                    application=application, status_from="in_review", status_to="in_review",
                    actor=actor, comment=comment or _("First approval recorded; a second "
                                                      "person must approve."),
                    is_internal=True)
                audit_record(actor=actor, action="application.first_approval",
                             target=application)
                return application
            if application.first_approver_id == actor.pk:
                raise ConflictError(_("A second, different person must approve this "
                                      "application."))
        if (application.status, status_to) not in STAFF_TRANSITIONS:
            raise ConflictError(_("An application that is %(status)s cannot become "
                                  "%(target)s.") % {
                "status": application.get_status_display(),
                "target": Application.Status(status_to).label
                if status_to in Application.Status.values else status_to})
        if status_to == "completed" and application.payment_status in (
                PaymentStatus.PENDING, PaymentStatus.AT_COUNTER):
            raise ConflictError(_("The fee has not been paid yet: record the payment first."))
        if status_to == "returned" and not comment.strip():
            raise ValidationFailed(_("Tell the applicant what to correct."), field="comment")
        status_from = application.status
        application.status = status_to
        if status_to == "returned":
            application.first_approver = None  # a corrected application is approved afresh
        application.save(update_fields=["status", "first_approver", "updated_at"])
        ApplicationEvent.objects.create(application=application, status_from=status_from,
                                        status_to=status_to, actor=actor, comment=comment,
                                        is_internal=is_internal)
        audit_record(actor=actor, action="application.transition", target=application,
                     details={"from": status_from, "to": status_to})
        _announce(application, status_from)
    return application
