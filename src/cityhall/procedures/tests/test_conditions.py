"""The navigator's condition language: three-valued evaluation and validation on save."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cityhall.procedures.conditions import evaluate, validate_condition, validate_questions


@pytest.fixture(autouse=True)
def _english():
    # The messages are checked in English; their Japanese forms come from the catalogue.
    with translation.override("en"):
        yield

QUESTIONS = [
    {"key": "has_children", "type": "bool", "label_ja": "子どもがいる", "label_en": "Children"},
    {"key": "insurance", "type": "choice", "label_ja": "保険", "label_en": "Insurance",
     "choices": [{"value": "nhi"}, {"value": "employee"}]},
    {"key": "age", "type": "number", "label_ja": "年齢", "label_en": "Age", "min": 0},
]

NHI = {"q": "insurance", "op": "eq", "value": "nhi"}
KIDS = {"q": "has_children", "op": "eq", "value": True}


@pytest.mark.parametrize(("condition", "answers", "expected"), [
    (None, {}, True),
    (NHI, {"insurance": "nhi"}, True),
    (NHI, {"insurance": "employee"}, False),
    (NHI, {}, None),                                   # unanswered: unknown, never an error
    ({"all": [NHI, KIDS]}, {"insurance": "nhi"}, None),
    ({"all": [NHI, KIDS]}, {"insurance": "employee"}, False),  # one false decides
    ({"all": [NHI, KIDS]}, {"insurance": "nhi", "has_children": True}, True),
    ({"any": [NHI, KIDS]}, {"has_children": True}, True),      # one true decides
    ({"any": [NHI, KIDS]}, {"has_children": False}, None),
    ({"any": [NHI, KIDS]}, {"has_children": False, "insurance": "employee"}, False),
    ({"not": NHI}, {}, None),
    ({"not": NHI}, {"insurance": "employee"}, True),
    ({"q": "age", "op": "gte", "value": 65}, {"age": 65}, True),
    ({"q": "age", "op": "gte", "value": 65}, {"age": 64}, False),
    ({"q": "age", "op": "lte", "value": 2}, {"age": 3}, False),
    ({"q": "insurance", "op": "in", "value": ["nhi", "employee"]}, {"insurance": "nhi"}, True),
    ({"q": "has_children", "op": "truthy"}, {"has_children": False}, False),
    ({"q": "age", "op": "gte", "value": 65}, {"age": "old"}, None),  # bad stored type: unknown
])
def test_evaluate(condition, answers, expected):
    assert evaluate(condition, answers) is expected


@pytest.mark.parametrize("condition", [
    None, NHI, {"all": [NHI, {"not": KIDS}]}, {"q": "age", "op": "gte", "value": 65},
    {"q": "has_children", "op": "truthy"},
    {"q": "insurance", "op": "in", "value": ["nhi"]},
])
def test_valid_conditions(condition):
    validate_condition(condition, QUESTIONS)


@pytest.mark.parametrize(("condition", "message"), [
    ({"q": "nationality", "op": "eq", "value": "x"}, "is not one of this life event's questions"),
    ({"q": "insurance", "op": "like", "value": "nhi"}, "unknown operator"),
    ({"q": "insurance", "op": "eq", "value": "private"}, "is not a choice of question"),
    ({"q": "insurance", "op": "gte", "value": 1}, "compares a number question"),
    ({"q": "age", "op": "gte", "value": "65"}, "compares a number question"),
    ({"q": "has_children", "op": "eq", "value": "yes"}, "compares with true or false"),
    ({"q": "insurance", "op": "in", "value": "nhi"}, "needs a list"),
    ({"all": []}, "needs a non-empty list"),
    ({"all": [NHI, "x"]}, "must be an object"),
    ("nhi", "must be an object"),
    ({"q": "has_children", "op": "truthy", "value": True}, "has the keys"),
    ({"q": "insurance", "op": "eq"}, "has the keys"),
])
def test_invalid_conditions_are_refused_with_a_clear_message(condition, message):
    with pytest.raises(ValidationError) as error:
        validate_condition(condition, QUESTIONS)
    assert message in " ".join(error.value.messages)


@pytest.mark.parametrize(("questions", "message"), [
    ("not a list", "must be a list"),
    ([{"key": "has kids", "type": "bool", "label_ja": "a", "label_en": "a"}], "needs a key"),
    ([QUESTIONS[0], QUESTIONS[0]], "is used twice"),
    ([{"key": "x", "type": "text", "label_ja": "a", "label_en": "a"}], "unknown type"),
    ([{"key": "x", "type": "bool", "label_ja": "a"}], "a Japanese and an English label"),
    ([{"key": "x", "type": "choice", "label_ja": "a", "label_en": "a", "choices": []}],
     "needs a list of choices"),
])
def test_invalid_questions_are_refused(questions, message):
    with pytest.raises(ValidationError) as error:
        validate_questions(questions)
    assert message in " ".join(error.value.messages)
