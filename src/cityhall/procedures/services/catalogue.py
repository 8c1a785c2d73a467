"""The procedure catalogue and the life-event navigator's data (取組1 行政手続のオンライン化,
取組3 窓口の利便性向上: 手続きナビ): procedures saved with their change history, life events
and their rules validated on save, the catalogue import, and residents' saved checklists."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department

from ..models import EventRule, LifeEvent, Procedure, ProcedureRevision, SavedChecklist
from ..search import build_index
from .applications import application_form_save

__all__ = [
    "TRACKED_FIELDS", "catalogue_import", "checklist_delete", "checklist_save",
    "event_rule_save", "life_event_save", "procedure_save",
]

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
