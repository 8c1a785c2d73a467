"""`solve`: the engine's entry point, and the OR-Tools CP-SAT model for sibling families.

Strategy (docs/childcare.md):
1. No sibling family (every family INDEPENDENT or with one child): deferred acceptance —
   the serial dictatorship by priority when nobody transfers and nobody has a facility
   bonus — stable by construction (facility-specific priorities included).
2. Sibling families: the priority-queue heuristic (heuristics.py), then the verifier. Zero
   blocking coalitions: done, certified stable ("heuristic").
3. Otherwise, up to `full_model_units` (400) units: CP-SAT on the whole instance: stage 1
   minimises the number of blocking (unit, tuple) pairs, stage 2 maximises the children
   placed without more of them; warm-started with the heuristic's result (AddHint). Above:
   the large-neighbourhood search of lns.py (many small CP-SAT models, an exact incremental
   coalition count, only improvements kept). Either result is verified again and kept only
   if it is better (fewer blocking coalitions, then more children placed): never worse than
   the heuristic.
Blocking coalitions in the Result always come from the verifier.

Result.status: "ok" — the verifier certifies 0 blocking coalitions (stable, non-wasteful);
"optimal" — CP-SAT proved both stages optimal on the whole instance; "feasible" — blocking
coalitions remain and optimality is not proven (time limit, or the neighbourhood search);
"infeasible" — the result breaks a hard rule (never expected; the verifier says which).
"""

import time

from ortools.sat.python import cp_model

from .capacity import Capacity, rank_at
from .heuristics import deferred_acceptance, priority_queue_heuristic
from .heuristics import serial_dictatorship as _serial_dictatorship
from .lns import State, search
from .model import Instance, Result
from .preferences import Unit, build_units
from .verifier import verify

FULL_MODEL_UNITS = 400  # up to this many units one CP model covers the whole instance
SEED = 20260401


def serial_dictatorship(instance: Instance) -> Result:
    """The same-run baseline: units in priority order, best tuple that fits (heuristics.py)."""
    start = time.perf_counter()
    capacity = Capacity(instance)
    units = build_units(instance, capacity)
    assignment = _serial_dictatorship(instance, units, capacity)
    report = verify(instance, assignment, units, capacity)
    return Result(assignment=assignment, solver="serial-dictatorship",
                  status="ok" if report.feasible else "infeasible",
                  blocking_coalitions=report.blocking, seconds=time.perf_counter() - start)


def solve(instance: Instance, *, time_limit: float = 10.0, workers: int = 2,
          full_model_units: int = FULL_MODEL_UNITS) -> Result:
    start = time.perf_counter()
    capacity = Capacity(instance)
    units = build_units(instance, capacity)
    if all(len(unit.child_ids) == 1 for unit in units):
        assignment = deferred_acceptance(instance, units, capacity)
        report = verify(instance, assignment, units, capacity)
        return _result(assignment, "deferred-acceptance", report, start)
    assignment, _steps, _finished = priority_queue_heuristic(instance, units, capacity)
    verify_started = time.perf_counter()
    report = verify(instance, assignment, units, capacity)
    verify_seconds = time.perf_counter() - verify_started
    if not report.feasible or not report.blocking:
        return _result(assignment, "priority-queue", report, start)
    remaining = time_limit - (time.perf_counter() - start)
    if remaining <= 0.05:
        return _result(assignment, "priority-queue", report, start, "feasible")
    if len(units) > full_model_units:
        # Keep time for the final verification (about as long as the first one).
        state = State(instance, units, capacity, assignment, report.blocking)
        search(state, deadline=start + time_limit - 1.2 * verify_seconds, workers=workers)
        if (state.total, -state.placed) < (len(report.blocking), -report.placed):
            improved = state.assignment()
            second = verify(instance, improved, units, capacity)
            if second.feasible and _better(second, report):
                return _result(improved, "priority-queue+lns", second, start, "feasible")
        return _result(assignment, "priority-queue+lns", report, start, "feasible")
    improved, status = cp_sat(instance, units, capacity, assignment, report,
                              time_limit=remaining, workers=workers)
    if improved is not None:
        second = verify(instance, improved, units, capacity)
        if second.feasible and _better(second, report):
            return _result(improved, "cp-sat", second, start, status)
    return _result(assignment, "priority-queue+cp-sat", report, start,
                   status if status in ("optimal", "feasible") else "feasible")


def _better(new, old) -> bool:
    return (len(new.blocking), -new.placed) < (len(old.blocking), -old.placed)


def _result(assignment, solver, report, start, status=None) -> Result:
    if status is None:
        status = "ok" if report.feasible and not report.blocking else "feasible"
    if not report.feasible:
        status = "infeasible"
    return Result(assignment=assignment, solver=solver, status=status,
                  blocking_coalitions=report.blocking, seconds=time.perf_counter() - start)


