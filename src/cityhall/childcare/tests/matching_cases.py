"""Small hand-made instances for the matching engine's tests (no database)."""

from cityhall.childcare.matching.model import (
    Child,
    Facility,
    Family,
    Instance,
    SeatPool,
    SiblingRule,
)


def facility(fid: str, seats: dict[int, int], pools=()) -> Facility:
    return Facility(id=fid, name=fid, seats=seats,
                    pools=tuple(SeatPool(frozenset(ages), n) for ages, n in pools))


def child(cid: str, wishes: str | tuple, rank: int, age: int = 0, family: str | None = None,
          current: str | None = None, score: int = 0) -> Child:
    wishes = tuple(wishes) if isinstance(wishes, str) else wishes
    return Child(id=cid, family_id=family or cid, age_class=age, wishes=wishes,
                 priority=(rank, cid), score=score, current_facility=current)


def instance(facilities, children, families=()) -> Instance:
    """Children not in a listed family apply alone."""
    listed = {cid for fam in families for cid in fam.child_ids}
    singles = tuple(Family(id=c.family_id, child_ids=(c.id,))
                    for c in children if c.id not in listed)
    return Instance(facilities=tuple(facilities), children=tuple(children),
                    families=tuple(families) + singles)


def no_stable_instance() -> Instance:
    """Two facilities with one seat each, a family whose elder may go alone, two singles:
    every assignment has at least one blocking coalition (checked by brute force)."""
    return instance(
        [facility("A", {0: 1}), facility("B", {0: 1})],
        [child("c1", "AB", 0, family="fam"), child("c2", "A", 3, family="fam"),
         child("s1", "AB", 1), child("s2", "A", 2)],
        [Family("fam", ("c1", "c2"), SiblingRule.ELDER_MAY_GO_ALONE)])


def no_stable_all_or_none() -> Instance:
    """Three one-seat facilities and a family that needs both children admitted."""
    return instance(
        [facility(f, {0: 1}) for f in "ABC"],
        [child("c1", "C", 3, family="fam"), child("c2", "CB", 0, family="fam"),
         child("s1", "A", 2), child("s2", "BC", 1)],
        [Family("fam", ("c1", "c2"), SiblingRule.ALL_OR_NONE)])
