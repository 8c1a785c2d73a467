"""Acceptable place combinations ("tuples") of every applying unit, best first.

A *unit* is what chooses as one: a child alone (a single child, or a child of an INDEPENDENT
family, who is placed on their own list as if alone), or a sibling family under any other
rule. A unit's tuple gives one facility id or None per child, in `Family.child_ids` order
(eldest first); its list of tuples is its preference, best first, and the unit gets exactly
one of them (the last is always the fallback: nobody admitted, or every transfer child kept
where they are and the others not admitted).

A child's options: the wishes in order, leaving out facilities that offer no seat for the
child's age class; for a transfer child (転園) only the wishes above the current facility,
then the current facility (nothing ranked below it is acceptable, and "not admitted" is not
an option); for a new applicant "not admitted" (None) comes last.

Sibling families (k ≥ 2 children): every combination of the children's options that the
rule accepts, where W = number admitted (a transfer child kept at their current facility
counts as admitted), S = largest number of children in one facility:
- SAME_FACILITY_ONLY: all k in one facility (W = k, S = k);
- SAME_PREFERRED, ALL_OR_NONE: all k admitted (W = k), any facilities;
- ELDER_MAY_GO_ALONE: W = k, or the admitted children are the eldest W (a prefix);
- YOUNGER_MAY_GO_ALONE: W = k, or the admitted children are the youngest W (a suffix);
- STAGGERED_SAME_FACILITY (同一施設・別月入所可): any children may be admitted now (W ≥ 1),
  but the children newly admitted (not a transfer child kept where they are) are all in one
  facility d, and every other child either already attends d or wishes d (for a transfer
  child: ranks d above their current facility), so that they can join later. Whether d
  offers the waiting child's age class this round does not matter (it may next round);
- STAGGERED_SEPARATE (別施設可・別月入所可): any children may be admitted now (W ≥ 1), anywhere;
plus the fallback tuple. The order (exactly, ascending):
    (-W, -S, sum of the admitted children's wish ranks, the rank vector eldest first)
for the rules that prefer one facility (SAME_FACILITY_ONLY, SAME_PREFERRED, the two "may go
alone" rules and the two staggered rules), and (-W, sum of ranks, rank vector) for
ALL_OR_NONE (separate places are as good as one). Wish ranks count from 0, a child not
admitted has rank = number of their wishes in the vector (so on a tie the elder goes first);
the fallback tuple is always last.

Why the number admitted comes first for the staggered rules (and not the same facility):
a family that accepts different months wants as many children in care as soon as possible —
it is what parents returning to work need, and what municipalities' forms mean by 別月入所可
("if they cannot all start in the same month, admit whoever can start now"). So "both now,
in two facilities" (STAGGERED_SEPARATE) beats "one now, one later", and "both now in one
facility" beats both. It is also the order ChilmAI (CyberAgent / UTokyo Market Design
Center) publishes for its sibling patterns: W before S, then the wish ranks (its pattern 5,
別保順次（同）, is STAGGERED_SEPARATE). Its "same facility, staggered" patterns 2 and 3 fix in
advance which child may be admitted alone and rank by that first; STAGGERED_SAME_FACILITY
lets either child go (a tie goes to the elder, through the rank vector) and adds the
condition that the waiting siblings wish the facility.

Size: 2 siblings × (20 wishes + none) gives at most 441 tuples, all kept. With 3 or more
children every child's options are first cut (keeping the best, and the current facility or
"none") so that the product stays under PRODUCT_LIMIT, and the sorted list is cut to the best
MAX_TUPLES (plus the fallback).
"""

from dataclasses import dataclass
from itertools import product

from .capacity import Capacity
from .model import Child, Instance, SiblingRule

MAX_TUPLES = 500
PRODUCT_LIMIT = 50_000
_SAME = {SiblingRule.SAME_FACILITY_ONLY, SiblingRule.SAME_PREFERRED,
         SiblingRule.ELDER_MAY_GO_ALONE, SiblingRule.YOUNGER_MAY_GO_ALONE,
         SiblingRule.STAGGERED_SAME_FACILITY, SiblingRule.STAGGERED_SEPARATE}
STAGGERED = {SiblingRule.STAGGERED_SAME_FACILITY, SiblingRule.STAGGERED_SEPARATE}

_ALL_ADMITTED = {SiblingRule.SAME_FACILITY_ONLY, SiblingRule.SAME_PREFERRED,
                 SiblingRule.ALL_OR_NONE}

Place = str | None


@dataclass(frozen=True)
class Unit:
    id: str  # the family id for a sibling family, the child id for a child alone
    family_id: str
    child_ids: tuple[str, ...]
    rule: SiblingRule
    tuples: tuple[tuple[Place, ...], ...]  # best first; the last is the fallback
    # The unit's turn: the best priority among its children at any facility they wish (a
    # facility-specific bonus counts: `best_priority`).
    priority: tuple

    @property
    def fallback(self) -> tuple[Place, ...]:
        return self.tuples[-1]