def cp_sat(instance: Instance, units: list[Unit], capacity: Capacity, assignment, report, *,
           time_limit: float, workers: int):
    """The lexicographic CP-SAT model of §1.4 (x[f,p], capacity, α, γ, β) over the units of
    the whole instance (the fixed-seat machinery is kept for callers that pass a partial
    unit list). Returns (assignment or None, "optimal" | "feasible" | "unknown")."""
    started = time.perf_counter()
    children = {child.id: child for child in instance.children}
    free_units = list(units)
    free_children = {cid for unit in free_units for cid in unit.child_ids}
    model = cp_model.CpModel()
    x: dict[tuple[str, int], cp_model.IntVar] = {}
    # Per group: fixed holders' ranks, and (rank, var) of free children who may sit there.
    fixed_ranks: list[list[tuple]] = [[] for _ in capacity.groups]
    terms: list[list[tuple]] = [[] for _ in capacity.groups]
    for cid, facility in assignment.items():
        if facility is not None and cid not in free_children:
            child = children[cid]
            for gid in capacity.groups_of(facility, child.age_class):
                fixed_ranks[gid].append(rank_at(child, facility))
    placed_terms = []
    for unit in free_units:
        current = tuple(assignment.get(cid) for cid in unit.child_ids)
        for index, tuple_ in enumerate(unit.tuples):
            var = model.NewBoolVar(f"x[{unit.id},{index}]")
            x[(unit.id, index)] = var
            model.AddHint(var, tuple_ == current)
            for cid, facility in zip(unit.child_ids, tuple_, strict=True):
                if facility is None:
                    continue
                child = children[cid]
                placed_terms.append(var)
                for gid in capacity.groups_of(facility, child.age_class):
                    terms[gid].append((rank_at(child, facility), var, unit.id))
        model.AddExactlyOne(x[(unit.id, i)] for i in range(len(unit.tuples)))
    for gid, group in enumerate(capacity.groups):
        if terms[gid]:
            model.Add(sum(var for _r, var, _u in terms[gid])
                      <= group.seats - len(fixed_ranks[gid]))
    betas = []
    for unit in free_units:
        prefix = []
        for index, tuple_ in enumerate(unit.tuples[:-1]):
            prefix.append(x[(unit.id, index)])
            need: dict[int, list] = {}
            impossible = False
            for cid, facility in zip(unit.child_ids, tuple_, strict=True):
                if facility is None:
                    continue
                child = children[cid]
                gids = capacity.groups_of(facility, child.age_class)
                impossible = impossible or not gids
                rank = rank_at(child, facility)
                for gid in gids:
                    entry = need.setdefault(gid, [0, rank])
                    entry[0] += 1
                    entry[1] = max(entry[1], rank)
            if impossible:
                continue
            conditions = []
            for gid, (count, worst) in need.items():
                room = capacity.groups[gid].seats - count - sum(
                    1 for r in fixed_ranks[gid] if r < worst)
                if room < 0:
                    conditions = None
                    break
                better = [var for r, var, uid in terms[gid] if r < worst and uid != unit.id]
                if len(better) <= room:
                    continue  # always satisfied
                b = model.NewBoolVar("")
                # b is forced true whenever the group has room (the solver cannot hide a block).
                model.Add(sum(better) >= room + 1).OnlyEnforceIf(b.Not())
                conditions.append(b)
            if conditions is None:
                continue
            beta = model.NewBoolVar(f"beta[{unit.id},{index}]")
            # beta ≥ γ ∧ ¬α, with γ = AND(conditions) and α = Σ x[0..index].
            model.Add(beta >= 1 - sum(prefix) - sum(1 - b for b in conditions))
            betas.append(beta)
    solver = cp_model.CpSolver()
    solver.parameters.num_search_workers = max(1, workers)
    solver.parameters.random_seed = SEED
    if betas:
        model.Minimize(sum(betas))
        solver.parameters.max_time_in_seconds = max(0.05, time_limit * 0.6)
        status = solver.Solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, "unknown"
        best = round(solver.ObjectiveValue())
        first_optimal = status == cp_model.OPTIMAL
        _rehint(model, x, solver)
        model.Add(sum(betas) <= best)
    else:
        first_optimal = True
    model.Maximize(sum(placed_terms))
    left = time_limit - (time.perf_counter() - started)
    solver.parameters.max_time_in_seconds = max(0.05, left)
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, "unknown"
    result = dict(assignment)
    for unit in free_units:
        for index, tuple_ in enumerate(unit.tuples):
            if solver.Value(x[(unit.id, index)]):
                result.update(zip(unit.child_ids, tuple_, strict=True))
    optimal = first_optimal and status == cp_model.OPTIMAL and len(free_units) == len(units)
    return result, "optimal" if optimal else "feasible"


def _rehint(model, x, solver):
    model.ClearHints()
    for var in x.values():
        model.AddHint(var, solver.Value(var))
