"""The staggered-month sibling rules (別月入所可) and facility-specific bonus points b(c,d) of
the matching engine (取組7): exact answers on hand-made instances, the verifier catching a
planted violation of each, generated instances, determinism, and no reward for strategic
ranking of wishes (no database)."""

import dataclasses
import random

import pytest

from cityhall.childcare.matching.explain import Cutoff, cutoffs, explain
from cityhall.childcare.matching.generator import generate
from cityhall.childcare.matching.model import Bonus, Child, Family, SiblingRule
from cityhall.childcare.matching.preferences import best_priority, build_units
from cityhall.childcare.matching.solve import serial_dictatorship, solve
from cityhall.childcare.matching.verifier import verify

from .matching_cases import child, facility, instance

SAME = SiblingRule.STAGGERED_SAME_FACILITY
SEPARATE = SiblingRule.STAGGERED_SEPARATE


# --- staggered sibling rules ------------------------------------------------------------------

def _tuples(rule, younger_wishes="BA"):
    inst = instance([facility("A", {0: 2, 1: 2}), facility("B", {0: 2, 1: 2})],
                    [child("e", "AB", 1, age=1, family="f"),
                     child("y", younger_wishes, 2, family="f")],
                    [Family("f", ("e", "y"), rule)])
    return build_units(inst)[0].tuples


def test_tuple_order_of_the_staggered_rules():
    # More children admitted first, then the same facility, then the wish ranks; a child
    # alone: the lower rank first, on a tie the elder.
    assert _tuples(SEPARATE) == (
        ("A", "A"), ("B", "B"), ("A", "B"), ("B", "A"),
        ("A", None), (None, "B"), ("B", None), (None, "A"), (None, None))
    # Same facility: never apart; a child alone only where the waiting sibling also wishes.
    assert _tuples(SAME) == (
        ("A", "A"), ("B", "B"), ("A", None), (None, "B"), ("B", None), (None, "A"),
        (None, None))
    # The younger wishes only B: the elder may not go alone to A (the younger could never
    # join there), the younger may go alone to B, the elder too.
    assert _tuples(SAME, younger_wishes="B") == (
        ("B", "B"), (None, "B"), ("B", None), (None, None))


def test_staggered_same_facility_with_a_transfer_child():
    # e attends C and would move to B; y wishes B. e may stay at C while y starts at B
    # (e wishes B, so e can join later), or e moves to B and y waits, or both at B.
    inst = instance([facility("B", {0: 1, 1: 1}), facility("C", {1: 0})],
                    [child("e", "B", 1, age=1, family="f", current="C"),
                     child("y", "B", 2, family="f")],
                    [Family("f", ("e", "y"), SAME)])
    assert build_units(inst)[0].tuples == (("B", "B"), ("C", "B"), ("B", None), ("C", None))
    assert solve(inst).assignment == {"e": "B", "y": "B"}


def _younger_cannot_get_in(rule):
    # As test_matching_engine._family_case: A offers age 1 only, B both; the younger wants
    # only B, whose one age-0 seat goes to the single s (better priority).
    return instance([facility("A", {1: 1}), facility("B", {0: 1, 1: 1})],
                    [child("e", "AB", 2, age=1, family="f"), child("y", "B", 3, family="f"),
                     child("s", "B", 1)],
                    [Family("f", ("e", "y"), rule)])


@pytest.mark.parametrize(("rule", "expected"), [
    # The elder alone, at the first wish: the younger waits for a later month.
    (SEPARATE, {"e": "A", "y": None, "s": "B"}),
    # The elder alone, but only where the younger can join later: B, not A.
    (SAME, {"e": "B", "y": None, "s": "B"}),
    # The same-month rule admits nobody.
    (SiblingRule.SAME_FACILITY_ONLY, {"e": None, "y": None, "s": "B"}),
])
def test_staggered_rules_when_the_younger_cannot_get_in(rule, expected):
    result = solve(_younger_cannot_get_in(rule))
    assert result.assignment == expected
    assert result.blocking_coalitions == []
    assert result.status == "ok"


def test_staggered_same_facility_explains_why_not_the_first_wish():
    inst = _younger_cannot_get_in(SAME)
    result = solve(inst)
    reasons = explain(inst, result.assignment)["e"].reasons
    assert [(r.facility, r.code, r.params.get("siblings_not_wishing")) for r in reasons] == [
        ("A", "sibling_rule", ["y"])]


