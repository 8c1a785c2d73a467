"""Hard instances: planted no-stable gadgets (known minimum), the heuristic's cycle breaking,
and the large-neighbourhood search (exact incremental count, never worse, feasible)."""

import itertools
import math

import pytest

from cityhall.childcare.matching.capacity import Capacity
from cityhall.childcare.matching.generator import GADGETS, generate, hard, plant
from cityhall.childcare.matching.heuristics import (
    priority_queue_heuristic,
    serial_dictatorship,
)
from cityhall.childcare.matching.lns import State, search
from cityhall.childcare.matching.model import Instance, SiblingRule
from cityhall.childcare.matching.preferences import build_units
from cityhall.childcare.matching.solve import solve
from cityhall.childcare.matching.verifier import verify

EMPTY = Instance(facilities=(), children=(), families=())


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


def test_defaults_unchanged_and_knobs_change_the_instance():
    assert generate(3, children=300, facilities=12) == generate(
        3, children=300, facilities=12, three_child_share=0.1, rule_weights=None,
        tight_seats=1.0, gadgets=0)
    tough = hard(3, children=300, facilities=12, gadgets=2)
    assert tough == hard(3, children=300, facilities=12, gadgets=2)
    assert len(tough.children) == 300 + 2 * 4
    families = [f for f in tough.families if len(f.child_ids) > 1]
    assert any(len(f.child_ids) == 3 for f in families)
    assert SiblingRule.INDEPENDENT not in {f.sibling_rule for f in families}


@pytest.mark.parametrize("number", range(len(GADGETS)))
def test_each_gadget_has_exactly_one_coalition_at_best(number):
    gadget = plant(EMPTY, number + 1)
    own = [c for c in gadget.children if c.id.startswith(f"G{number:04d}")]
    facilities = tuple(f for f in gadget.facilities if f.id.startswith(f"G{number:04d}"))
    families = tuple(f for f in gadget.families if f.id.startswith(f"G{number:04d}"))
    alone = Instance(facilities=facilities, children=tuple(own), families=families)
    assert _brute_force_minimum(alone) == 1


def _planted():
    base = generate(11, children=300, facilities=12, wishes=8)
    return base, plant(base, 6)


def test_planted_gadgets_solved_to_the_known_minimum():
    base, inst = _planted()
    # The rest has a stable matching (certified by the verifier), the gadgets are disjoint
    # from it and from each other, and each needs one coalition: the minimum is exactly 6.
    assert solve(base, workers=1).blocking_coalitions == []
    for full_model_units in (0, 400):  # neighbourhood search, then the whole-instance model
        result = solve(inst, workers=1, full_model_units=full_model_units)
        report = verify(inst, result.assignment)
        assert report.feasible
        assert len(report.blocking) == 6
        assert result.blocking_coalitions == report.blocking
        assert {c.family_id[:5] for c in report.blocking} == {f"G{n:04d}" for n in range(6)}


def test_heuristic_breaks_gadget_cycles():
    _base, inst = _planted()
    capacity = Capacity(inst)
    units = build_units(inst, capacity)
    assignment, _steps, finished = priority_queue_heuristic(inst, units, capacity)
    assert finished
    assert len(verify(inst, assignment, units, capacity).blocking) == 6
    # Without the cycle breaking the gadgets use up every step and leave far more.
    stuck, _steps, finished = priority_queue_heuristic(inst, units, capacity, max_moves=10**9)
    assert not finished
    assert len(verify(inst, stuck, units, capacity).blocking) > 6


def _search_from(inst, start):
    capacity = Capacity(inst)
    units = build_units(inst, capacity)
    assignment = start(inst, units, capacity)
    before = verify(inst, assignment, units, capacity)
    state = State(inst, units, capacity, assignment, before.blocking)
    # No wall-clock cap per step: the outcome must not depend on the machine's load.
    search(state, deadline=math.inf, workers=1, step_seconds=math.inf)
    after = verify(inst, state.assignment(), units, capacity)
    return before, state, after


def test_search_from_the_baseline_improves_with_an_exact_count():
    _base, inst = _planted()
    before, state, after = _search_from(inst, serial_dictatorship)
    assert after.feasible
    assert state.total == len(after.blocking)  # the incremental count is the verifier's
    assert state.placed == after.placed
    assert 6 <= len(after.blocking) < len(before.blocking)


def test_search_on_a_hard_instance_never_worse_and_feasible():
    inst = hard(5, children=300, facilities=8, gadgets=0)

    def heuristic(i, u, c):
        return priority_queue_heuristic(i, u, c)[0]

    before, state, after = _search_from(inst, heuristic)
    assert len(before.blocking) == 11  # the heuristic leaves coalitions here
    assert after.feasible
    assert state.total == len(after.blocking)
    assert len(after.blocking) < len(before.blocking)


def test_solve_on_a_hard_instance_is_never_worse_than_the_heuristic():
    inst = hard(4, children=500, facilities=13, gadgets=2)
    capacity = Capacity(inst)
    units = build_units(inst, capacity)
    heuristic, *_ = priority_queue_heuristic(inst, units, capacity)
    first = verify(inst, heuristic, units, capacity)
    result = solve(inst, workers=1, full_model_units=0)
    report = verify(inst, result.assignment)
    assert report.feasible  # capacity, wishes, transfers, sibling rules
    assert result.blocking_coalitions == report.blocking
    assert (len(report.blocking), -report.placed) <= (len(first.blocking), -first.placed)
    assert len(report.blocking) >= 2  # two planted gadgets
    assert result.solver in ("priority-queue", "priority-queue+lns")
