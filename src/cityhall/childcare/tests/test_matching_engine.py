"""The matching engine on hand-made instances with exact expected results (no database)."""

import itertools

import pytest

from cityhall.childcare.matching.capacity import Capacity
from cityhall.childcare.matching.model import Child, Family, SiblingRule
from cityhall.childcare.matching.preferences import MAX_TUPLES, build_units
from cityhall.childcare.matching.solve import serial_dictatorship, solve
from cityhall.childcare.matching.verifier import verify

from .matching_cases import (
    child,
    facility,
    instance,
    no_stable_all_or_none,
    no_stable_instance,
)


def test_serial_dictatorship_by_priority_not_by_wish_order():
    inst = instance([facility("A", {0: 1}), facility("B", {0: 1})],
                    [child("c3", "A", 3), child("c2", "AB", 2), child("c1", "BA", 1)])
    result = solve(inst)
    assert result.assignment == {"c1": "B", "c2": "A", "c3": None}
    assert result.solver == "deferred-acceptance"
    assert result.status == "ok"
    assert result.blocking_coalitions == []
    assert result.placed == 2
    assert serial_dictatorship(inst).assignment == result.assignment


def test_ties_broken_by_the_tie_break_key():
    # Same score 40; the single parent (flag 0) first, then the lower income, then the id.
    def kid(cid, flag, income):
        return Child(id=cid, family_id=cid, age_class=1, wishes=("A",),
                     priority=(-40, flag, income, cid), score=40)
    inst = instance([facility("A", {1: 2})],
                    [kid("k1", 1, 100), kid("k2", 0, 900), kid("k3", 1, 50)])
    assert solve(inst).assignment == {"k1": None, "k2": "A", "k3": "A"}


def test_seat_pool_and_class_seats_both_bind():
    inst = instance([facility("P", {3: 1}, pools=[((3, 4, 5), 2)])],
                    [child("a3", "P", 1, age=3), child("b3", "P", 2, age=3),
                     child("c4", "P", 3, age=4), child("d5", "P", 4, age=5)])
    assert solve(inst).assignment == {"a3": "P", "b3": None, "c4": "P", "d5": None}
    assert not verify(inst, {"a3": "P", "b3": "P"}).feasible


def test_transfer_seat_release_goes_to_a_higher_priority_child():
    inst = instance([facility("A", {1: 0}), facility("B", {1: 1})],
                    [child("x", "A", 1, age=1), child("t", "B", 5, age=1, current="A")])
    result = solve(inst)
    assert result.assignment == {"x": "A", "t": "B"}
    assert result.blocking_coalitions == []
    # The manual baseline processes x first, while t still holds the seat: a wasted seat.
    baseline = serial_dictatorship(inst)
    assert baseline.assignment == {"x": None, "t": "B"}
    report = verify(inst, baseline.assignment)
    assert [c.places for c in report.waste] == [{"x": "A"}]


def test_transfer_child_keeps_their_seat_and_never_goes_lower():
    inst = instance([facility("A", {1: 0}), facility("B", {1: 0}), facility("C", {1: 3})],
                    [child("t", "BAC", 9, age=1, current="A"), child("x", "AC", 1, age=1)])
    units = build_units(inst)
    assert [u.tuples for u in units if u.id == "t"] == [(("B",), ("A",))]
    assert solve(inst).assignment == {"t": "A", "x": "C"}


def _family_case(rule):
    # A offers age 1 only, B offers both; the younger child wants only B; the single s (age 0,
    # better priority) takes B's one age-0 seat.
    return instance([facility("A", {1: 1}), facility("B", {0: 1, 1: 1})],
                    [child("e", "AB", 2, age=1, family="f"), child("y", "B", 3, family="f"),
                     child("s", "B", 1)],
                    [Family("f", ("e", "y"), rule)])


@pytest.mark.parametrize(("rule", "expected"), [
    (SiblingRule.SAME_FACILITY_ONLY, {"e": None, "y": None, "s": "B"}),
    (SiblingRule.SAME_PREFERRED, {"e": None, "y": None, "s": "B"}),
    (SiblingRule.ALL_OR_NONE, {"e": None, "y": None, "s": "B"}),
    (SiblingRule.ELDER_MAY_GO_ALONE, {"e": "A", "y": None, "s": "B"}),
    (SiblingRule.YOUNGER_MAY_GO_ALONE, {"e": None, "y": None, "s": "B"}),
    (SiblingRule.INDEPENDENT, {"e": "A", "y": None, "s": "B"}),
])
def test_each_sibling_rule_when_the_younger_cannot_get_in(rule, expected):
    result = solve(_family_case(rule))
    assert result.assignment == expected
    assert result.blocking_coalitions == []


@pytest.mark.parametrize(("rule", "expected"), [
    (SiblingRule.SAME_FACILITY_ONLY, {"e": "B", "y": "B"}),
    (SiblingRule.SAME_PREFERRED, {"e": "B", "y": "B"}),
    (SiblingRule.ALL_OR_NONE, {"e": "A", "y": "B"}),
    (SiblingRule.INDEPENDENT, {"e": "A", "y": "B"}),
])
def test_each_sibling_rule_when_both_can_get_in(rule, expected):
    inst = instance([facility("A", {1: 1}), facility("B", {0: 1, 1: 1})],
                    [child("e", "AB", 2, age=1, family="f"), child("y", "B", 3, family="f")],
                    [Family("f", ("e", "y"), rule)])
    assert solve(inst).assignment == expected


