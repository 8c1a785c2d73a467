"""Nursery admission matching (取組7) at Minato scale and at 3× Minato scale: wall time,
children placed, blocking coalitions found by the verifier and the solver's status, beside
the serial-dictatorship baseline (units in priority order, best tuple that fits) measured in
the same run on the same instance.

    uv run python bench/childcare_matching_bench.py
    CHILDCARE_BENCH_SEEDS=1,2,3,4,5 CHILDCARE_BENCH_WORKERS=2 uv run python bench/...

Instances come from the seeded generator (cityhall.childcare.matching.generator): Minato
scale is 3,000 children × 80 facilities × 20 wishes with 12% sibling families and 5%
transfer applicants; 3× is 9,000 × 240 × 20. Targets (reference notes §1.7): ≤ 10 s at
Minato scale on 2 cores, ≤ 30 s at 3×. The engine uses no database, so it runs once (in the
SQLite pass of `make bench`).

Hard instances (`generator.hard`): 30% sibling families, 40% of them with three children,
mostly same-facility-only / all-or-none, the popular facilities' 0–2歳児 seats halved, and
planted no-stable gadgets (20 at Minato scale, 60 at 3×: the fewest coalitions possible is at
least that many). Beside the engine and the baseline, the sibling heuristic alone (`heur`).
CHILDCARE_BENCH_HARD=0 skips them, CHILDCARE_BENCH_PLAIN=0 skips the plain instances.

Sibling variants and bonuses: the plain instances use the generator's defaults, where a quarter
of the sibling families accept staggered months (別月入所可); CHILDCARE_BENCH_STAGGERED=0 gives
the instances from before those rules existed (same children, same-month rules only), and
CHILDCARE_BENCH_BONUS=0.1 gives a tenth of the families a facility-specific bonus (兄弟在園 at
one nursery, 連携施設 for some 3歳児).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cityhall.childcare.matching.capacity import Capacity
from cityhall.childcare.matching.generator import generate, hard
from cityhall.childcare.matching.heuristics import priority_queue_heuristic
from cityhall.childcare.matching.preferences import build_units
from cityhall.childcare.matching.solve import serial_dictatorship, solve
from cityhall.childcare.matching.verifier import verify

SEEDS = [int(s) for s in os.environ.get("CHILDCARE_BENCH_SEEDS", "1,2,3").split(",")]
WORKERS = int(os.environ.get("CHILDCARE_BENCH_WORKERS", "2"))
SCALES = (("Minato", 3000, 80, 10.0), ("3x Minato", 9000, 240, 30.0))
GADGETS = {3000: 20, 9000: 60}
HARD = os.environ.get("CHILDCARE_BENCH_HARD", "1") != "0"
PLAIN = os.environ.get("CHILDCARE_BENCH_PLAIN", "1") != "0"
VARIANTS = {name: float(os.environ[variable]) for name, variable in (
    ("staggered_share", "CHILDCARE_BENCH_STAGGERED"), ("bonus_share", "CHILDCARE_BENCH_BONUS"))
    if os.environ.get(variable)}


def heuristic_alone(instance):
    started = time.perf_counter()
    capacity = Capacity(instance)
    units = build_units(instance, capacity)
    assignment, _steps, _finished = priority_queue_heuristic(instance, units, capacity)
    seconds = time.perf_counter() - started
    report = verify(instance, assignment, units, capacity)
    return seconds, report.placed, len(report.blocking)


def hard_rows():
    print()
    print("hard instances (generator.hard): engine | baseline | heuristic alone")
    print(f"{'scale':10} {'seed':>4} {'children':>8} | {'solver':18} {'status':8} {'s':>6} "
          f"{'placed':>6} {'block':>5} | {'base s':>6} {'placed':>6} {'block':>5} | "
          f"{'heur s':>6} {'placed':>6} {'block':>5}")
    for label, children, facilities, limit in SCALES:
        for seed in SEEDS:
            instance = hard(seed, children=children, facilities=facilities,
                            gadgets=GADGETS[children])
            started = time.perf_counter()
            result = solve(instance, time_limit=limit, workers=WORKERS)
            wall = time.perf_counter() - started
            report = verify(instance, result.assignment)
            assert report.feasible and len(report.blocking) == len(result.blocking_coalitions)
            baseline = serial_dictatorship(instance)
            heur_s, heur_placed, heur_block = heuristic_alone(instance)
            print(f"{label:10} {seed:>4} {len(instance.children):>8} | {result.solver:18} "
                  f"{result.status:8} {wall:6.2f} {result.placed:>6} {len(report.blocking):>5} | "
                  f"{baseline.seconds:6.2f} {baseline.placed:>6} "
                  f"{len(baseline.blocking_coalitions):>5} | {heur_s:6.2f} {heur_placed:>6} "
                  f"{heur_block:>5}", flush=True)


def main():
    if os.environ.get("BENCH_DATABASE_URL"):
        print("the matching engine uses no database: measured in the SQLite pass")
        return
    print(f"workers={WORKERS}; seeds {SEEDS}; 20 wishes, 12% sibling families, 5% transfers; "
          f"generator knobs {VARIANTS or 'default'}")
    header = (f"{'scale':10} {'seed':>4} {'children':>8} | {'solver':22} {'status':8} "
              f"{'s':>6} {'placed':>6} {'block':>5} | {'baseline s':>10} {'placed':>6} "
              f"{'block':>5} | {'verify s':>8}")
    if PLAIN:
        print(header)
    for label, children, facilities, limit in SCALES if PLAIN else ():
        for seed in SEEDS:
            started = time.perf_counter()
            instance = generate(seed, children=children, facilities=facilities, wishes=20,
                                sibling_share=0.12, **VARIANTS)
            generated = time.perf_counter() - started
            started = time.perf_counter()
            result = solve(instance, time_limit=limit, workers=WORKERS)
            wall = time.perf_counter() - started
            baseline = serial_dictatorship(instance)
            started = time.perf_counter()
            report = verify(instance, result.assignment)
            verify_s = time.perf_counter() - started
            assert report.feasible and len(report.blocking) == len(result.blocking_coalitions)
            print(f"{label:10} {seed:>4} {children:>8} | {result.solver:22} {result.status:8} "
                  f"{wall:6.2f} {result.placed:>6} {len(report.blocking):>5} | "
                  f"{baseline.seconds:10.2f} {baseline.placed:>6} "
                  f"{len(baseline.blocking_coalitions):>5} | {verify_s:8.2f}"
                  f"   (generated in {generated:.2f} s)", flush=True)
    if HARD:
        hard_rows()


if __name__ == "__main__":
    main()
