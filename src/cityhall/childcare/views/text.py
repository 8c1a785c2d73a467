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
    SiblingRule.STAGGERED_SAME_FACILITY.value: "同一施設・別月入所可",
    SiblingRule.STAGGERED_SEPARATE.value: "別施設可・別月入所可",
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


def _bonus_text(params: dict, item_labels: dict[str, str]) -> str:
    """"Your score here is 40 + 2 (兄弟姉妹が在園する施設) = 42." when the child has a bonus at
    the nursery; empty otherwise."""
    if not params.get("bonus"):
        return ""
    reasons = "、".join(item_labels.get(code) or code for code in params.get("bonus_reasons", ()))
    return _("Your score here is %(score)d + %(bonus)d (%(reasons)s) = %(total)d.") % {
        "score": params["score"], "bonus": params["bonus"], "reasons": reasons,
        "total": params["score"] + params["bonus"]}


def reason_text(reason, rules: list[TieBreakRule], rule_labels: dict[str, str],
                item_labels: dict[str, str] | None = None) -> str:
    params = reason.params
    age = params.get("age_class", 0)
    if reason.code == "age_class_not_offered":
        return _("No seats for the %(age)d-year-old class in this round.") % {"age": age}
    if reason.code == "below_cutoff":
        bonus = _bonus_text(params, item_labels or {})
        if params.get("cutoff_score") is None:
            text = _("Full in age class %(age)d: every seat is kept by children who already "
                     "attend.") % {"age": age}
        elif params.get("cutoff_bonus"):
            text = _("Full in age class %(age)d: the last child admitted had score %(score)d "
                     "here (%(bonus)d of it points at this nursery only); %(decided)s.") % {
                "age": age, "score": params["cutoff_score"], "bonus": params["cutoff_bonus"],
                "decided": decided_by_text(params["decided_by"], rules)}
        else:
            text = _("Full in age class %(age)d: the last child admitted had score %(score)d; "
                     "%(decided)s.") % {"age": age, "score": params["cutoff_score"],
                                        "decided": decided_by_text(params["decided_by"], rules)}
        return f"{text} {bonus}" if bonus else text
    if reason.code == "sibling_rule":
        rule = rule_labels.get(params.get("rule"), params.get("rule"))
        if params.get("siblings_not_wishing"):
            return _("The score was high enough, but under the family's sibling rule "
                     "(%(rule)s) a child admitted alone must be at a nursery every waiting "
                     "sibling also wishes, so that they can join later, and not every sibling "
                     "wished this one.") % {"rule": rule}
        if params.get("together_at"):
            return _("The score was high enough, but the family's sibling rule (%(rule)s) "
                     "puts the siblings together first: the child was placed with a sibling "
                     "at %(nursery)s.") % {"rule": rule, "nursery": params["together_at"]}
        return _("The score was high enough, but the family's sibling rule (%(rule)s) did not "
                 "allow this place together with the siblings' places.") % {"rule": rule}
    return _("The score was high enough, but the child was not placed here: the result is "
             "not stable at this place; please check it.")


def wish_statuses(wishes, placement, explanation, rules: list[TieBreakRule],
                  rule_labels: dict[str, str], *, application=None,
                  item_labels: dict[str, str] | None = None) -> list[dict]:
    """Each wish with what became of it: "placed here", or why the child was not placed
    there (empty for the wishes below the placement, which were not needed), and the
    adjustments that count at that nursery only (施設別加点) with the score there."""
    reasons = {}
    if explanation is not None:
        reasons = {reason.wish_rank: reason_text(reason, rules, rule_labels, item_labels)
                   for reason in explanation.reasons}
    bonus_of: dict[int, list] = {}
    if application is not None:
        for points in application.points.all():
            if points.nursery_id is not None:
                bonus_of.setdefault(points.nursery_id, []).append(points)
    rows = []
    for index, wish in enumerate(wishes):
        if placement is not None and placement.nursery_id == wish.nursery_id:
            status = _("Placed here")
        else:
            status = reasons.get(index, "")
        bonuses = bonus_of.get(wish.nursery_id, [])
        score = application.score if application is not None else 0
        rows.append({"wish": wish, "status": status, "bonuses": bonuses,
                     "score_here": score + sum(points.item.points for points in bonuses)})
    return rows
