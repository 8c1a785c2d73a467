"""Every write of the procedures engine (取組1, 3): the catalogue with its change history,
life-event rules validated on save, and residents' saved checklists."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department

from . import fees
from .models import (
    ApplicationEvent,
    EventRule,
    LifeEvent,
    PaymentStatus,
    Procedure,
    ProcedureRevision,
    SavedChecklist,
)
from .search import build_index

TRACKED_FIELDS = [field.name for field in Procedure._meta.fields
                  if field.name not in ("id", "search_index", "updated_at")]


def _index(procedure: Procedure) -> str:
    return build_index(procedure.name_ja, procedure.name_kana, procedure.name_en,
                       " ".join(procedure.keywords_ja or []), procedure.purpose_ja)


def _snapshot(procedure: Procedure) -> dict:
    values = {}
    for name in TRACKED_FIELDS:
        value = getattr(procedure, f"{name}_id" if name == "department" else name)
        values[name] = value
    return values


def procedure_save(*, procedure: Procedure, actor) -> Procedure:
    """Validate and save a procedure, recording what changed as a new revision."""
    try:
        procedure.full_clean()
    except ValidationError as error:
        raise ValidationFailed("; ".join(error.messages)) from None
    with transaction.atomic():
        before = {}
        if procedure.pk:
            stored = Procedure.objects.select_for_update().get(pk=procedure.pk)
            before = _snapshot(stored)
        after = _snapshot(procedure)
        changes = {name: [before.get(name), value] for name, value in after.items()
                   if before.get(name) != value}
        if procedure.pk and not changes:
            return procedure
        procedure.search_index = _index(procedure)
        procedure.save()
        number = (procedure.revisions.order_by("-number").values_list("number", flat=True)
                  .first() or 0) + 1
        ProcedureRevision.objects.create(procedure=procedure, number=number,
                                         changed_by=actor if getattr(actor, "pk", None) else None,
                                         changes=changes)
        audit_record(actor=actor, action="procedure.save", target=procedure,
                     details={"revision": number, "fields": sorted(changes)})
    return procedure


def life_event_save(*, life_event: LifeEvent, actor) -> LifeEvent:
    try:
        life_event.full_clean()
    except ValidationError as error:
        raise ValidationFailed("; ".join(error.messages)) from None
    with transaction.atomic():
        life_event.save()
        audit_record(actor=actor, action="life_event.save", target=life_event)
    return life_event


def event_rule_save(*, rule: EventRule, actor) -> EventRule:
    try:
        rule.full_clean()
    except ValidationError as error:
        raise ValidationFailed("; ".join(error.messages)) from None
    with transaction.atomic():
        rule.save()
        audit_record(actor=actor, action="event_rule.save", target=rule,
                     details={"life_event": rule.life_event.code,
                              "procedure": rule.procedure.code})
    return rule


def catalogue_import(*, data: dict, actor=None) -> dict:
    """Create or update life events, procedures and rules from a dict in the shape of
    `data/minato_procedures.json`; everything is validated, and nothing is written unless
    all of it is valid. Safe to run again."""
    departments = {d.code: d for d in Department.objects.all()}
    counts = {"life_events": 0, "procedures": 0, "rules": 0}
    with transaction.atomic():
        events = {}
        for row in data["life_events"]:
            event = LifeEvent.objects.filter(code=row["code"]).first() or LifeEvent(
                code=row["code"])
            for field in ("name_ja", "name_en", "description_ja", "description_en", "order",
                          "questions", "event_date_fact"):
                setattr(event, field, row.get(field, getattr(event, field)))
            life_event_save(life_event=event, actor=actor)
            events[event.code] = event
            counts["life_events"] += 1
        procedures = {}
        for row in data["procedures"]:
            procedure = Procedure.objects.filter(code=row["code"]).first() or Procedure(
                code=row["code"])
            for field, value in row.items():
                if field in ("code", "department"):
                    continue
                if field in ("fee_yen", "deadline_days") and value is None:
                    setattr(procedure, field, None)
                elif hasattr(procedure, field):
                    setattr(procedure, field, "" if value is None else value)
            department = row.get("department")
            if department and department not in departments:
                raise ValidationFailed(_("%(procedure)s: there is no department “%(code)s”.")
                                       % {"procedure": row["code"], "code": department})
            procedure.department = departments.get(department)
            procedure_save(procedure=procedure, actor=actor)
            procedures[procedure.code] = procedure
            counts["procedures"] += 1
        for row in data["rules"]:
            event = events.get(row["life_event"]) or LifeEvent.objects.get(
                code=row["life_event"])
            procedure = procedures.get(row["procedure"]) or Procedure.objects.get(
                code=row["procedure"])
            rule = EventRule.objects.filter(life_event=event, procedure=procedure).first() \
                or EventRule(life_event=event, procedure=procedure)
            rule.step = row.get("step", 100)
            rule.condition = row.get("condition")
            rule.deadline_days = row.get("deadline_days")
            rule.note_ja = row.get("note_ja", "")
            rule.note_en = row.get("note_en", "")
            event_rule_save(rule=rule, actor=actor)
            counts["rules"] += 1
        counts["forms"] = 0
        for row in data.get("forms", []):
            procedure = procedures.get(row["procedure"]) or Procedure.objects.get(
                code=row["procedure"])
            application_form_save(procedure=procedure, schema=row["schema"], ui=row["ui"],
                                  activate=True, actor=actor)
            counts["forms"] += 1
    return counts


def checklist_save(*, user, life_event: LifeEvent, answers: dict, event_date,
                   actor) -> SavedChecklist:
    if actor.pk != user.pk:
        raise PermissionDeniedError()
    with transaction.atomic():
        saved = SavedChecklist.objects.create(user=user, life_event=life_event,
                                              answers=answers, event_date=event_date)
        audit_record(actor=actor, action="checklist.save", target=saved,
                     details={"life_event": life_event.code})
    return saved


def checklist_delete(*, saved: SavedChecklist, actor) -> None:
    if actor.pk != saved.user_id:
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=actor, action="checklist.delete", target=saved)
        saved.delete()


# --- e-applications ------------------------------------------------------------------------

# Which status may follow which, and who moves it there.
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
    from .tasks import notify_applicant

    event = application.events.filter(status_from=status_from,
                                       status_to=application.status).order_by("-id").first()
    if event is not None and not event.is_internal:
        notify_applicant.enqueue(event.pk)


def application_form_save(*, procedure: Procedure, schema: dict, ui: dict, activate: bool,
                          actor):
    """Add a new version of a procedure's online form (versions are never edited, so an
    application always shows the questions it was answered with)."""
    from .models import ApplicationForm

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
    from .models import Application

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
    from .models import Application

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


def _file_rules(application, field: str) -> dict:
    from .forms_schema import file_fields

    rules = file_fields(application.form).get(field)
    if rules is None:
        raise ValidationFailed(_("This question does not take a file."), field=field)
    return rules


def attachment_add(*, application, field: str, uploaded_file, actor):
    """Attach a file to a draft (or returned) application's file field, replacing the file
    attached there before. The type is read from the content; nothing is stored if the file
    or the application's state is refused."""
    from .attachments import inspect_upload
    from .models import Application, Attachment

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
    from .models import Application

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

    from .models import Attachment
    from .permissions import may_review

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
    from .models import Attachment

    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if name:
            transaction.on_commit(lambda name=name: storage.delete(name))


