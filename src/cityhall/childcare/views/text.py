"""The engine's explanation codes (matching/explain.py) as sentences, for the staff child
page and the printed result letters (取組7): one wording in both places."""

from django.utils.translation import gettext as _

from ..matching.model import SiblingRule
from ..models import TieBreakRule

# The sibling rules as the office names them (printed as they are in every language).
RULE_LABELS = {
    SiblingRule.INDEPENDENT.value: "単独",
    SiblingRule.SAME_FACILITY_ONLY.value: "同一施設のみ",
    SiblingRule.SAME_PREFERRED.value: "同一施設希望",
    SiblingRule.ALL_OR_NONE.value: "全員入所",
    SiblingRule.ELDER_MAY_GO_ALONE.value: "上の子のみ可",
    SiblingRule.YOUNGER_MAY_GO_ALONE.value: "下の子のみ可",
}


def _rule_label(rule: TieBreakRule) -> str:
    if rule.label:
        return rule.label
    if rule.kind == TieBreakRule.Kind.LOTTERY:
        return str(TieBreakRule.Kind.LOTTERY.label)
    return f"{rule.get_kind_display()}: {rule.get_field_display()}"


def decided_by_text(decided_by: int, rules: list[TieBreakRule]) -> str:
    if decided_by == 0:
        return _("decided by the score")
    if decided_by <= len(rules):
        return _("decided by tie-break rule %(number)d: %(rule)s") % {
            "number": decided_by, "rule": _rule_label(rules[decided_by - 1])}
    has_lottery = any(rule.kind == TieBreakRule.Kind.LOTTERY for rule in rules)
    if not has_lottery and decided_by == len(rules) + 1:
        return _("decided by the lottery")
    return _("decided by the application number")


def reason_text(reason, rules: list[TieBreakRule], rule_labels: dict[str, str]) -> str:
    params = reason.params
    age = params.get("age_class", 0)
    if reason.code == "age_class_not_offered":
        return _("No seats for the %(age)d-year-old class in this round.") % {"age": age}
    if reason.code == "below_cutoff":
        if params.get("cutoff_score") is None:
            return _("Full in age class %(age)d: every seat is kept by children who already "
                     "attend.") % {"age": age}
        return _("Full in age class %(age)d: the last child admitted had score %(score)d; "
                 "%(decided)s.") % {"age": age, "score": params["cutoff_score"],
                                    "decided": decided_by_text(params["decided_by"], rules)}
    if reason.code == "sibling_rule":
        return _("The score was high enough, but the family's sibling rule (%(rule)s) did not "
                 "allow this place together with the siblings' places.") % {
            "rule": rule_labels.get(params.get("rule"), params.get("rule"))}
    return _("The score was high enough, but the child was not placed here: the result is "
             "not stable at this place; please check it.")


def wish_statuses(wishes, placement, explanation, rules: list[TieBreakRule],
                  rule_labels: dict[str, str]) -> list[dict]:
    """Each wish with what became of it: "placed here", or why the child was not placed
    there (empty for the wishes below the placement, which were not needed)."""
    reasons = {}
    if explanation is not None:
        reasons = {reason.wish_rank: reason_text(reason, rules, rule_labels)
                   for reason in explanation.reasons}
    rows = []
    for index, wish in enumerate(wishes):
        if placement is not None and placement.nursery_id == wish.nursery_id:
            status = _("Placed here")
        else:
            status = reasons.get(index, "")
        rows.append({"wish": wish, "status": status})
    return rows