def test_number_admitted_comes_before_the_same_facility():
    # e can only go to A (age 1), y only to B (age 0): apart now, or not at all.
    inst = instance([facility("A", {1: 1}), facility("B", {0: 1})],
                    [child("e", "A", 1, age=1, family="f"), child("y", "B", 2, family="f")],
                    [Family("f", ("e", "y"), SEPARATE)])
    assert solve(inst).assignment == {"e": "A", "y": "B"}
    same = dataclasses.replace(inst, families=(Family("f", ("e", "y"), SAME),))
    assert solve(same).assignment == {"e": None, "y": None}
    # Both can go to B: together beats apart at better wishes.
    both = instance([facility("A", {1: 1}), facility("B", {0: 1, 1: 1})],
                    [child("e", "AB", 1, age=1, family="f"), child("y", "B", 2, family="f")],
                    [Family("f", ("e", "y"), SEPARATE)])
    result = solve(both)
    assert result.assignment == {"e": "B", "y": "B"}
    assert [(r.facility, r.code, r.params.get("together_at"))
            for r in explain(both, result.assignment)["e"].reasons] == [
        ("A", "sibling_rule", "B")]


def test_a_staggered_family_takes_a_seat_from_a_lower_child_for_the_waiting_sibling():
    # The family has the elder at A; the younger (priority 1) outranks w (priority 5) who
    # holds A's one age-0 seat: the family blocks with (A, A), displacing w.
    inst = instance([facility("A", {0: 1, 1: 1})],
                    [child("e", "A", 2, age=1, family="f"), child("y", "A", 1, family="f"),
                     child("w", "A", 5)],
                    [Family("f", ("e", "y"), SEPARATE)])
    report = verify(inst, {"e": "A", "y": None, "w": "A"})
    assert report.feasible
    assert [(c.places, c.displaced) for c in report.blocking] == [
        ({"e": "A", "y": "A"}, ("w",))]
    assert solve(inst).assignment == {"e": "A", "y": "A", "w": None}


def test_verifier_catches_a_broken_staggered_rule():
    inst = _younger_cannot_get_in(SAME)
    # The elder alone at A, which the younger does not wish: not acceptable.
    report = verify(inst, {"e": "A", "y": None, "s": "B"})
    assert [(v.code, v.subject) for v in report.sibling_rule] == [
        ("tuple_not_acceptable", "f")]
    assert not report.feasible
    # Nobody admitted although the elder could take B's free seat alone: a wasted seat.
    report = verify(inst, {"e": None, "y": None, "s": "B"})
    assert report.feasible
    assert [c.places for c in report.waste] == [{"e": "B", "y": None}]
    # Apart in the same month breaks STAGGERED_SAME_FACILITY, not STAGGERED_SEPARATE.
    apart = instance([facility("A", {1: 1}), facility("B", {0: 1})],
                     [child("e", "AB", 1, age=1, family="f"), child("y", "AB", 2,
                                                                     family="f")],
                     [Family("f", ("e", "y"), SAME)])
    assert not verify(apart, {"e": "A", "y": "B"}).feasible
    separate = dataclasses.replace(apart, families=(Family("f", ("e", "y"), SEPARATE),))
    assert verify(separate, {"e": "A", "y": "B"}).feasible


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_generated_staggered_instances_are_stable_and_deterministic(seed):
    inst = generate(seed, children=300, facilities=12, wishes=8, sibling_share=0.3,
                    staggered_share=1.0)
    families = [f for f in inst.families if len(f.child_ids) > 1]
    rules = {f.sibling_rule for f in families}
    assert rules <= {SAME, SEPARATE, SiblingRule.INDEPENDENT}
    assert {SAME, SEPARATE} <= rules
    result = solve(inst, workers=1)
    report = verify(inst, result.assignment)
    assert report.feasible
    assert result.blocking_coalitions == report.blocking == []  # a stable result exists
    assert result.status == "ok"
    assert solve(inst, workers=1).assignment == result.assignment
    baseline = serial_dictatorship(inst)
    assert verify(inst, baseline.assignment).feasible
    # Some family really has one child now and one waiting.
    placed = result.assignment
    assert any(len({placed[c] is None for c in f.child_ids}) == 2 for f in families)


def test_the_generator_default_has_staggered_families_and_otherwise_the_same_instance():
    plain = generate(7, children=600, staggered_share=0.0)
    mixed = generate(7, children=600)
    assert plain.children == mixed.children and plain.facilities == mixed.facilities
    changed = [(a, b) for a, b in zip(plain.families, mixed.families, strict=True) if a != b]
    assert changed
    assert all(b.sibling_rule in (SAME, SEPARATE) and a.child_ids == b.child_ids
               for a, b in changed)