def _check_attachments(application) -> None:
    """Every file field's answer must be an attachment of this very application."""
    from .forms_schema import file_fields

    attached = {str(pk): field for pk, field in
                application.attachments.values_list("id", "field")}
    for field in file_fields(application.form):
        value = application.data.get(field)
        if value is not None and attached.get(str(value)) != field:
            raise ValidationFailed(_("The attached file could not be found. Please attach it "
                                     "again."), field=field, code="attachment_missing")


def _next_reference(year: int) -> str:
    from .models import ReferenceCounter

    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"A{year}-{counter.last:06d}"


def application_submit(*, application, actor):
    """Validate the whole application against its form's schema, give it a reference number
    and submit it. Nothing changes if anything is invalid."""
    from django.utils import timezone

    from .forms_schema import prefill_values, schema_errors
    from .models import Application

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
            from .tasks import request_fee_payment

            enqueue_on_commit(request_fee_payment, application.pk)
        _announce(application, status_from)
    return application


def _require_reviewer(actor, application):
    from cityhall.core.permissions import can

    from .permissions import may_review

    if not can(actor, "procedures.change_application") or not may_review(actor, application):
        raise PermissionDeniedError()


def application_assign(*, application, assignee, actor):
    """Give an application to a reviewer (or take it: assignee=actor)."""
    from .models import Application
    from .permissions import may_review

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
            from .tasks import notify_applicant

            enqueue_on_commit(notify_applicant, event.pk)


def application_transition(*, application, status_to: str, actor, comment: str = "",
                           is_internal: bool = False):
    """A staff decision on an application (review, return, approve, reject, complete).

    Where the procedure requires two-person approval, the first "approve" is recorded and
    the application stays in review until a different staff member approves it too.
    """
    from .models import Application

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


# --- fees (the seam to the payments engine) ----------------------------------------------------

