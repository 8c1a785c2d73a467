"""Named queries of the procedures engine: catalogue search and the navigator's checklist."""

import datetime
import unicodedata
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, Value, When

from cityhall.core.calendar import statutory_deadline

from .conditions import evaluate
from .models import EventRule, LifeEvent, Procedure
from .search import normalise, query_filter


def published_procedures():
    return Procedure.objects.filter(is_published=True).select_related("department")


def search_procedures(*, query: str = "", life_event: LifeEvent | None = None,
                      department_code: str | None = None):
    procedures = published_procedures()
    if life_event is not None:
        procedures = procedures.filter(rules__life_event=life_event)
    if department_code:
        procedures = procedures.filter(department__code=department_code)
    condition = query_filter(query)
    if condition is not None:
        # Best first: the name itself, then names that start with the first word, then
        # names that contain it, then matches in the description or keywords.
        word = unicodedata.normalize("NFKC", query).split()[0]
        reading = normalise(word)
        procedures = procedures.filter(condition).annotate(
            rank=Case(
                When(Q(name_ja=word), then=Value(0)),
                When(Q(name_ja__startswith=word) | Q(name_kana__startswith=reading),
                     then=Value(1)),
                When(Q(name_ja__contains=word) | Q(name_kana__contains=reading)
                     | Q(name_en__icontains=word), then=Value(2)),
                default=Value(3), output_field=IntegerField()),
        ).order_by("rank", "name_kana")
    return procedures.distinct()


def published_life_events():
    return LifeEvent.objects.filter(is_published=True)


@dataclass(frozen=True)
class ChecklistItem:
    procedure: Procedure
    rule: EventRule
    certain: bool  # False: "may apply", because an answer it depends on was not given
    deadline: datetime.date | None
    days: int | None


def checklist(*, life_event: LifeEvent, answers: dict,
              event_date: datetime.date | None = None) -> list[ChecklistItem]:
    """The procedures that follow from `life_event` for these answers, in order.

    A procedure whose condition is unknown (an unanswered question) is listed as "may apply";
    one whose condition is false is left out. Deadlines are computed from `event_date` with the
    office calendar (closed days move a deadline to the next open day).
    """
    items = []
    rules = life_event.rules.select_related("procedure", "procedure__department").filter(
        procedure__is_published=True).order_by("step", "id")
    for rule in rules:
        verdict = evaluate(rule.condition, answers)
        if verdict is False:
            continue
        procedure = rule.procedure
        days = rule.deadline_days if rule.deadline_days is not None else procedure.deadline_days
        deadline = None
        if event_date is not None and days is not None:
            deadline = statutory_deadline(
                event_date, days, count_event_day=procedure.deadline_counts_event_day)
        items.append(ChecklistItem(procedure=procedure, rule=rule, certain=verdict is True,
                                   deadline=deadline, days=days))
    return items
