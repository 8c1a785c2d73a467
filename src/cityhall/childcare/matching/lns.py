"""Large-neighbourhood search: reduce the blocking coalitions of a large instance with many
small CP-SAT models (solve.py uses it above `FULL_MODEL_UNITS` units).

One step: take a unit that still has a blocking coalition (seeded choice), free it and the
units around it — the holders of the seats its blocking tuples would use (the children it
would displace and their rivals), the units of its own seats, other blocking units wanting
the same seats, breadth first up to `size` units — and fix everyone else. The model:
- x[u, i] for every free unit u and tuple i (exactly one), capacity of every group with the
  fixed holders as constants;
- β for every free unit's tuple (β ≥ γ ∧ ¬α, as in solve.cp_sat);
- β for every *fixed* unit's tuple above its placement that uses a group some free unit may
  sit in (the boundary): a fixed unit's α is constant, its γ depends on the free units' seats
  only through such groups. Every other (unit, tuple) pair keeps its blocking status;
- objective: minimise (free children + 1) × Σβ − children placed among the free units.
So the model's objective is the global number of blocking coalitions (up to a constant), and
a new coalition outside the neighbourhood costs as much as one inside. The proposal is not
trusted: it is applied to the `State`, whose coalition count is kept exact incrementally with
the verifier's own blocking test, and kept only if the global count falls (or stays and more
children are placed); otherwise undone. A unit whose neighbourhood at the largest size gave
nothing is not tried again until something near it changes. Stops at 0 coalitions, when no
unit is left to try, or at the deadline.

Determinism: the seeds, the neighbourhoods and each model are deterministic and CP-SAT runs
with a fixed seed and a deterministic-time limit per model; with one worker a run that ends
before the wall-clock deadline is reproducible. With several workers, or when the deadline
ends the search, the result can differ between runs (never its guarantees).
"""

import random
import time
from bisect import bisect_left, insort
from collections import defaultdict

from ortools.sat.python import cp_model

from .capacity import Capacity, rank_at
from .model import Instance
from .preferences import Unit
from .verifier import _blocks

SIZES = (8, 20, 45)  # neighbourhood sizes tried in turn for one blocking unit
STEP_SECONDS = 1.0  # wall-clock cap of one model
STEP_DETERMINISTIC = 2.0  # CP-SAT deterministic-time cap of one model
SEED = 20260401