def application_payment_record(*, application, status: str, reference: str = "", actor):
    """Record what happened to an application's fee: paid (online or at the counter) or
    refunded. `actor` is the staff member at the counter, or None when the payments engine
    reports a payment it took."""
    from .models import Application

    if actor is not None:
        _require_reviewer(actor, application)
    if status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        raise ValidationFailed(_("A payment can only be recorded as paid or refunded."),
                               field="status")
    reference = (reference or "").strip()[:80]
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if not application.fee_yen:
            raise ConflictError(_("This application has no fee."))
        allowed_from = {PaymentStatus.PAID: (PaymentStatus.PENDING, PaymentStatus.AT_COUNTER),
                        PaymentStatus.REFUNDED: (PaymentStatus.PAID,)}[status]
        if application.payment_status == status and (
                not reference or application.payment_reference == reference):
            return application  # the same report again (a retried webhook): nothing to do
        if application.payment_status not in allowed_from:
            raise ConflictError(_("The payment of this application is already “%(status)s”.")
                                % {"status": application.get_payment_status_display()})
        application.payment_status = status
        if reference:
            application.payment_reference = reference
        application.save(update_fields=["payment_status", "payment_reference", "updated_at"])
        ApplicationEvent.objects.create(
            application=application, status_from=application.status,
            status_to=application.status, actor=actor,
            comment=(_("Fee of %(fee)s yen paid.") if status == PaymentStatus.PAID
                     else _("Fee of %(fee)s yen refunded.")) % {
                "fee": f"{application.fee_yen:,}"})
        audit_record(actor=actor, action=f"application.payment_{status}", target=application,
                     details={"fee_yen": application.fee_yen, "reference": reference})
    return application


def application_payment_requested(*, application_id: int, reference: str) -> None:
    """The payments engine created the payment: keep its reference (idempotent)."""
    from .models import Application

    Application.objects.filter(pk=application_id, payment_reference="").update(
        payment_reference=reference[:80])


# --- write-less counter (書かない窓口) -----------------------------------------------------------

FACT_MAX_LENGTH = {"text": 200, "date": 10, "long": 1000}


def _require_counter(actor, permission="procedures.change_countersession"):
    from cityhall.core.permissions import can

    if not can(actor, permission):
        raise PermissionDeniedError()


def counter_visit_start(*, life_event: LifeEvent, resident_id=None, actor):
    """Open a visit at the counter, for a registered resident (their record is read through
    the audited door, scoped to the clerk's branch office) or for a visitor whose facts staff
    enter once."""
    from cityhall.core.permissions import access_resident_profile, staff_branch_office_id

    from .counter import known_facts
    from .models import CounterSession

    _require_counter(actor, "procedures.add_countersession")
    resident = None
    if resident_id not in (None, ""):
        resident = access_resident_profile(
            actor, resident_id, purpose=f"write-less counter: {life_event.code}")
    with transaction.atomic():
        visit = CounterSession.objects.create(
            branch_office_id=staff_branch_office_id(actor), staff=actor, resident=resident,
            life_event=life_event,
            facts=known_facts(resident_profile=resident, event_date=None))
        audit_record(actor=actor, action="counter_visit.start", target=visit,
                     purpose="write-less counter",
                     details={"life_event": life_event.code,
                              "resident": resident.pk if resident else None})
    return visit


def _locked_open_visit(visit):
    from .models import CounterSession

    current = CounterSession.objects.select_for_update().get(pk=visit.pk)
    if current.state == CounterSession.State.CLOSED:
        raise ConflictError(_("This counter visit is closed."))
    return current


def counter_visit_answer(*, visit, answers: dict, event_date, actor):
    """Keep the navigator's answers; the procedures chosen become everything that applies,
    and the date of the event fills the forms' date unless staff already corrected it."""
    from .selectors import checklist

    _require_counter(actor)
    with transaction.atomic():
        current = _locked_open_visit(visit)
        previous_date = current.event_date
        current.answers = answers
        current.event_date = event_date
        current.procedure_codes = [item.procedure.code for item in checklist(
            life_event=current.life_event, answers=answers, event_date=event_date)]
        # The event date fills its facts unless staff have already written something else.
        before = previous_date.isoformat() if previous_date else None
        for key in filter(None, ("event_date", current.life_event.event_date_fact)):
            if event_date and current.facts.get(key) in (None, "", before):
                current.facts = {**current.facts, key: event_date.isoformat()}
        current.save(update_fields=["answers", "event_date", "procedure_codes", "facts",
                                    "updated_at"])
        audit_record(actor=actor, action="counter_visit.answer", target=current,
                     details={"procedures": current.procedure_codes})
    return current