def test_tuple_order_of_each_rule():
    def tuples(rule):
        inst = instance([facility("A", {0: 2, 1: 2}), facility("B", {0: 2, 1: 2})],
                        [child("e", "AB", 1, age=1, family="f"),
                         child("y", "BA", 2, family="f")],
                        [Family("f", ("e", "y"), rule)])
        return build_units(inst)[0].tuples
    assert tuples(SiblingRule.SAME_FACILITY_ONLY) == (("A", "A"), ("B", "B"), (None, None))
    assert tuples(SiblingRule.SAME_PREFERRED) == (
        ("A", "A"), ("B", "B"), ("A", "B"), ("B", "A"), (None, None))
    assert tuples(SiblingRule.ALL_OR_NONE) == (
        ("A", "B"), ("A", "A"), ("B", "B"), ("B", "A"), (None, None))
    assert tuples(SiblingRule.ELDER_MAY_GO_ALONE) == (
        ("A", "A"), ("B", "B"), ("A", "B"), ("B", "A"), ("A", None), ("B", None),
        (None, None))
    assert tuples(SiblingRule.YOUNGER_MAY_GO_ALONE) == (
        ("A", "A"), ("B", "B"), ("A", "B"), ("B", "A"), (None, "B"), (None, "A"),
        (None, None))


def test_sibling_family_with_a_transfer_child_keeps_the_status_quo_as_fallback():
    inst = instance([facility("A", {0: 0, 1: 0}), facility("B", {0: 1, 1: 1})],
                    [child("e", "B", 1, age=1, family="f", current="A"),
                     child("y", "B", 2, family="f")],
                    [Family("f", ("e", "y"), SiblingRule.SAME_FACILITY_ONLY)])
    assert build_units(inst)[0].tuples == (("B", "B"), ("A", None))
    assert solve(inst).assignment == {"e": "B", "y": "B"}


def test_three_siblings_with_twenty_wishes_are_capped():
    facilities = [facility(f"F{i:02d}", {0: 1, 1: 1, 2: 1}) for i in range(20)]
    wishes = tuple(f.id for f in facilities)
    inst = instance(facilities,
                    [child(f"k{i}", wishes, i, age=i, family="f") for i in range(3)],
                    [Family("f", ("k0", "k1", "k2"), SiblingRule.SAME_PREFERRED)])
    tuples = build_units(inst)[0].tuples
    assert len(tuples) == MAX_TUPLES + 1
    assert tuples[0] == ("F00", "F00", "F00")
    assert tuples[-1] == (None, None, None)


def _brute_force_minimum(inst):
    units = build_units(inst)
    best = None
    for combo in itertools.product(*[unit.tuples for unit in units]):
        assignment = {}
        for unit, tuple_ in zip(units, combo, strict=True):
            assignment.update(zip(unit.child_ids, tuple_, strict=True))
        report = verify(inst, assignment, units)
        if report.feasible and (best is None or len(report.blocking) < best):
            best = len(report.blocking)
    return best


@pytest.mark.parametrize("make", [no_stable_instance, no_stable_all_or_none])
def test_no_stable_matching_solver_finds_the_minimum(make):
    inst = make()
    assert _brute_force_minimum(inst) == 1
    result = solve(inst, time_limit=10, workers=1)
    assert result.status == "optimal"
    assert len(result.blocking_coalitions) == 1
    report = verify(inst, result.assignment)
    assert report.feasible
    assert len(report.blocking) == 1


def test_no_stable_instance_exact_result():
    result = solve(no_stable_instance(), workers=1)
    assert result.solver in ("priority-queue", "cp-sat", "priority-queue+cp-sat")
    # The minimum (1 coalition) with the most children placed (2).
    assert result.placed == 2
    assert Capacity(no_stable_instance()).offers("A", 0)


def test_solve_is_deterministic():
    inst = no_stable_all_or_none()
    assert solve(inst, workers=1).assignment == solve(inst, workers=1).assignment


def test_explanation_codes_and_cutoff_exact():
    from cityhall.childcare.matching.explain import Cutoff, Reason, cutoffs, explain

    inst = instance(
        [facility("A", {1: 1}), facility("B", {0: 1, 1: 1}), facility("Z", {3: 5})],
        [child("e", "ZAB", 2, age=1, family="f", score=38), child("y", "B", 3, family="f"),
         child("s", "B", 1, score=40), Child(id="w", family_id="w", age_class=1,
                                             wishes=("A",), priority=(5, "w"),
                                             score=38)],
        [Family("f", ("e", "y"), SiblingRule.ALL_OR_NONE)])
    # e (priority 2) outranks w (5) at A, but the family needs y admitted too.
    result = solve(inst)
    assert result.assignment == {"e": None, "y": None, "s": "B", "w": "A"}
    explanations = explain(inst, result.assignment)
    assert explanations["e"].outcome == "not_admitted"
    assert explanations["e"].reasons == (
        Reason("Z", 0, "age_class_not_offered", {"age_class": 1}),
        Reason("A", 1, "sibling_rule", {"age_class": 1, "rule": "all_or_none"}),
        Reason("B", 2, "sibling_rule", {"age_class": 1, "rule": "all_or_none"}))
    assert explanations["y"].reasons == (Reason("B", 0, "below_cutoff", {
        "age_class": 0, "ages": [0], "seats": 1, "cutoff_score": 40,
        "cutoff_priority": (1, "s"), "decided_by": 0}),)
    assert explanations["w"].outcome == "admitted"
    assert explanations["w"].reasons == ()
    assert cutoffs(inst, result.assignment)[("B", 0)] == Cutoff(
        facility="B", age_class=0, admitted=1, full=True, score=40, priority=(1, "s"))
    assert cutoffs(inst, result.assignment)[("B", 1)].admitted == 0
