"""Why every child got what they got: data for the result letter (the Django layer turns the
codes into translated sentences; nothing here is text for people).

`explain(instance, assignment)` returns one `ChildExplanation` per child:
- outcome: "admitted" (at wish `wish_rank`, from 0), "kept_current" (a transfer child who
  stays), or "not_admitted";
- reasons: one `Reason` per wish ranked above the placement (every wish when not admitted),
  with a code and parameters:
  - "age_class_not_offered": the facility has no seat for the child's age class;
  - "below_cutoff": the seats were full and the last child admitted (in the full group:
    `ages`, `seats`) ranked above this child: `cutoff_score`, `cutoff_priority` (the whole
    priority key), and `decided_by` — 0 when the scores differ, i ≥ 1 when the i-th
    tie-break value decided (the last one is the application id). Scores and keys are those
    *at that facility*: a facility-specific bonus is counted. When this child or the last
    one admitted has a bonus there, the params also give `score` (this child's score without
    it), `bonus` and `bonus_reasons` (this child's bonus there and its reason codes, so a
    letter can say "at X your score is 40 + 2 (a sibling attends X)"), and `cutoff_bonus`;
  - "sibling_rule": the child ranked high enough (or a seat was free) but the family's rule
    (`rule`) did not allow this place together with the siblings' places. Extra params
    when they say more: `siblings_not_wishing` (STAGGERED_SAME_FACILITY: the child could only
    be admitted here alone, and these waiting siblings do not wish this facility, so they
    could not join later), `together_at` (a rule that prefers one facility: the child is at
    that facility with a sibling, which the family ranks above this place apart);
  - "not_chosen": high enough and no sibling rule: the result is not stable here (the
    verifier lists this as a blocking coalition), staff must look at it;
- `cutoffs(instance, assignment)`: per (facility, age class) the lowest-ranked child admitted
  this round (transfer children who keep their seat are not counted) with score and priority
  key, and whether the seats are full — the published 最低指数.
"""

from dataclasses import dataclass, field

from .capacity import Capacity, rank_at
from .model import Instance, SiblingRule
from .preferences import STAGGERED, wished_above_current

# Rules under which a family ranks its children together in one facility above apart.
_PREFER_TOGETHER = {SiblingRule.SAME_PREFERRED, SiblingRule.ELDER_MAY_GO_ALONE,
                    SiblingRule.YOUNGER_MAY_GO_ALONE, *STAGGERED}


@dataclass(frozen=True)
class Reason:
    facility: str
    wish_rank: int
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChildExplanation:
    child_id: str
    outcome: str
    facility: str | None
    wish_rank: int | None
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Cutoff:
    facility: str
    age_class: int
    admitted: int
    full: bool
    score: int | None = None  # at this facility (a facility-specific bonus counted)
    priority: tuple | None = None  # at this facility
    bonus: int = 0  # the facility-specific bonus included in `score`


def _holders(instance: Instance, assignment, capacity: Capacity):
    holders: list[list[tuple]] = [[] for _ in capacity.groups]
    for child in instance.children:
        facility = assignment.get(child.id)
        if facility is None:
            continue
        for gid in capacity.groups_of(facility, child.age_class):
            holders[gid].append((rank_at(child, facility), child))
    for held in holders:
        held.sort(key=lambda item: item[0])
    return holders


def cutoffs(instance: Instance, assignment: dict[str, str | None],
            capacity: Capacity | None = None) -> dict[tuple[str, int], Cutoff]:
    capacity = capacity or Capacity(instance)
    holders = _holders(instance, assignment, capacity)
    result = {}
    for (facility, age), gids in sorted(capacity.index.items()):
        admitted = [(rank, child) for rank, child in holders[gids[0]]
                    if child.age_class == age and child.current_facility != facility]
        full = any(len(holders[gid]) >= capacity.groups[gid].seats for gid in gids)
        last = admitted[-1][1] if admitted else None
        result[(facility, age)] = Cutoff(
            facility=facility, age_class=age, admitted=len(admitted), full=full,
            score=last.score_at(facility) if last else None,
            priority=last.priority_at(facility) if last else None,
            bonus=last.bonus_at(facility) if last else 0)
    return result


