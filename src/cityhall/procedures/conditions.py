"""The small declarative language in which staff write when a procedure applies to a life
event (取組1, 3: 手続きナビ), and its three-valued evaluation.

A condition is JSON: `null` (always applies), a leaf `{"q": key, "op": op, "value": v}`, or
`{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}`. A question the resident did not answer
makes its leaf *unknown*; unknown propagates (Kleene logic), and an unknown result puts the
procedure on the checklist as "may apply" — a missing answer widens the list, it never
crashes or hides a procedure.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

OPERATORS = ("eq", "ne", "in", "gte", "lte", "truthy")
QUESTION_TYPES = ("bool", "choice", "number")
UNKNOWN = None


def validate_questions(questions) -> None:
    if not isinstance(questions, list):
        raise ValidationError(_("Questions must be a list."))
    keys = set()
    for index, question in enumerate(questions, start=1):
        if not isinstance(question, dict):
            raise ValidationError(_("Question %(n)d must be an object.") % {"n": index})
        key = question.get("key")
        if not isinstance(key, str) or not key.isidentifier():
            raise ValidationError(_("Question %(n)d needs a key made of letters, digits and "
                                    "underscores.") % {"n": index})
        if key in keys:
            raise ValidationError(_("The question key “%(key)s” is used twice.") % {"key": key})
        keys.add(key)
        if question.get("type") not in QUESTION_TYPES:
            raise ValidationError(_("Question “%(key)s” has an unknown type; use one of "
                                    "%(types)s.") % {"key": key,
                                                     "types": ", ".join(QUESTION_TYPES)})
        if not question.get("label_ja") or not question.get("label_en"):
            raise ValidationError(_("Question “%(key)s” needs a Japanese and an English "
                                    "label.") % {"key": key})
        if question["type"] == "choice":
            choices = question.get("choices")
            if not isinstance(choices, list) or not choices or not all(
                    isinstance(c, dict) and c.get("value") not in (None, "") for c in choices):
                raise ValidationError(_("Question “%(key)s” needs a list of choices, each with "
                                        "a value.") % {"key": key})


def validate_condition(condition, questions) -> None:
    """Raise ValidationError with a clear message if `condition` is malformed or names a
    question the life event does not ask."""
    by_key = {question["key"]: question for question in questions or []}

    def check(node, path):
        if not isinstance(node, dict):
            raise ValidationError(_("%(path)s: a condition must be an object.") % {"path": path})
        if set(node) == {"all"} or set(node) == {"any"}:
            (combinator, children), = node.items()
            if not isinstance(children, list) or not children:
                raise ValidationError(_("%(path)s: “%(op)s” needs a non-empty list.")
                                      % {"path": path, "op": combinator})
            for index, child in enumerate(children, start=1):
                check(child, f"{path}.{combinator}[{index}]")
            return
        if set(node) == {"not"}:
            check(node["not"], f"{path}.not")
            return
        key, op = node.get("q"), node.get("op")
        if key not in by_key:
            raise ValidationError(_("%(path)s: “%(key)s” is not one of this life event's "
                                    "questions.") % {"path": path, "key": key})
        if op not in OPERATORS:
            raise ValidationError(_("%(path)s: unknown operator “%(op)s”; use one of "
                                    "%(ops)s.") % {"path": path, "op": op,
                                                   "ops": ", ".join(OPERATORS)})
        allowed = {"q", "op"} if op == "truthy" else {"q", "op", "value"}
        if set(node) != allowed:
            raise ValidationError(_("%(path)s: a condition on a question has the keys %(keys)s.")
                                  % {"path": path, "keys": ", ".join(sorted(allowed))})
        question = by_key[key]
        value = node.get("value")
        if op == "in" and not isinstance(value, list):
            raise ValidationError(_("%(path)s: “in” needs a list of values.") % {"path": path})
        if op in ("gte", "lte") and (question["type"] != "number" or isinstance(value, bool)
                                     or not isinstance(value, int | float)):
            raise ValidationError(_("%(path)s: “%(op)s” compares a number question with a "
                                    "number.") % {"path": path, "op": op})
        if question["type"] == "choice" and op in ("eq", "ne", "in"):
            known = {choice["value"] for choice in question["choices"]}
            for item in value if op == "in" else [value]:
                if item not in known:
                    raise ValidationError(_("%(path)s: “%(value)s” is not a choice of question "
                                            "“%(key)s”.") % {"path": path, "value": item,
                                                             "key": key})
        if question["type"] == "bool" and op in ("eq", "ne") and not isinstance(value, bool):
            raise ValidationError(_("%(path)s: a yes/no question compares with true or false.")
                                  % {"path": path})

    if condition is not None:
        check(condition, "condition")


def evaluate(condition, answers: dict):
    """True, False or UNKNOWN (None) for `condition` given the resident's answers."""
    if condition is None:
        return True
    if "all" in condition:
        results = [evaluate(child, answers) for child in condition["all"]]
        if any(result is False for result in results):
            return False
        return UNKNOWN if any(result is UNKNOWN for result in results) else True
    if "any" in condition:
        results = [evaluate(child, answers) for child in condition["any"]]
        if any(result is True for result in results):
            return True
        return UNKNOWN if any(result is UNKNOWN for result in results) else False
    if "not" in condition:
        result = evaluate(condition["not"], answers)
        return UNKNOWN if result is UNKNOWN else not result
    answer = answers.get(condition["q"])
    if answer is None or answer == "":
        return UNKNOWN
    op, value = condition["op"], condition.get("value")
    if op == "truthy":
        return bool(answer)
    if op == "eq":
        return answer == value
    if op == "ne":
        return answer != value
    if op == "in":
        return answer in value
    try:
        if op == "gte":
            return answer >= value
        if op == "lte":
            return answer <= value
    except TypeError:
        return UNKNOWN
    return UNKNOWN