def counter_visit_choose(*, visit, procedure_codes: list[str], actor):
    """Which of the applicable procedures the resident files today."""
    from .selectors import checklist

    _require_counter(actor)
    with transaction.atomic():
        current = _locked_open_visit(visit)
        applicable = [item.procedure.code for item in checklist(
            life_event=current.life_event, answers=current.answers,
            event_date=current.event_date)]
        unknown = [code for code in procedure_codes if code not in applicable]
        if unknown:
            raise ValidationFailed(_("Choose only procedures that apply to this life event."),
                                   field="procedures")
        current.procedure_codes = [code for code in applicable if code in procedure_codes]
        current.save(update_fields=["procedure_codes", "updated_at"])
        audit_record(actor=actor, action="counter_visit.choose", target=current,
                     details={"procedures": current.procedure_codes})
    return current


def counter_visit_set_facts(*, visit, facts: dict, actor):
    """Correct facts once; every form of the visit shows the new value. Only known facts,
    of sensible length, and real dates are kept; nothing changes if one is wrong."""
    import datetime

    from .counter import FACTS

    _require_counter(actor)
    cleaned = {}
    for key, value in facts.items():
        fact = FACTS.get(key)
        if fact is None:
            raise ValidationFailed(_("Unknown fact: %(names)s. Use one of %(known)s.")
                                   % {"names": key, "known": ", ".join(FACTS)}, field=key)
        value = "" if value is None else str(value).strip()
        if len(value) > FACT_MAX_LENGTH[fact.kind]:
            raise ValidationFailed(_("Please use at most %(limit_value)d characters.")
                                   % {"limit_value": FACT_MAX_LENGTH[fact.kind]}, field=key)
        if value and fact.kind == "date":
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise ValidationFailed(_("Enter the date as year-month-day, e.g. 2026-04-01."),
                                       field=key) from None
        cleaned[key] = value
    with transaction.atomic():
        current = _locked_open_visit(visit)
        merged = {**current.facts, **cleaned}
        merged = {key: value for key, value in merged.items() if value}
        changed = sorted(key for key in set(merged) | set(current.facts)
                         if merged.get(key) != current.facts.get(key))
        current.facts = merged
        current.save(update_fields=["facts", "updated_at"])
        audit_record(actor=actor, action="counter_visit.facts", target=current,
                     details={"changed": changed})
    return current


def counter_visit_print(*, visit, actor) -> bytes:
    """All the visit's forms, pre-filled, as one PDF; what was produced goes in the audit
    log (which forms, which facts were filled, never their values)."""
    from django.db.models import F

    from .counter import assemble_forms
    from .documents import counter_forms_pdf
    from .models import CounterSession

    _require_counter(actor, "procedures.view_countersession")
    procedures = _visit_procedures(visit)
    if not procedures:
        raise ValidationFailed(_("Choose at least one procedure to print its form."),
                               field="procedures")
    forms = assemble_forms(procedures=procedures, facts=visit.facts)
    pdf = counter_forms_pdf(visit=visit, forms=forms)
    with transaction.atomic():
        CounterSession.objects.filter(pk=visit.pk).exclude(
            state=CounterSession.State.CLOSED).update(
            state=CounterSession.State.PRINTED, printed_count=F("printed_count") + 1)
        audit_record(actor=actor, action="counter_visit.print", target=visit,
                     purpose="write-less counter",
                     details={"procedures": [procedure.code for procedure in procedures],
                              "facts_filled": sorted(visit.facts),
                              "blank_fields": sum(form.blank_count for form in forms),
                              "bytes": len(pdf)})
    return pdf


def _visit_procedures(visit) -> list[Procedure]:
    by_code = {procedure.code: procedure for procedure in Procedure.objects.filter(
        code__in=visit.procedure_codes).select_related("department")}
    return [by_code[code] for code in visit.procedure_codes if code in by_code]


def counter_visit_close(*, visit, actor):
    from .models import CounterSession

    _require_counter(actor)
    with transaction.atomic():
        current = CounterSession.objects.select_for_update().get(pk=visit.pk)
        if current.state != CounterSession.State.CLOSED:
            current.state = CounterSession.State.CLOSED
            current.save(update_fields=["state", "updated_at"])
            audit_record(actor=actor, action="counter_visit.close", target=current)
    return current


def application_fee_pay_online(*, application, actor):
    """The applicant's way to pay the fee online now (again, after a failed attempt);
    returns the payment of the payments engine."""
    from .models import Application

    if actor.pk != application.applicant_id:
        raise PermissionDeniedError()
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.payment_status != PaymentStatus.PENDING or fees.fee_gateway() is None:
            raise ConflictError(_("There is no fee to pay online for this application."))
        payment = fees.pay_online(current)
        if payment is None:
            raise ConflictError(_("There is no fee to pay online for this application."))
        if current.payment_reference != payment.reference:
            current.payment_reference = payment.reference
            current.save(update_fields=["payment_reference", "updated_at"])
            audit_record(actor=actor, action="application.fee_payment", target=current,
                         details={"payment": payment.reference})
    return payment
