"""The engine on generated instances: feasibility, stability where certified, strategy-proofness
for children alone, determinism, and explanations that agree with the verifier."""

import dataclasses
import random

import pytest

from cityhall.childcare.matching.explain import cutoffs, explain
from cityhall.childcare.matching.generator import generate
from cityhall.childcare.matching.model import Instance, SiblingRule
from cityhall.childcare.matching.solve import serial_dictatorship, solve
from cityhall.childcare.matching.verifier import verify


def test_generator_is_seeded_and_realistic():
    a, b = generate(7, children=3000), generate(7, children=3000)
    assert a == b
    assert generate(8, children=300) != generate(7, children=300)
    assert len(a.children) == 3000
    assert len(a.facilities) == 80
    assert max(len(c.wishes) for c in a.children) == 20
    young = sum(1 for c in a.children if c.age_class <= 2)
    assert young > 0.75 * len(a.children)
    transfers = sum(1 for c in a.children if c.current_facility)
    assert 0.02 * 3000 < transfers < 0.08 * 3000
    siblings = [f for f in a.families if len(f.child_ids) > 1]
    assert 0.08 * len(a.families) < len(siblings) < 0.16 * len(a.families)
    assert {f.sibling_rule for f in siblings} == set(SiblingRule)
    assert any(f.pools for f in a.facilities)
    scores = [c.score for c in a.children]
    assert len(set(scores)) < 40  # many ties
    for c in a.children:  # priority never depends on wishes
        assert c.priority == (-c.score, *c.priority[1:-1], c.id)
        assert c.current_facility not in c.wishes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_instance_solved_and_verified(seed):
    inst = generate(seed, children=300, facilities=12, wishes=8)
    result = solve(inst, workers=1)
    report = verify(inst, result.assignment)
    assert report.feasible
    assert [c for c in result.blocking_coalitions] == report.blocking
    baseline = serial_dictatorship(inst)
    assert verify(inst, baseline.assignment).feasible
    assert (len(report.blocking), -report.placed) <= (
        len(baseline.blocking_coalitions), -baseline.placed)


def test_solve_is_deterministic_on_a_generated_instance():
    inst = generate(4, children=300, facilities=12, wishes=8)
    assert solve(inst, workers=1).assignment == solve(inst, workers=1).assignment


def _singles(seed) -> Instance:
    return generate(seed, children=300, facilities=12, wishes=6, sibling_share=0.0,
                    transfer_share=0.0)


def test_children_alone_get_the_serial_dictatorship_and_it_is_stable():
    inst = _singles(5)
    result = solve(inst)
    assert result.solver == "deferred-acceptance"
    assert result.assignment == serial_dictatorship(inst).assignment
    assert verify(inst, result.assignment).stable


@pytest.mark.parametrize("seed", [5, 6])
def test_strategy_proof_for_children_alone(seed):
    """No child gains by reordering their wishes: with the true order they get a place they
    like at least as much as with any reordering tried; and if their own outcome does not
    change, nobody else's does (the wish order is not part of anyone's priority)."""
    inst = _singles(seed)
    truthful = solve(inst).assignment
    rng = random.Random(seed)
    for chosen in rng.sample(inst.children, 25):
        true_order = chosen.wishes
        for _ in range(3):
            lie = list(true_order)
            rng.shuffle(lie)
            children = tuple(dataclasses.replace(c, wishes=tuple(lie)) if c.id == chosen.id
                             else c for c in inst.children)
            outcome = solve(dataclasses.replace(inst, children=children)).assignment
            got, honest = outcome[chosen.id], truthful[chosen.id]
            rank = true_order.index
            assert honest is not None or got is None
            if got is not None and honest is not None:
                assert rank(honest) <= rank(got)
            if got == honest:
                assert outcome == truthful


def test_explanations_agree_with_cutoffs_and_the_verifier():
    inst = generate(9, children=300, facilities=12, wishes=8)
    result = solve(inst, workers=1)
    explanations = explain(inst, result.assignment)
    table = cutoffs(inst, result.assignment)
    by_id = {c.id: c for c in inst.children}
    blocked = {cid for coalition in result.blocking_coalitions for cid in coalition.places}
    for cid, explanation in explanations.items():
        c = by_id[cid]
        assert explanation.facility == result.assignment[cid]
        if explanation.outcome == "admitted":
            assert explanation.wish_rank == c.wishes.index(explanation.facility)
        for reason in explanation.reasons:
            assert c.wishes.index(reason.facility) == reason.wish_rank
            if reason.code == "below_cutoff" and reason.params["cutoff_priority"]:
                assert reason.params["cutoff_priority"] < c.priority
                decided = reason.params["decided_by"]
                assert c.priority[:decided] == reason.params["cutoff_priority"][:decided]
                cut = table[(reason.facility, c.age_class)]
                assert cut.full
            if reason.code == "not_chosen":
                assert cid in blocked
    for (fid, age), cut in table.items():
        admitted = [by_id[c] for c, f in result.assignment.items()
                    if f == fid and by_id[c].age_class == age
                    and by_id[c].current_facility != fid]
        assert cut.admitted == len(admitted)
        if admitted:
            worst = max(admitted, key=lambda k: k.priority)
            assert (cut.score, cut.priority) == (worst.score, worst.priority)
