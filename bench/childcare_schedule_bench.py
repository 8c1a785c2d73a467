"""Benchmark of the immunisation schedule engine (取組23) on 10,000 generated children.

    uv run python bench/childcare_schedule_bench.py          # BENCH_CHILDREN=10000 by default

Children are generated with a fixed seed: birth dates spread over the last 17 years (so every
series from B型肝炎 to the HPV catch-up is met), realistic partial histories (each series given
near its usual age with a few weeks' jitter; a child drops out of a series 6% of the time per
dose; 水痘 1 usually shares MR 1期's visit; 2% of doses are recorded a few days early, so
invalid doses occur too).

It reports the median and 95th percentile time per child and the total for `schedule()`,
beside two baselines measured in the same run on the same children:
  - json: json.loads of the child's record serialised as JSON (what any API would pay anyway);
  - ages: computing 12 legal age dates a plan needs (reach_months, uncached) and nothing else.
The ratio to the baselines is what to watch; the machines are shared and absolute numbers drift.
No database is used.
"""

import json
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cityhall.childcare.immunisation import ChildRecord, schedule
from cityhall.childcare.immunisation import dates as d

N = int(os.environ.get("BENCH_CHILDREN", "10000"))
TODAY = date(2026, 1, 15)

# (vaccine, product, months of age for each dose): the usual Japanese timetable.
TIMETABLE = [
    ("hepb", None, (2, 3, 7)), ("rota", "rota1", (2, 3)), ("dpt_ipv_hib", None, (2, 3, 4, 12)),
    ("pcv", "pcv20", (2, 3, 4, 12)), ("bcg", None, (5,)), ("mr", None, (12, 72)),
    ("varicella", None, (12, 18)), ("je", None, (36, 37, 48, 108)), ("dt", None, (132,)),
]


def generate(n, seed=20260115):
    rng = random.Random(seed)
    children = []
    for _ in range(n):
        dob = TODAY - timedelta(days=rng.randrange(0, 17 * 365))
        sex = rng.choice("FM")
        doses, first_mr = [], None
        plan = TIMETABLE + ([("hpv", "hpv9", (156, 162))] if sex == "F" else [])
        for vaccine, product, ages in plan:
            delay = rng.randrange(0, 21)  # how late this family runs for this series
            for months in ages:
                if rng.random() < 0.06:
                    break
                delay += rng.randrange(0, 10)  # later doses slip further, never back
                early = rng.random() < 0.02  # a dose recorded a few days too early
                day = d.reach_months(dob, months) + timedelta(
                    days=-rng.randrange(1, 6) if early else delay)
                if vaccine == "varicella" and months == 12 and first_mr and rng.random() < 0.8:
                    day = first_mr  # usually given with MR 1期 on the same visit
                if day > TODAY:
                    break
                if vaccine == "mr" and months == 12:
                    first_mr = day
                doses.append((vaccine, product, day))
        children.append(ChildRecord(dob, sex, tuple(doses)))
    return children


def serialise(child):
    return json.dumps({"dob": child.date_of_birth.isoformat(), "sex": child.sex,
                       "doses": [[v, p, day.isoformat()] for v, p, day in child.doses]})


def ages(child):
    dob = child.date_of_birth
    reach = d.reach_months.__wrapped__  # the uncached function: no help from the engine's run
    return [reach(dob, m) for m in (2, 5, 7, 8, 12, 15, 24, 36, 60, 90)] + [
        reach(dob, 156), reach(dob, 192)]


def timed(func, items):
    samples = []
    started = time.perf_counter()
    for item in items:
        t0 = time.perf_counter_ns()
        func(item)
        samples.append(time.perf_counter_ns() - t0)
    total = time.perf_counter() - started
    ordered = sorted(samples)
    return statistics.median(ordered) / 1000, ordered[int(len(ordered) * 0.95)] / 1000, total


def main():
    children = generate(N)
    records = [serialise(child) for child in children]
    dose_count = sum(len(child.doses) for child in children)
    statuses = {}
    for child in children[:2000]:
        for plan in schedule(child, today=TODAY).series.values():
            statuses[plan.status] = statuses.get(plan.status, 0) + 1
    rows = [
        ("schedule()", timed(lambda c: schedule(c, today=TODAY), children)),
        ("baseline json.loads", timed(json.loads, records)),
        ("baseline ages", timed(ages, children)),
    ]
    print(f"immunisation schedule: {N} children, {dose_count} doses, today {TODAY}")
    print(f"  statuses over the first 2000 plans: {dict(sorted(statuses.items()))}")
    print(f"  {'':22} {'median µs':>10} {'p95 µs':>10} {'total s':>9}")
    for label, (median, p95, total) in rows:
        print(f"  {label:22} {median:10.1f} {p95:10.1f} {total:9.3f}")
    base = rows[1][1][0]
    print(f"  schedule/json median ratio: {rows[0][1][0] / base:.1f}x; "
          f"schedule/ages: {rows[0][1][0] / rows[2][1][0]:.1f}x")


if __name__ == "__main__":
    main()
