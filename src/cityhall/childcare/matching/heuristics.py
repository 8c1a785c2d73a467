"""The fast algorithms: deferred acceptance (no sibling families), the serial-dictatorship
baseline, and the sibling-aware priority-queue heuristic. All deterministic: ties are broken
by the children's priority tuples (which end with the child id) and then by unit ids.
"""

import heapq
from bisect import bisect_left, insort
from collections import defaultdict

from .capacity import Capacity, rank_at
from .model import Instance
from .preferences import Unit


def deferred_acceptance(instance: Instance, units: list[Unit], capacity: Capacity):
    """Child-proposing deferred acceptance for units that are all single children.

    Every child proposes down their options; a facility tentatively holds the best-ranked
    proposers its groups can seat (transfer children first at their own facility, then the
    priority at the facility, a facility-specific bonus counted). With no transfer children
    and no bonus this is exactly the serial dictatorship by priority; it is stable,
    non-wasteful and strategy-proof for the children in every case (facility-specific
    priorities are what deferred acceptance is made for)."""
    children = {child.id: child for child in instance.children}
    options = {unit.child_ids[0]: [t[0] for t in unit.tuples] for unit in units}
    pointer = dict.fromkeys(options, 0)
    held: list[set[str]] = [set() for _ in capacity.groups]
    where: dict[str, str | None] = {}
    free = sorted(options, key=lambda cid: children[cid].priority, reverse=True)
    while free:
        cid = free.pop()
        child = children[cid]
        facility = options[cid][pointer[cid]]
        if facility is None:
            where[cid] = None
            continue
        gids = capacity.groups_of(facility, child.age_class)
        for gid in gids:
            held[gid].add(cid)
        where[cid] = facility
        rejected = set()
        for gid in gids:
            while len(held[gid]) > capacity.groups[gid].seats:
                worst = max(held[gid], key=lambda h: rank_at(children[h], facility))
                for other in capacity.groups_of(facility, children[worst].age_class):
                    held[other].discard(worst)
                rejected.add(worst)
        for worst in rejected:
            pointer[worst] += 1
            where.pop(worst, None)
            free.append(worst)
    return {cid: where.get(cid) for cid in options}


class Seating:
    """Who holds which seat, per constraint group, while a heuristic runs. Every group keeps
    its holders sorted by rank at the facility, so the blocking test is a binary search."""

    def __init__(self, instance: Instance, capacity: Capacity):
        self.capacity = capacity
        self.children = {child.id: child for child in instance.children}
        self.holders: list[set[str]] = [set() for _ in capacity.groups]
        self.ranked: list[list[tuple]] = [[] for _ in capacity.groups]
        self.place: dict[str, str | None] = {}
        self._needs: dict[tuple, dict | None] = {}
        # Bumped on every change of a group's holders: a tuple that could not be taken
        # cannot be taken while the versions of its groups stay the same (`stamp`).
        self.version: list[int] = [0] * len(capacity.groups)

    def seat(self, cid: str, facility: str | None) -> None:
        self.place[cid] = facility
        if facility is not None:
            entry = (rank_at(self.children[cid], facility), cid)
            for gid in self.capacity.groups_of(facility, self.children[cid].age_class):
                self.holders[gid].add(cid)
                insort(self.ranked[gid], entry)
                self.version[gid] += 1

    def unseat(self, cid: str) -> str | None:
        facility = self.place.get(cid)
        if facility is not None:
            entry = (rank_at(self.children[cid], facility), cid)
            for gid in self.capacity.groups_of(facility, self.children[cid].age_class):
                self.holders[gid].discard(cid)
                held = self.ranked[gid]
                del held[bisect_left(held, entry)]
                self.version[gid] += 1
        self.place[cid] = None
        return facility

    def needs(self, unit: Unit, tuple_) -> dict | None:
        """gid -> (children of the unit the tuple puts in the group, the worst rank among
        them); None if the tuple puts a child where their class is not offered."""
        key = (unit.id, tuple_)
        if key not in self._needs:
            need: dict[int, list] = {}
            for cid, facility in zip(unit.child_ids, tuple_, strict=True):
                if facility is None:
                    continue
                child = self.children[cid]
                gids = self.capacity.groups_of(facility, child.age_class)
                if not gids:
                    need = None
                    break
                rank = rank_at(child, facility)
                for gid in gids:
                    entry = need.setdefault(gid, [0, rank])
                    entry[0] += 1
                    entry[1] = max(entry[1], rank)
            self._needs[key] = need
        return self._needs[key]

    def stamp(self, unit: Unit, tuple_) -> int | None:
        need = self.needs(unit, tuple_)
        return None if need is None else sum(self.version[gid] for gid in need)

    def check(self, unit: Unit, tuple_, displace: bool):
        """None if the unit cannot take the tuple now; else the children it would displace
        (same rule as the verifier's blocking test, on the live state)."""
        need = self.needs(unit, tuple_)
        if need is None:
            return None
        own = unit.child_ids
        displaced: list[str] = []
        for gid, (count, worst) in need.items():
            seats = self.capacity.groups[gid].seats
            held = self.ranked[gid]
            holders = self.holders[gid]
            own_here = [cid for cid in own if cid in holders]
            excess = len(held) - len(own_here) + count - seats
            if excess <= 0:
                continue
            if not displace:
                return None
            position = bisect_left(held, (worst,))
            better = position - sum(1 for r, cid in held[:position] if cid in own_here)
            if better + count > seats:
                return None
            others = [cid for _r, cid in held if cid not in own_here]
            displaced.extend(others[-excess:])
        return list(dict.fromkeys(displaced))