class State:
    """The assignment as unit positions, the holders of every group sorted by rank, and every
    unit's blocking tuple indices (exact, recomputed where seats changed)."""

    def __init__(self, instance: Instance, units: list[Unit], capacity: Capacity,
                 assignment: dict, blocking):
        self.capacity = capacity
        self.by_id = {unit.id: unit for unit in units}
        self.children = {child.id: child for child in instance.children}
        self.unit_of = {cid: unit.id for unit in units for cid in unit.child_ids}
        self.holders: list[list[tuple]] = [[] for _ in capacity.groups]
        self.place: dict[str, str | None] = {}
        self.position: dict[str, int] = {}
        self.at: dict[str, dict[str, list[int]]] = {}  # unit -> facility -> tuple indices
        self.interested: dict[str, list[str]] = defaultdict(list)
        for unit in units:
            current = tuple(assignment.get(cid) for cid in unit.child_ids)
            self.position[unit.id] = unit.tuples.index(current)
            for cid, facility in zip(unit.child_ids, current, strict=True):
                self._seat(cid, facility)
            at: dict[str, list[int]] = defaultdict(list)
            for index, tuple_ in enumerate(unit.tuples):
                for facility in dict.fromkeys(tuple_):
                    if facility is not None:
                        at[facility].append(index)
            self.at[unit.id] = at
            for facility in at:
                self.interested[facility].append(unit.id)
        self.blocking: dict[str, set[int]] = defaultdict(set)
        for coalition in blocking:
            unit = self.by_id[self.unit_of[next(iter(coalition.places))]]
            self.blocking[unit.id].add(unit.tuples.index(
                tuple(coalition.places[cid] for cid in unit.child_ids)))
        self.total = sum(len(found) for found in self.blocking.values())
        self.placed = sum(1 for facility in self.place.values() if facility is not None)

    def _entry(self, cid, facility):
        return rank_at(self.children[cid], facility), cid

    def _seat(self, cid, facility):
        self.place[cid] = facility
        if facility is not None:
            for gid in self.capacity.groups_of(facility, self.children[cid].age_class):
                insort(self.holders[gid], self._entry(cid, facility))

    def _unseat(self, cid):
        facility = self.place[cid]
        if facility is not None:
            entry = self._entry(cid, facility)
            for gid in self.capacity.groups_of(facility, self.children[cid].age_class):
                held = self.holders[gid]
                del held[bisect_left(held, entry)]
        self.place[cid] = None

    def blocks(self, uid: str, index: int) -> bool:
        unit = self.by_id[uid]
        members = [self.children[cid] for cid in unit.child_ids]
        own = {cid: (self.place[cid], rank_at(self.children[cid], self.place[cid]))
               for cid in unit.child_ids}
        return _blocks(self.capacity, self.holders, members, own, unit.tuples[index]) is not None

    def apply(self, changes: dict[str, int]):
        """Move units to new tuple indices; return what `undo` needs."""
        facilities: set[str] = set()
        old_positions = {uid: self.position[uid] for uid in changes}
        for uid, index in changes.items():
            unit = self.by_id[uid]
            for cid, facility in zip(unit.child_ids, unit.tuples[index], strict=True):
                old = self.place[cid]
                if old != facility:
                    facilities.update(f for f in (old, facility) if f is not None)
                    self.placed += (facility is not None) - (old is not None)
                    self._unseat(cid)
                    self._seat(cid, facility)
            self.position[uid] = index
        affected = set(changes)
        for facility in facilities:
            affected.update(self.interested[facility])
        saved = {uid: set(self.blocking.get(uid, ())) for uid in affected}
        for uid in sorted(affected):
            position = self.position[uid]
            if uid in changes:
                indices = range(position)
            else:
                at = self.at[uid]
                indices = sorted({i for f in facilities for i in at.get(f, ()) if i < position})
                if not indices:
                    continue
            found = self.blocking[uid]
            self.total -= len(found)
            if uid in changes:
                found.clear()
            for index in indices:
                if self.blocks(uid, index):
                    found.add(index)
                else:
                    found.discard(index)
            self.total += len(found)
        return old_positions, saved

    def undo(self, record) -> None:
        old_positions, saved = record
        for uid, index in old_positions.items():
            unit = self.by_id[uid]
            for cid, facility in zip(unit.child_ids, unit.tuples[index], strict=True):
                if self.place[cid] != facility:
                    self.placed += (facility is not None) - (self.place[cid] is not None)
                    self._unseat(cid)
                    self._seat(cid, facility)
            self.position[uid] = index
        for uid, found in saved.items():
            self.total += len(found) - len(self.blocking[uid])
            self.blocking[uid] = found

    def assignment(self) -> dict[str, str | None]:
        return dict(self.place)

    def groups_of_tuple(self, uid: str, index: int):
        unit = self.by_id[uid]
        for cid, facility in zip(unit.child_ids, unit.tuples[index], strict=True):
            if facility is not None:
                yield from self.capacity.groups_of(facility, self.children[cid].age_class)