# --- facility-specific bonus points -----------------------------------------------------------

def _kid(cid, wishes, score, bonuses=(), flag=1, age=0):
    return Child(id=cid, family_id=cid, age_class=age, wishes=tuple(wishes),
                 priority=(-score, flag, cid), score=score, bonuses=tuple(bonuses))


def test_a_bonus_counts_only_at_its_facility():
    y = _kid("y", "AB", 39, [Bonus("A", 2, "sibling_attends")])
    assert y.priority_at("A") == (-41, 1, "y")
    assert y.priority_at("B") == y.priority == (-39, 1, "y")
    assert (y.score_at("A"), y.score_at("B"), y.bonus_at(None)) == (41, 39, 0)
    two = _kid("t", "A", 30, [Bonus("A", 2, "sibling"), Bonus("A", 3, "partner")])
    assert two.score_at("A") == 35
    inst = instance([facility("A", {0: 1})], [_kid("x", "A", 40), y])
    assert solve(inst).assignment == {"x": None, "y": "A"}
    no_bonus = instance([facility("A", {0: 1})], [_kid("x", "A", 40), _kid("y", "AB", 39)])
    assert solve(no_bonus).assignment == {"x": "A", "y": None}


def test_a_bonus_elsewhere_does_not_help_here_and_the_baseline_misses_it():
    # y's bonus is at B: at A, x (40) outranks y (39). Deferred acceptance: x at A, y at B.
    x, y = _kid("x", "AB", 40), _kid("y", "AB", 39, [Bonus("B", 2, "sibling_attends")])
    inst = instance([facility("A", {0: 1}), facility("B", {0: 1})], [x, y])
    result = solve(inst)
    assert result.assignment == {"x": "A", "y": "B"}
    assert result.status == "ok"
    # The hand-sorted baseline gives y the first turn (41 somewhere) and y takes A: x, who
    # outranks y at A, has justified envy there — the verifier says so.
    baseline = serial_dictatorship(inst)
    assert baseline.assignment == {"x": "B", "y": "A"}
    assert [(c.places, c.displaced) for c in baseline.blocking_coalitions] == [
        ({"x": "A"}, ("y",))]


def test_equal_score_with_the_bonus_goes_to_the_tie_break():
    # x 40 without a bonus, y 38 + 2 at A: equal at A, and y's tie-break flag (0) wins.
    x, y = _kid("x", "A", 40), _kid("y", "A", 38, [Bonus("A", 2, "sibling_attends")], flag=0)
    inst = instance([facility("A", {0: 1})], [x, y])
    assert solve(inst).assignment == {"x": None, "y": "A"}
    reason = explain(inst, {"x": None, "y": "A"})["x"].reasons[0]
    assert reason.code == "below_cutoff"
    assert reason.params["cutoff_score"] == 40
    assert reason.params["cutoff_bonus"] == 2
    assert reason.params["decided_by"] == 1  # the first tie-break value decided
    assert reason.params["bonus"] == 0
    assert cutoffs(inst, {"x": None, "y": "A"})[("A", 0)] == Cutoff(
        facility="A", age_class=0, admitted=1, full=True, score=40, priority=(-40, 0, "y"),
        bonus=2)


def test_explanation_gives_the_score_with_the_bonus():
    # y: 37 + 2 at A = 39, below x's 40: "at A your score is 37 + 2".
    x, y = _kid("x", "A", 40), _kid("y", "AB", 37, [Bonus("A", 2, "sibling_attends")])
    inst = instance([facility("A", {0: 1}), facility("B", {0: 1})], [x, y])
    result = solve(inst)
    assert result.assignment == {"x": "A", "y": "B"}
    (reason,) = explain(inst, result.assignment)["y"].reasons
    assert reason.params == {
        "age_class": 0, "ages": [0], "seats": 1, "cutoff_score": 40,
        "cutoff_priority": (-40, 1, "x"), "decided_by": 0, "score": 37, "bonus": 2,
        "bonus_reasons": ["sibling_attends"], "cutoff_bonus": 0}


def test_verifier_catches_justified_envy_at_the_bonus_facility():
    x, y = _kid("x", "A", 40), _kid("y", "A", 39, [Bonus("A", 2, "sibling_attends")])
    inst = instance([facility("A", {0: 1})], [x, y])
    report = verify(inst, {"x": "A", "y": None})
    assert report.feasible
    assert [(c.places, c.displaced) for c in report.blocking] == [({"y": "A"}, ("x",))]
    assert verify(inst, {"x": None, "y": "A"}).stable