def serial_dictatorship(instance: Instance, units: list[Unit], capacity: Capacity):
    """The baseline, as staff do it by hand: units in priority order (a sibling family when
    its best-priority child's turn comes), each takes its best acceptable tuple that fits in
    the seats still free. Transfer children hold their current seat until their turn; a seat
    they free goes to the units that come after them.

    Facility-specific bonuses: a unit's turn comes at its best priority at any facility it
    wishes (`preferences.best_priority`: "sort by the score with the bonus"), and it then
    takes the best tuple that fits. That is how a list sorted by hand treats the bonus, and
    it is not stable even without siblings (a child whose turn the bonus brought forward may
    take another facility first, before a child who outranks them there): the verifier
    counts what it misses, and the engine uses deferred acceptance instead."""
    seating = Seating(instance, capacity)
    for unit in units:
        for cid, facility in zip(unit.child_ids, unit.fallback, strict=True):
            seating.seat(cid, facility)
    for unit in sorted(units, key=lambda u: (u.priority, u.id)):
        for tuple_ in unit.tuples:
            if seating.check(unit, tuple_, displace=False) is not None:
                break
        for cid in unit.child_ids:
            seating.unseat(cid)
        for cid, facility in zip(unit.child_ids, tuple_, strict=True):
            seating.seat(cid, facility)
    return dict(seating.place)


MAX_MOVES = 12  # moves per unit before it may only take free seats (breaks cycles)