def neighbourhood(state: State, seed_uid: str, size: int) -> list[str]:
    """Units around a blocking unit, breadth first, at most `size`."""
    chosen = dict.fromkeys([seed_uid])
    frontier = [seed_uid]
    while frontier and len(chosen) < size:
        following = []
        for uid in frontier:
            found = sorted(state.blocking.get(uid, ()))[:3]
            indices = found or list(range(min(2, state.position[uid])))
            gids = {gid for index in [*indices, state.position[uid]]
                    for gid in state.groups_of_tuple(uid, index)}
            near: list[str] = []
            for gid in sorted(gids):
                near.extend(state.unit_of[cid] for _rank, cid in state.holders[gid])
                group = state.capacity.groups[gid]
                near.extend(other for other in state.interested[group.facility]
                            if state.blocking.get(other))
            for other in near:
                if other not in chosen and len(chosen) < size:
                    chosen[other] = None
                    following.append(other)
        frontier = following
    return list(chosen)


def improve(state: State, free_ids: list[str], *, seconds: float, workers: int):
    """Solve the neighbourhood model; return {unit: new tuple index} (empty if unchanged)."""
    capacity, children = state.capacity, state.children
    free_units = [state.by_id[uid] for uid in free_ids]
    free_children = {cid for unit in free_units for cid in unit.child_ids}
    model = cp_model.CpModel()
    x: dict[tuple[str, int], cp_model.IntVar] = {}
    # gid -> child -> [rank there, the x variables of the tuples seating the child there]
    seated: dict[int, dict[str, list]] = defaultdict(dict)
    placed = []
    for unit in free_units:
        for index, tuple_ in enumerate(unit.tuples):
            var = model.NewBoolVar("")
            x[(unit.id, index)] = var
            model.AddHint(var, index == state.position[unit.id])
            for cid, facility in zip(unit.child_ids, tuple_, strict=True):
                if facility is None:
                    continue
                placed.append(var)
                for gid in capacity.groups_of(facility, children[cid].age_class):
                    entry = seated[gid].setdefault(cid, [rank_at(children[cid], facility), []])
                    entry[1].append(var)
        model.AddExactlyOne(x[(unit.id, i)] for i in range(len(unit.tuples)))
    # One 0/1 expression per (group, free child): the child sits in the group. Sorted by rank.
    terms: dict[int, list[tuple]] = {}
    for gid, by_child in seated.items():
        terms[gid] = sorted((rank, cid, sum(vars_)) for cid, (rank, vars_) in by_child.items())
    fixed: dict[int, list[tuple]] = {}  # touched gid -> sorted ranks of the fixed holders

    def fixed_ranks(gid):
        if gid not in fixed:
            fixed[gid] = [entry for entry in state.holders[gid] if entry[1] not in free_children]
        return fixed[gid]

    for gid, group_terms in terms.items():
        model.Add(sum(expr for _r, _c, expr in group_terms)
                  <= capacity.groups[gid].seats - len(fixed_ranks(gid)))
    betas = []

    def beta(unit: Unit, tuple_, prefix):
        """Add β for (unit, tuple) unless it can never block; prefix = α's x variables."""
        need: dict[int, list] = {}
        for cid, facility in zip(unit.child_ids, tuple_, strict=True):
            if facility is None:
                continue
            child = children[cid]
            gids = capacity.groups_of(facility, child.age_class)
            if not gids:
                return
            rank = rank_at(child, facility)
            for gid in gids:
                entry = need.setdefault(gid, [0, rank])
                entry[0] += 1
                entry[1] = max(entry[1], rank)
        conditions = []
        for gid, (count, worst) in need.items():
            seats = capacity.groups[gid].seats
            ranks = fixed_ranks(gid) if gid in terms else state.holders[gid]
            better = bisect_left(ranks, (worst,))
            for cid in unit.child_ids:  # the unit's own (fixed) children do not count
                own = state.place[cid]
                if (own is not None and cid not in free_children
                        and gid in capacity.groups_of(own, children[cid].age_class)
                        and rank_at(children[cid], own) < worst):
                    better -= 1
            room = seats - count - better
            if room < 0:
                return
            group_terms = terms.get(gid, ())
            cut = bisect_left(group_terms, (worst,))
            variable = [expr for _r, cid, expr in group_terms[:cut]
                        if cid not in unit.child_ids]
            if len(variable) <= room:
                continue
            b = model.NewBoolVar("")
            model.Add(sum(variable) >= room + 1).OnlyEnforceIf(b.Not())
            conditions.append(b)
        if not conditions and not prefix:
            return  # a fixed unit's pair that blocks whatever the free units do: a constant
        var = model.NewBoolVar("")
        model.Add(var >= 1 - sum(prefix) - sum(1 - b for b in conditions))
        betas.append(var)

    for unit in free_units:
        prefix = []
        for index, tuple_ in enumerate(unit.tuples[:-1]):
            prefix.append(x[(unit.id, index)])
            beta(unit, tuple_, list(prefix))
    touched_facilities = {capacity.groups[gid].facility for gid in terms}
    free_set = set(free_ids)
    boundary = sorted({uid for f in touched_facilities for uid in state.interested[f]}
                      - free_set)
    possible_cache: dict[tuple[str, str], bool] = {}

    def possible(cid: str, facility: str) -> bool:
        """Could the (fixed) child take a seat at the touched facility in some outcome? Not
        if the fixed holders ranked above them already fill one of its touched groups."""
        key = (cid, facility)
        if key not in possible_cache:
            child = children[cid]
            rank = rank_at(child, facility)
            own = state.unit_of[cid]
            possible_cache[key] = all(
                sum(1 for entry in fixed_ranks(gid)[:bisect_left(fixed_ranks(gid), (rank,))]
                    if state.unit_of[entry[1]] != own) < capacity.groups[gid].seats
                for gid in capacity.groups_of(facility, child.age_class) if gid in terms)
        return possible_cache[key]

    for uid in boundary:
        unit = state.by_id[uid]
        at, position = state.at[uid], state.position[uid]
        indices = sorted({i for f in touched_facilities for i in at.get(f, ()) if i < position})
        for index in indices:
            tuple_ = unit.tuples[index]
            if all(possible(cid, f) for cid, f in zip(unit.child_ids, tuple_, strict=True)
                   if f in touched_facilities):
                beta(unit, tuple_, [])
    model.Minimize((len(free_children) + 1) * sum(betas) - sum(placed))
    solver = cp_model.CpSolver()
    solver.parameters.num_search_workers = max(1, workers)
    solver.parameters.random_seed = SEED
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.max_deterministic_time = STEP_DETERMINISTIC
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}
    changes = {}
    for unit in free_units:
        for index in range(len(unit.tuples)):
            if solver.Value(x[(unit.id, index)]):
                if index != state.position[unit.id]:
                    changes[unit.id] = index
                break
    return changes


