"""Checks any assignment on its own, whoever computed it (no solver code is used here).

`verify(instance, assignment)` reports:
- capacity: a constraint group (facility, age classes) with more children than seats;
- not_wished: a child placed at a facility that is neither a wish (offering the child's age
  class) nor their current facility, or an unknown child / facility;
- transfer_worse: a transfer child not admitted or placed below their current facility;
- sibling_rule: a family whose combination of places is not one of its acceptable tuples;
- waste: a unit (child alone or sibling family) that prefers a tuple it could take using only
  free seats (non-wastefulness);
- blocking: every blocking coalition — a unit and a tuple it prefers to its placement that it
  could take using free seats plus the seats of children of other units with strictly lower
  rank at that facility (the children who would lose their seat are listed as displaced).

Comparing a family with the children it would displace (the γ of the formal model): for a
tuple, in every constraint group (d, G) the tuple uses, let n be the number of the family's
children it puts there and t the rank of the *lowest-ranked* of them at d. The group admits
them if n + (children of other units in the group ranked better than t) ≤ seats. So a family
takes a seat from a child only if each of its children who would sit in that group outranks
the displaced child; its own children's present seats count as free for it. A transfer child
at their own current facility outranks everyone (`capacity.rank_at`).

Every blocking (unit, tuple) pair counts once: the number of coalitions is Σβ of the model.
A waste entry is also a blocking coalition (with nobody displaced).
"""

from bisect import bisect_left
from dataclasses import dataclass, field

from .capacity import Capacity, rank_at
from .model import BlockingCoalition, Instance
from .preferences import Unit, build_units


@dataclass(frozen=True)
class Violation:
    code: str
    subject: str  # the child, family or facility concerned
    detail: dict = field(default_factory=dict)


@dataclass
class Report:
    capacity: list[Violation] = field(default_factory=list)
    not_wished: list[Violation] = field(default_factory=list)
    transfer_worse: list[Violation] = field(default_factory=list)
    sibling_rule: list[Violation] = field(default_factory=list)
    waste: list[BlockingCoalition] = field(default_factory=list)
    blocking: list[BlockingCoalition] = field(default_factory=list)
    placed: int = 0

    @property
    def feasible(self) -> bool:
        """Capacity, wishes, transfers and sibling rules all respected."""
        return not (self.capacity or self.not_wished or self.transfer_worse
                    or self.sibling_rule)

    @property
    def stable(self) -> bool:
        return self.feasible and not self.blocking


def verify(instance: Instance, assignment: dict[str, str | None],
           units: list[Unit] | None = None, capacity: Capacity | None = None) -> Report:
    capacity = capacity or Capacity(instance)
    units = units if units is not None else build_units(instance, capacity)
    children = {child.id: child for child in instance.children}
    facility_ids = {facility.id for facility in instance.facilities}
    report = Report()
    place = {cid: assignment.get(cid) for cid in children}
    for cid in assignment:
        if cid not in children:
            report.not_wished.append(Violation("unknown_child", cid))

    # Occupancy of every group, and the placement checks of every child.
    holders: list[list[tuple]] = [[] for _ in capacity.groups]
    for cid, child in children.items():
        facility = place[cid]
        if facility is None:
            if child.current_facility is not None:
                report.transfer_worse.append(Violation("transfer_not_placed", cid))
            continue
        report.placed += 1
        if facility not in facility_ids and facility != child.current_facility:
            report.not_wished.append(Violation("unknown_facility", cid, {"facility": facility}))
            continue
        gids = capacity.groups_of(facility, child.age_class)
        if not gids:
            report.not_wished.append(Violation(
                "age_class_not_offered", cid, {"facility": facility}))
            continue
        for gid in gids:
            holders[gid].append((rank_at(child, facility), cid))
        if facility == child.current_facility:
            continue
        if facility not in child.wishes:
            report.not_wished.append(Violation("not_wished", cid, {"facility": facility}))
        elif child.current_facility is not None and (
                child.current_facility in child.wishes
                and child.wishes.index(facility) > child.wishes.index(child.current_facility)):
            report.transfer_worse.append(Violation(
                "transfer_below_current", cid, {"facility": facility}))
    for gid, group in enumerate(capacity.groups):
        holders[gid].sort()
        if len(holders[gid]) > group.seats:
            report.capacity.append(Violation("over_capacity", group.facility, {
                "ages": sorted(group.ages), "seats": group.seats,
                "placed": len(holders[gid])}))

    # Sibling rules, waste and blocking coalitions.
    for unit in units:
        current = tuple(place[cid] for cid in unit.child_ids)
        try:
            position = unit.tuples.index(current)
        except ValueError:
            position = len(unit.tuples)  # not acceptable: every acceptable tuple is better
            if len(unit.child_ids) > 1:
                report.sibling_rule.append(Violation("tuple_not_acceptable", unit.id, {
                    "rule": str(unit.rule),
                    "places": dict(zip(unit.child_ids, current, strict=True))}))
        members = [children[cid] for cid in unit.child_ids]
        own = {cid: (place[cid], rank_at(children[cid], place[cid])) for cid in unit.child_ids}
        for tuple_ in unit.tuples[:position]:
            found = _blocks(capacity, holders, members, own, tuple_)
            if found is None:
                continue
            displaced, free_only = found
            coalition = BlockingCoalition(
                family_id=unit.family_id, places=dict(zip(unit.child_ids, tuple_, strict=True)),
                displaced=displaced)
            report.blocking.append(coalition)
            if free_only:
                report.waste.append(coalition)
    return report


def _blocks(capacity, holders, members, own, tuple_):
    """None if the unit cannot take `tuple_`; else (displaced child ids, free seats only)."""
    need: dict[int, list] = {}  # gid -> [count, worst rank of the unit's children there]
    for child, facility in zip(members, tuple_, strict=True):
        if facility is None:
            continue
        gids = capacity.groups_of(facility, child.age_class)
        if not gids:
            return None
        rank = rank_at(child, facility)
        for gid in gids:
            entry = need.setdefault(gid, [0, rank])
            entry[0] += 1
            entry[1] = max(entry[1], rank)
    displaced: list[str] = []
    free_only = True
    for gid, (count, worst) in need.items():
        group = capacity.groups[gid]
        held = holders[gid]
        # The unit's own children sitting in this group leave it.
        own_here = [(rank, cid) for cid, (facility, rank) in own.items()
                    if facility == group.facility and (rank, cid) in _members_of(held, rank, cid)]
        others = len(held) - len(own_here)
        if others + count <= group.seats:
            continue
        free_only = False
        better = bisect_left(held, (worst,)) - sum(1 for rank, _ in own_here if rank < worst)
        if better + count > group.seats:
            return None
        evict = others + count - group.seats
        ranked_others = [cid for _rank, cid in held if cid not in own]
        displaced.extend(ranked_others[-evict:])
    return tuple(dict.fromkeys(displaced)), free_only


def _members_of(held, rank, cid):
    index = bisect_left(held, (rank, cid))
    return held[index:index + 1]