def test_a_sibling_family_uses_its_bonus_at_the_facility():
    # The family (33) has +10 at B where a sibling attends: the younger outranks w (40) there.
    inst = instance(
        [facility("A", {1: 1}), facility("B", {0: 1, 1: 1})],
        [dataclasses.replace(child("e", "BA", 0, age=1, family="f"), priority=(-33, "e"),
                             score=33, bonuses=(Bonus("B", 10, "sibling_attends"),)),
         dataclasses.replace(child("y", "B", 0, family="f"), priority=(-33, "y"), score=33,
                             bonuses=(Bonus("B", 10, "sibling_attends"),)),
         _kid("w", "B", 40)],
        [Family("f", ("e", "y"), SiblingRule.SAME_FACILITY_ONLY)])
    result = solve(inst)
    assert result.assignment == {"e": "B", "y": "B", "w": None}
    assert result.blocking_coalitions == []


def test_priority_never_depends_on_the_order_of_the_wishes():
    inst = generate(31, children=400, facilities=12, wishes=8, bonus_share=0.3)
    with_bonus = [c for c in inst.children if c.bonuses]
    assert len(with_bonus) > 20
    assert {b.reason for c in with_bonus for b in c.bonuses} == {
        "sibling_attends", "partner_nursery"}
    rng = random.Random(31)
    for c in with_bonus:
        shuffled = list(c.wishes)
        rng.shuffle(shuffled)
        other = dataclasses.replace(c, wishes=tuple(shuffled))
        assert all(other.priority_at(f) == c.priority_at(f) for f in c.wishes)
        assert best_priority(other) == best_priority(c)


@pytest.mark.parametrize("seed", [32, 33])
def test_strategy_proof_for_children_alone_with_bonuses(seed):
    """No child gains by reordering their wishes when priorities differ by facility, and a
    child whose outcome stays the same changes nobody else's."""
    inst = generate(seed, children=300, facilities=12, wishes=6, sibling_share=0.0,
                    transfer_share=0.0, bonus_share=0.3)
    truthful = solve(inst)
    assert truthful.solver == "deferred-acceptance"
    assert verify(inst, truthful.assignment).stable
    rng = random.Random(seed)
    chosen = [c for c in inst.children if c.bonuses]
    for kid in rng.sample(chosen, 15):
        for _ in range(3):
            lie = list(kid.wishes)
            rng.shuffle(lie)
            children = tuple(dataclasses.replace(c, wishes=tuple(lie)) if c.id == kid.id
                             else c for c in inst.children)
            outcome = solve(dataclasses.replace(inst, children=children)).assignment
            got, honest = outcome[kid.id], truthful.assignment[kid.id]
            assert honest is not None or got is None
            if got is not None and honest is not None:
                assert kid.wishes.index(honest) <= kid.wishes.index(got)
            if got == honest:
                assert outcome == truthful.assignment


@pytest.mark.parametrize("seed", [34, 35])
def test_generated_instances_with_bonuses_and_siblings(seed):
    inst = generate(seed, children=300, facilities=12, wishes=8, bonus_share=0.3)
    result = solve(inst, workers=1)
    report = verify(inst, result.assignment)
    assert report.feasible
    assert result.blocking_coalitions == report.blocking == []
    assert solve(inst, workers=1).assignment == result.assignment
    by_id = {c.id: c for c in inst.children}
    table = cutoffs(inst, result.assignment)
    for cid, explanation in explain(inst, result.assignment).items():
        c = by_id[cid]
        for reason in explanation.reasons:
            if reason.code == "below_cutoff" and reason.params["cutoff_priority"]:
                assert reason.params["cutoff_priority"] < c.priority_at(reason.facility)
                if "bonus" in reason.params:
                    assert reason.params["score"] + reason.params["bonus"] == c.score_at(
                        reason.facility)
            assert reason.code != "not_chosen"
    for (fid, age), cut in table.items():
        admitted = [by_id[c] for c, f in result.assignment.items()
                    if f == fid and by_id[c].age_class == age
                    and by_id[c].current_facility != fid]
        if admitted:
            worst = max(admitted, key=lambda k: k.priority_at(fid))
            assert (cut.score, cut.priority) == (worst.score_at(fid), worst.priority_at(fid))