def search(state: State, *, deadline: float, workers: int, seed: int = SEED,
           step_seconds: float = STEP_SECONDS) -> int:
    """Improve `state` in place until 0 coalitions, nothing left to try, or the deadline.
    Returns the number of accepted steps. `step_seconds` caps one model's wall-clock time;
    with `math.inf` only the deterministic-time cap binds, so that the result no longer
    depends on how busy the machine is (tests)."""
    rng = random.Random(seed)  # noqa: S311 (search order, not security)
    level: dict[str, int] = {}  # unit -> next index into SIZES
    accepted = 0
    while state.total > 0:
        now = time.perf_counter()
        if now >= deadline:
            break
        candidates = sorted(uid for uid, found in state.blocking.items()
                            if found and level.get(uid, 0) < len(SIZES))
        if not candidates:
            break
        uid = rng.choice(candidates)
        size = SIZES[level.get(uid, 0)]
        free = neighbourhood(state, uid, size)
        changes = improve(state, free, seconds=min(step_seconds, deadline - now),
                          workers=workers)
        before = (state.total, -state.placed)
        if changes:
            record = state.apply(changes)
            if (state.total, -state.placed) < before:
                accepted += 1
                for other in set(free) | set(record[1]):
                    level.pop(other, None)
                continue
            state.undo(record)
        level[uid] = level.get(uid, 0) + 1
    return accepted
