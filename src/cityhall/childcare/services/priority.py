"""The rules that turn an application into a place in the queue (取組7): the child's age class,
the score (指数) and the priority key the matching engine sorts by.

The priority never depends on the order of the child's wishes: a family gains nothing by
ranking strategically (docs/childcare.md; reference notes §1.4, §1.7).
"""

import datetime
import hashlib

from ..matching.model import AGE_CLASSES
from ..models import Application, PointsItem, TieBreakRule


def fiscal_year_start(admission_date: datetime.date) -> datetime.date:
    """1 April of the fiscal year (年度) the admission date falls in."""
    year = admission_date.year if admission_date.month >= 4 else admission_date.year - 1
    return datetime.date(year, 4, 1)


def age_class(date_of_birth: datetime.date, admission_date: datetime.date) -> int:
    """The child's age class (歳児クラス): the age on 1 April of the fiscal year of admission
    (年齢は4月1日時点), for every admission of that year, mid-year ones included.

    By the 年齢計算ニ関スル法律 (明治35年法律第50号) with 民法第143条 a person's age increases at
    the end of the day before the birthday, so a child born on 1 April has had that birthday
    by 1 April, and one born on 2 April has not: 2026-04-01 → 1歳児 and 2026-04-02 → 0歳児 in
    the fiscal year 2027 (the same cut as school years, 学校教育法 第17条). Children born during
    the fiscal year itself are in the 0歳児 class. Returns 6 or more for children past nursery
    age; the caller rejects them.
    """
    start = fiscal_year_start(admission_date)
    age = start.year - date_of_birth.year
    if (date_of_birth.month, date_of_birth.day) > (4, 1):
        age -= 1
    return max(age, 0)


def is_nursery_age(age: int) -> bool:
    return age in AGE_CLASSES


# --- score ------------------------------------------------------------------------------------

def score_of(items: list[tuple[int | None, PointsItem]]) -> tuple[int, int, list[dict]]:
    """(basic points, adjustment points, breakdown) of the items chosen for an application:
    (parent, item) pairs, parent 1 or 2 for a parent's situation, None for an adjustment."""
    basic = adjustment = 0
    breakdown = []
    for parent, item in items:
        if item.kind == PointsItem.Kind.BASIC:
            basic += item.points
        else:
            adjustment += item.points
        breakdown.append({"parent": parent, "kind": item.kind, "code": item.code,
                          "label": item.label, "points": item.points})
    return basic, adjustment, breakdown


# --- priority ---------------------------------------------------------------------------------

def _field_value(application: Application, field: str):
    household = application.household
    if field == TieBreakRule.Field.BASIC_POINTS:
        return application.basic_points
    if field == TieBreakRule.Field.RESIDENT_TAX:
        return household.resident_tax
    if field == TieBreakRule.Field.CHILDREN_APPLYING:
        return household.applications.count()
    return getattr(household, field)


def lottery_number(application: Application) -> int:
    """A number drawn for the application from the round's seed: the same on every run of
    the same round, unrelated to the application's position in a file or its wishes."""
    digest = hashlib.sha256(
        f"{application.round.lottery_seed}:{application.number}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _rule_value(application: Application, rule: TieBreakRule):
    kind = rule.kind
    if kind == TieBreakRule.Kind.LOTTERY:
        return lottery_number(application)
    value = _field_value(application, rule.field)
    if kind == TieBreakRule.Kind.FLAG_TRUE_FIRST:
        return 0 if value else 1
    # An unknown value (e.g. no tax figure given) sorts after every known one.
    if value is None:
        return (1, 0)
    return (0, int(value) if kind == TieBreakRule.Kind.VALUE_ASCENDING else -int(value))


def priority_key(application: Application, tie_break_rules) -> tuple:
    """The application's place in the common priority order, smaller first:
    (-score, one value per tie-break rule in order, the seeded lottery unless a rule already
    drew it, the application number). Wishes are never read."""
    rules = list(tie_break_rules)
    key = [-application.score, *(_rule_value(application, rule) for rule in rules)]
    if not any(rule.kind == TieBreakRule.Kind.LOTTERY for rule in rules):
        key.append(lottery_number(application))
    key.append(application.number)
    return tuple(key)


def tie_break_rules_of(round_) -> list[TieBreakRule]:
    return list(round_.points_table.tie_break_rules.order_by("position"))
