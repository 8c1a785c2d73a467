"""The verifier catches every kind of violation on deliberately broken assignments."""

from cityhall.childcare.matching.model import Family, SiblingRule
from cityhall.childcare.matching.verifier import verify

from .matching_cases import child, facility, instance


def _inst():
    return instance(
        [facility("A", {0: 1, 1: 1}), facility("B", {0: 1, 1: 1}), facility("C", {1: 1})],
        [child("a", "AB", 1), child("b", "AB", 2), child("t", "BA", 3, age=1, current="C"),
         child("e", "AB", 4, age=1, family="f"), child("y", "AB", 5, family="f")],
        [Family("f", ("e", "y"), SiblingRule.SAME_FACILITY_ONLY)])


def test_a_correct_assignment_passes():
    report = verify(_inst(), {"a": "A", "b": "B", "t": "B", "e": None, "y": None})
    assert report.feasible
    assert report.stable
    assert report.placed == 3


def test_over_capacity():
    report = verify(_inst(), {"a": "A", "b": "A", "t": "C", "e": None, "y": None})
    assert [(v.code, v.subject, v.detail["placed"]) for v in report.capacity] == [
        ("over_capacity", "A", 2)]
    assert not report.feasible


def test_not_wished_and_age_class_not_offered():
    report = verify(_inst(), {"a": "C", "b": "B", "t": "C", "e": None, "y": None,
                              "ghost": "A"})
    assert sorted((v.code, v.subject) for v in report.not_wished) == [
        ("age_class_not_offered", "a"), ("unknown_child", "ghost")]
    inst = instance([facility("A", {0: 2}), facility("B", {0: 2})], [child("a", "A", 1)])
    assert [v.code for v in verify(inst, {"a": "B"}).not_wished] == ["not_wished"]


def test_transfer_child_not_placed_or_placed_lower():
    report = verify(_inst(), {"a": "A", "b": "B", "t": None, "e": None, "y": None})
    assert [(v.code, v.subject) for v in report.transfer_worse] == [
        ("transfer_not_placed", "t")]
    inst = instance([facility(f, {1: 1}) for f in "ABC"],
                    [child("t", "ABC", 1, age=1, current="B")])
    report = verify(inst, {"t": "C"})
    assert [(v.code, v.subject) for v in report.transfer_worse] == [
        ("transfer_below_current", "t")]


def test_sibling_rule_broken():
    report = verify(_inst(), {"a": None, "b": None, "t": "C", "e": "A", "y": "B"})
    assert [(v.code, v.subject) for v in report.sibling_rule] == [
        ("tuple_not_acceptable", "f")]


def test_wasted_seat():
    report = verify(_inst(), {"a": "A", "b": None, "t": "C", "e": None, "y": None})
    assert report.feasible
    assert {tuple(c.places.items()) for c in report.waste} >= {(("b", "B"),)}
    assert all(c.displaced == () for c in report.waste)


def test_blocking_coalition_lists_the_displaced_child():
    # b (priority 2) holds A, which a (priority 1) wants first: a blocks, displacing b.
    report = verify(_inst(), {"a": "B", "b": "A", "t": "C", "e": None, "y": None})
    assert report.feasible
    assert [(c.family_id, c.places, c.displaced) for c in report.blocking
            if c.family_id == "a"] == [("a", {"a": "A"}, ("b",))]
    assert not report.stable


def test_family_blocks_only_if_each_child_outranks_the_displaced():
    # One seat per class at A; the family's younger child y (priority 5) would need b's seat
    # (priority 2): no coalition. With y at priority 0 it blocks and displaces b.
    inst = _inst()
    base = {"a": "B", "b": "A", "t": "B", "e": None, "y": None}
    report = verify(inst, base)
    assert [c for c in report.blocking if c.family_id == "f"] == []
    better = instance(
        [facility("A", {0: 1, 1: 1}), facility("B", {0: 1, 1: 1}), facility("C", {1: 1})],
        [child("a", "AB", 1), child("b", "AB", 2), child("t", "BA", 3, age=1, current="C"),
         child("e", "AB", 4, age=1, family="f"), child("y", "AB", 0, family="f")],
        [Family("f", ("e", "y"), SiblingRule.SAME_FACILITY_ONLY)])
    coalitions = [c for c in verify(better, base).blocking if c.family_id == "f"]
    assert [(c.places, c.displaced) for c in coalitions] == [
        ({"e": "A", "y": "A"}, ("b",))]


def test_a_transfer_child_cannot_be_displaced_from_their_own_seat():
    inst = instance([facility("A", {1: 0})],
                    [child("x", "A", 1, age=1), child("t", "", 9, age=1, current="A")])
    report = verify(inst, {"x": None, "t": "A"})
    assert report.stable