def _decided_by(mine: tuple, theirs: tuple) -> int:
    for index, (a, b) in enumerate(zip(mine, theirs, strict=False)):
        if a != b:
            return index
    return len(mine)


def explain(instance: Instance, assignment: dict[str, str | None],
            capacity: Capacity | None = None) -> dict[str, ChildExplanation]:
    capacity = capacity or Capacity(instance)
    holders = _holders(instance, assignment, capacity)
    rules = {}
    siblings: dict[str, list] = {}
    by_id = {child.id: child for child in instance.children}
    for family in instance.families:
        for cid in family.child_ids:
            rules[cid] = family.sibling_rule if len(family.child_ids) > 1 else None
            siblings[cid] = [by_id[other] for other in family.child_ids
                             if other != cid and other in by_id]
    explanations = {}
    for child in instance.children:
        facility = assignment.get(child.id)
        if facility is None:
            outcome, rank, above = "not_admitted", None, child.wishes
        elif facility == child.current_facility and facility not in child.wishes:
            outcome, rank, above = "kept_current", None, child.wishes
        else:
            rank = child.wishes.index(facility) if facility in child.wishes else None
            outcome = "kept_current" if facility == child.current_facility else "admitted"
            above = child.wishes[:rank] if rank is not None else ()
        reasons = []
        for wish_rank, wished in enumerate(above):
            if wished == child.current_facility:
                break
            reasons.append(_reason(child, wished, wish_rank, capacity, holders,
                                   rules.get(child.id), siblings.get(child.id, ()),
                                   assignment))
        explanations[child.id] = ChildExplanation(
            child_id=child.id, outcome=outcome, facility=facility, wish_rank=rank,
            reasons=tuple(reasons))
    return explanations


def _reason(child, facility, wish_rank, capacity, holders, rule, siblings=(),
            assignment=None) -> Reason:
    gids = capacity.groups_of(facility, child.age_class)
    if not gids:
        return Reason(facility, wish_rank, "age_class_not_offered",
                      {"age_class": child.age_class})
    mine = rank_at(child, facility)
    for gid in gids:
        group = capacity.groups[gid]
        held = [(rank, other) for rank, other in holders[gid] if other.id != child.id]
        if len(held) >= group.seats and (not held or held[-1][0] < mine):
            newcomers = [other for _rank, other in held if other.current_facility != facility]
            last = newcomers[-1] if newcomers else None  # None: full of children who stay
            params = {
                "age_class": child.age_class, "ages": sorted(group.ages),
                "seats": group.seats,
                "cutoff_score": last.score_at(facility) if last else None,
                "cutoff_priority": last.priority_at(facility) if last else None,
                "decided_by": _decided_by(child.priority_at(facility),
                                          last.priority_at(facility)) if last else 0}
            bonus, cutoff_bonus = child.bonus_at(facility), last.bonus_at(facility) if last else 0
            if bonus or cutoff_bonus:
                params.update({
                    "score": child.score, "bonus": bonus,
                    "bonus_reasons": [b.reason for b in child.bonuses if b.facility == facility],
                    "cutoff_bonus": cutoff_bonus})
            return Reason(facility, wish_rank, "below_cutoff", params)
    if rule is not None and rule != SiblingRule.INDEPENDENT:
        params = {"age_class": child.age_class, "rule": str(rule)}
        assignment = assignment or {}
        placed = assignment.get(child.id)
        if rule == SiblingRule.STAGGERED_SAME_FACILITY:
            missing = sorted(other.id for other in siblings
                             if assignment.get(other.id) != facility
                             and facility not in wished_above_current(other))
            if missing:
                params["siblings_not_wishing"] = missing
        if (rule in _PREFER_TOGETHER and placed is not None
                and "siblings_not_wishing" not in params
                and any(assignment.get(other.id) == placed for other in siblings)):
            params["together_at"] = placed
        return Reason(facility, wish_rank, "sibling_rule", params)
    return Reason(facility, wish_rank, "not_chosen", {"age_class": child.age_class})
