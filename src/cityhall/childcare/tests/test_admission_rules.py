"""The age class, the score and the priority key of nursery admission (取組7). Pure rules: the
model instances are not saved."""

import datetime

import pytest

from cityhall.childcare.models import AdmissionRound, Application, Household, PointsItem
from cityhall.childcare.models import TieBreakRule as Rule
from cityhall.childcare.services.priority import (
    age_class,
    fiscal_year_start,
    lottery_number,
    priority_key,
    score_of,
)

D = datetime.date


@pytest.mark.parametrize(("born", "admission", "expected"), [
    # 年齢は4月1日時点: born on 1 April has had the birthday, born on 2 April has not.
    (D(2026, 4, 1), D(2027, 4, 1), 1),
    (D(2026, 4, 2), D(2027, 4, 1), 0),
    (D(2025, 4, 1), D(2027, 4, 1), 2),
    (D(2025, 4, 2), D(2027, 4, 1), 1),
    (D(2021, 4, 2), D(2027, 4, 1), 5),
    (D(2021, 4, 1), D(2027, 4, 1), 6),  # past nursery age
    # Mid-year admissions keep the age class of the fiscal year's 1 April.
    (D(2026, 4, 1), D(2028, 3, 1), 1),
    (D(2026, 4, 2), D(2028, 1, 1), 0),
    # Born during the fiscal year of admission: 0歳児.
    (D(2027, 6, 1), D(2028, 1, 1), 0),
    (D(2027, 1, 15), D(2027, 4, 1), 0),
])
def test_age_class_is_the_age_on_1_april_of_the_fiscal_year(born, admission, expected):
    assert age_class(born, admission) == expected


def test_fiscal_year_start():
    assert fiscal_year_start(D(2027, 4, 1)) == D(2027, 4, 1)
    assert fiscal_year_start(D(2028, 3, 1)) == D(2027, 4, 1)
    assert fiscal_year_start(D(2027, 12, 1)) == D(2027, 4, 1)


def test_score_sums_basic_points_of_both_parents_and_adjustments():
    full = PointsItem(kind="basic", code="full", label="就労", points=20)
    part = PointsItem(kind="basic", code="part", label="短時間", points=12)
    short = PointsItem(kind="adjustment", code="short", label="実績不足", points=-1)
    basic, adjustment, breakdown = score_of([(1, full), (2, part), (None, short)])
    assert (basic, adjustment) == (32, -1)
    assert breakdown == [
        {"parent": 1, "kind": "basic", "code": "full", "label": "就労", "points": 20},
        {"parent": 2, "kind": "basic", "code": "part", "label": "短時間", "points": 12},
        {"parent": None, "kind": "adjustment", "code": "short", "label": "実績不足",
         "points": -1},
    ]


ROUND = AdmissionRound(lottery_seed=11)
RULES = [Rule(position=1, kind=Rule.Kind.FLAG_TRUE_FIRST, field=Rule.Field.SINGLE_PARENT),
         Rule(position=2, kind=Rule.Kind.FLAG_TRUE_FIRST, field=Rule.Field.PUBLIC_ASSISTANCE),
         Rule(position=3, kind=Rule.Kind.FLAG_TRUE_FIRST, field=Rule.Field.DISABILITY),
         Rule(position=4, kind=Rule.Kind.FLAG_TRUE_FIRST, field=Rule.Field.SIBLING_ENROLLED),
         Rule(position=5, kind=Rule.Kind.VALUE_ASCENDING, field=Rule.Field.RESIDENT_TAX)]


def applicant(number, score=40, **household):
    household.setdefault("resident_tax", 100_000)
    return Application(round=ROUND, household=Household(**household), number=number,
                       score=score, basic_points=score)


def order(applications, rules=RULES):
    return [a.number for a in sorted(applications, key=lambda a: priority_key(a, rules))]


def test_higher_score_first_whatever_the_tie_breaks():
    assert order([applicant("A", 38, single_parent=True, resident_tax=0),
                  applicant("B", 40, resident_tax=900_000)]) == ["B", "A"]


@pytest.mark.parametrize("flag", ["single_parent", "public_assistance", "disability",
                                  "sibling_enrolled"])
def test_each_flag_rule_puts_yes_first(flag):
    assert order([applicant("A"), applicant("B", **{flag: True})]) == ["B", "A"]


def test_rules_apply_in_order():
    # Rule 1 (ひとり親) decides before rule 2 (生活保護), which decides before the tax.
    a = applicant("A", public_assistance=True, resident_tax=0)
    b = applicant("B", single_parent=True, resident_tax=500_000)
    c = applicant("C", resident_tax=10_000)
    assert order([a, b, c]) == ["B", "A", "C"]
    # With the rules in the other order, 生活保護 decides first.
    swapped = [RULES[1], RULES[0], *RULES[2:]]
    assert order([a, b, c], swapped) == ["A", "B", "C"]


def test_lower_resident_tax_first_and_unknown_tax_last():
    assert order([applicant("A", resident_tax=300_000), applicant("B", resident_tax=None),
                  applicant("C", resident_tax=20_000)]) == ["C", "A", "B"]


def test_higher_value_first_rule():
    rule = [Rule(position=1, kind=Rule.Kind.VALUE_DESCENDING, field=Rule.Field.BASIC_POINTS)]
    low, high = applicant("A", 40), applicant("B", 40)
    low.basic_points, high.basic_points = 36, 40
    assert order([low, high], rule) == ["B", "A"]


def test_seeded_lottery_decides_full_ties_reproducibly():
    applications = [applicant(f"A{n:03d}") for n in range(30)]
    first = order(applications)
    assert first == order(list(reversed(applications)))
    assert first != sorted(first)  # not the application number order
    key = priority_key(applications[0], RULES)
    assert key == (-40, 1, 1, 1, 1, (0, 100_000), lottery_number(applications[0]), "A000")
    other_seed = [Application(round=AdmissionRound(lottery_seed=12), household=a.household,
                              number=a.number, score=40) for a in applications]
    assert order(other_seed) != first


def test_a_lottery_rule_takes_its_place_and_is_not_drawn_twice():
    rules = [Rule(position=1, kind=Rule.Kind.LOTTERY),
             Rule(position=2, kind=Rule.Kind.FLAG_TRUE_FIRST, field=Rule.Field.SINGLE_PARENT)]
    application = applicant("A", single_parent=True)
    assert priority_key(application, rules) == (-40, lottery_number(application), 0, "A")


def test_wish_order_never_changes_the_priority_key():
    # The key reads the application and its household, never its wishes: an application's
    # key is computed without touching them (an unsaved application has none to read).
    application = applicant("A", single_parent=True)
    key = priority_key(application, RULES)
    application.score_breakdown = [{"code": "full"}]
    assert priority_key(application, RULES) == key
