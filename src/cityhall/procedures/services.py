"""Every write of the procedures engine (取組1, 3): the catalogue with its change history,
life-event rules validated on save, and residents' saved checklists."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department

from .models import (
    ApplicationEvent,
    EventRule,
    LifeEvent,
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
                          "questions"):
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
        errors = schema_errors(application.form, {**application.data, **prefilled})
        if errors:
            field = next(iter(errors))
            raise ValidationFailed(errors[field][0], field=field or None)
        status_from = application.status
        application.prefilled = prefilled
        application.status = Application.Status.SUBMITTED
        application.submitted_at = timezone.now()
        if not application.reference:
            application.reference = _next_reference(timezone.localdate().year)
        application.save()
        ApplicationEvent.objects.create(application=application, status_from=status_from,
                                        status_to="submitted", actor=actor)
        audit_record(actor=actor, action="application.submit", target=application,
                     details={"reference": application.reference,
                              "procedure": application.procedure.code})
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
        ApplicationEvent.objects.create(application=application,
                                        status_from=application.status,
                                        status_to=application.status, actor=actor,
                                        comment=comment.strip()[:4000],
                                        is_internal=is_internal)
        audit_record(actor=actor, action="application.comment", target=application,
                     details={"internal": is_internal})


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