def priority_queue_heuristic(instance: Instance, units: list[Unit], capacity: Capacity,
                             max_steps: int | None = None, max_moves: int = MAX_MOVES):
    """Sibling-aware heuristic: resolve blocking coalitions in priority order until none is
    left (or a step limit is reached, which can happen because with siblings a stable result
    need not exist).

    Start: every unit at its fallback (transfer children in their own seat). A queue holds
    units ordered by priority; the best unit is taken out and moved to the best tuple it can
    take using free seats plus seats of lower-ranked children of other units (the verifier's
    blocking test); the units of the displaced children fall back to their fallback tuple and
    go back in the queue; units that want a facility where a seat was freed, and like it
    better than what they have, go back in the queue too. An empty queue means no unit has a
    blocking tuple: the result is stable. Returns (assignment, steps, finished).

    Cycles: with siblings the moves can cycle for ever (a no-stable-matching gadget does).
    A unit that has moved `max_moves` times may from then on only take free seats (it
    displaces nobody), so every cycle dies out locally and the rest of the instance is still
    resolved; the coalitions such a unit leaves are the verifier's to count and the
    neighbourhood search's (solve.py) to reduce. `finished` is then still True when the queue
    empties, but the result is not certified stable: only the verifier says that."""
    seating = Seating(instance, capacity)
    by_id = {unit.id: unit for unit in units}
    unit_of = {cid: unit.id for unit in units for cid in unit.child_ids}
    position = {}
    interested: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for unit in units:
        firsts: dict[str, int] = {}
        for index, tuple_ in enumerate(unit.tuples):
            for facility in tuple_:
                if facility is not None and facility not in firsts:
                    firsts[facility] = index
        for facility, index in firsts.items():
            interested[facility].append((unit.id, index))
        for cid, facility in zip(unit.child_ids, unit.fallback, strict=True):
            seating.seat(cid, facility)
        position[unit.id] = len(unit.tuples) - 1
    queue = [(unit.priority, unit.id) for unit in units if len(unit.tuples) > 1]
    heapq.heapify(queue)
    queued = {uid for _p, uid in queue}
    moves: dict[str, int] = defaultdict(int)
    failed: dict[tuple[str, int], int] = {}
    reach: dict[str, list[int]] = {}  # unit -> every group any of its tuples uses
    scanned: dict[str, tuple[int, int]] = {}
    steps = 0
    max_steps = max_steps if max_steps is not None else 30 * len(units) + 1000

    def push(uid):
        if uid not in queued:
            queued.add(uid)
            heapq.heappush(queue, (by_id[uid].priority, uid))

    def freed(facility):
        for uid, index in interested[facility]:
            if index < position[uid]:
                push(uid)

    def move(unit, index, displace):
        for cid in unit.child_ids:
            old = seating.unseat(cid)
            if old is not None:
                freed(old)
        for cid in displace:
            seating.unseat(cid)
        for cid, facility in zip(unit.child_ids, unit.tuples[index], strict=True):
            seating.seat(cid, facility)
        position[unit.id] = index
        for other in dict.fromkeys(unit_of[cid] for cid in displace):
            fall_back(by_id[other])

    def fall_back(unit):
        fallback = len(unit.tuples) - 1
        if position[unit.id] == fallback:
            return
        # Transfer children go back to their own seat, which they outrank everyone for.
        for cid in unit.child_ids:
            old = seating.unseat(cid)
            if old is not None:
                freed(old)
        bumped = seating.check(unit, unit.fallback, displace=True) or []
        for cid in bumped:
            fall_back(by_id[unit_of[cid]])
        for cid, facility in zip(unit.child_ids, unit.fallback, strict=True):
            seating.seat(cid, facility)
        position[unit.id] = fallback
        push(unit.id)

    while queue and steps < max_steps:
        _priority, uid = heapq.heappop(queue)
        queued.discard(uid)
        unit = by_id[uid]
        may_displace = moves[uid] < max_moves
        if uid not in reach:
            reach[uid] = sorted({gid for t in unit.tuples
                                 for gid in (seating.needs(unit, t) or ())})
        whole = (sum(seating.version[gid] for gid in reach[uid]), position[uid])
        if scanned.get(uid) == whole:
            continue  # nothing the unit could want has changed since its last failed scan
        scanned[uid] = whole
        for index in range(position[uid]):
            # A failure stays a failure while its groups are unchanged (and a unit may only
            # lose the right to displace, never regain it).
            stamp = seating.stamp(unit, unit.tuples[index])
            if stamp is None or failed.get((uid, index)) == stamp:
                continue
            displaced = seating.check(unit, unit.tuples[index], displace=may_displace)
            if displaced is None:
                failed[(uid, index)] = stamp
            else:
                steps += 1
                moves[uid] += 1
                move(unit, index, displaced)
                break
    return dict(seating.place), steps, not queue