def child_options(child: Child, capacity: Capacity) -> list[tuple[Place, int]]:
    """(facility, wish rank) in the child's order; None = not admitted (new applicants)."""
    options: list[tuple[Place, int]] = []
    for rank, facility in enumerate(child.wishes):
        if facility == child.current_facility:
            break
        if capacity.offers(facility, child.age_class) and facility not in dict(options):
            options.append((facility, rank))
    if child.current_facility is not None:
        position = (child.wishes.index(child.current_facility)
                    if child.current_facility in child.wishes else len(child.wishes))
        options.append((child.current_facility, position))
    else:
        options.append((None, len(child.wishes)))
    return options


def wished_above_current(child: Child) -> set[str]:
    """The facilities a child wishes, for a transfer child only those above the current one
    (what the child would move to, whether or not it offers their age class this round)."""
    wishes = child.wishes
    if child.current_facility in wishes:
        wishes = wishes[:wishes.index(child.current_facility)]
    return set(wishes)


def staggered_joinable(children: list[Child], places) -> bool:
    """STAGGERED_SAME_FACILITY: the children newly admitted are in one facility d and every
    other child attends d already or wishes d (the definition in the module docstring)."""
    new = {place for child, place in zip(children, places, strict=True)
           if place is not None and place != child.current_facility}
    if len(new) != 1:
        return len(new) == 0
    (facility,) = new
    return all(place == facility or facility in wished_above_current(child)
               for child, place in zip(children, places, strict=True)
               if place is None or place == child.current_facility)


def best_priority(child: Child) -> tuple:
    """The best priority the child has at any facility they wish (bonus counted)."""
    if not child.bonuses:
        return child.priority
    return min([child.priority, *(child.priority_at(f) for f in child.wishes)])


def _family_tuples(children: list[Child], rule: SiblingRule, capacity: Capacity):
    k = len(children)
    options = [child_options(child, capacity) for child in children]
    # Keep the product of the option counts under PRODUCT_LIMIT (only bites for k ≥ 3).
    while _product(len(o) for o in options) > PRODUCT_LIMIT:
        longest = max(range(k), key=lambda i: (len(options[i]), i))
        options[longest] = options[longest][:-2] + options[longest][-1:]
    fallback = tuple(child.current_facility for child in children)
    if rule in _ALL_ADMITTED:  # W < k is never acceptable: skip those combinations early
        options = [[(place, rank) for place, rank in o if place is not None] for o in options]
    if rule == SiblingRule.SAME_FACILITY_ONLY:  # only combinations in one facility
        ranks_at = [dict(o) for o in options]
        combos = [tuple((place, ranks[place]) for ranks in ranks_at) for place, _r in options[0]
                  if all(place in ranks for ranks in ranks_at)]
    else:
        combos = product(*options)
    ranked = []
    for combo in combos:
        places = tuple(place for place, _rank in combo)
        if places == fallback:
            continue
        admitted = [i for i, place in enumerate(places) if place is not None]
        w = len(admitted)
        if w == 0:
            continue
        if w < k:
            if rule == SiblingRule.ELDER_MAY_GO_ALONE:
                if admitted != list(range(w)):
                    continue
            elif rule == SiblingRule.YOUNGER_MAY_GO_ALONE:
                if admitted != list(range(k - w, k)):
                    continue
            elif rule not in STAGGERED:
                continue
        if rule == SiblingRule.STAGGERED_SAME_FACILITY and not staggered_joinable(
                children, places):
            continue
        counts: dict[str, int] = {}
        for place in places:
            if place is not None:
                counts[place] = counts.get(place, 0) + 1
        s = max(counts.values())
        if rule == SiblingRule.SAME_FACILITY_ONLY and s < k:
            continue
        ranks = tuple(rank for _place, rank in combo)
        total = sum(rank for (place, rank) in combo if place is not None)
        key = (-w, -s if rule in _SAME else 0, total, ranks)
        ranked.append((key, places))
    ranked.sort()
    return (*tuple(places for _key, places in ranked[:MAX_TUPLES]), fallback)


def _product(numbers) -> int:
    result = 1
    for number in numbers:
        result *= number
    return result


def build_units(instance: Instance, capacity: Capacity | None = None) -> list[Unit]:
    """Every unit of the instance, with its tuples; in the order of the families' children."""
    capacity = capacity or Capacity(instance)
    children = {child.id: child for child in instance.children}
    units: list[Unit] = []
    seen: set[str] = set()
    for family in instance.families:
        members = [children[cid] for cid in family.child_ids if cid in children]
        seen.update(child.id for child in members)
        if not members:
            continue
        if family.sibling_rule == SiblingRule.INDEPENDENT or len(members) == 1:
            for child in members:
                units.append(_single(child, family.id, capacity))
            continue
        units.append(Unit(
            id=family.id, family_id=family.id, child_ids=tuple(c.id for c in members),
            rule=family.sibling_rule,
            tuples=_family_tuples(members, family.sibling_rule, capacity),
            priority=min(best_priority(child) for child in members)))
    for child in instance.children:  # children of no listed family apply alone
        if child.id not in seen:
            units.append(_single(child, child.family_id, capacity))
    return units


def _single(child: Child, family_id: str, capacity: Capacity) -> Unit:
    return Unit(id=child.id, family_id=family_id, child_ids=(child.id,),
                rule=SiblingRule.INDEPENDENT,
                tuples=tuple((place,) for place, _rank in child_options(child, capacity)),
                priority=best_priority(child))
