"""Visits at the write-less counter (書かない窓口; 取組3 窓口の利便性向上): staff open a visit
for a registered resident (read through the audited door) or a visitor, go through the
navigator, choose the procedures filed today, correct each fact once, and print every form
pre-filled as one PDF. Which facts the forms ask is described in `procedures.counter`."""

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

from ..models import LifeEvent, Procedure

__all__ = [
    "FACT_MAX_LENGTH", "counter_visit_answer", "counter_visit_choose", "counter_visit_close",
    "counter_visit_print", "counter_visit_set_facts", "counter_visit_start",
    "visit_procedures",
]

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

    from ..counter import known_facts
    from ..models import CounterSession

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
    from ..models import CounterSession

    current = CounterSession.objects.select_for_update().get(pk=visit.pk)
    if current.state == CounterSession.State.CLOSED:
        raise ConflictError(_("This counter visit is closed."))
    return current


def counter_visit_answer(*, visit, answers: dict, event_date, actor):
    """Keep the navigator's answers; the procedures chosen become everything that applies,
    and the date of the event fills the forms' date unless staff already corrected it."""
    from ..selectors import checklist

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
    from ..selectors import checklist

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

    from ..counter import FACTS

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

    from ..counter import assemble_forms
    from ..documents import counter_forms_pdf
    from ..models import CounterSession

    _require_counter(actor, "procedures.view_countersession")
    procedures = visit_procedures(visit)
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


def visit_procedures(visit) -> list[Procedure]:
    """The visit's procedures in the order of its `procedure_codes`; a code no longer in the
    catalogue is left out."""
    by_code = {procedure.code: procedure for procedure in Procedure.objects.filter(
        code__in=visit.procedure_codes).select_related("department")}
    return [by_code[code] for code in visit.procedure_codes if code in by_code]


def counter_visit_close(*, visit, actor):
    from ..models import CounterSession

    _require_counter(actor)
    with transaction.atomic():
        current = CounterSession.objects.select_for_update().get(pk=visit.pk)
        if current.state != CounterSession.State.CLOSED:
            current.state = CounterSession.State.CLOSED
            current.save(update_fields=["state", "updated_at"])
            audit_record(actor=actor, action="counter_visit.close", target=current)
    return current
