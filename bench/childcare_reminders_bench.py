"""Benchmark of the immunisation daily run (取組23): reminders and coverage for 20,000
children on a scratch database.

    uv run python bench/childcare_reminders_bench.py       # BENCH_CHILDREN=20000 by default

The children and their dose histories are those of `childcare_schedule_bench.py` (same seed);
each gets a branch office, 85% have reminders on, 20% a planned date within ten days of
"today" (2026-01-15), and guardians (two children each, on average) prefer Japanese (90%) or
English.

It reports, beside a baseline measured in the same run on the same children:
  - baseline: the engine alone, `schedule()` on in-memory records (no database);
  - the daily pass (`immunisation_scan`): read in chunks with doses and planned dates
    prefetched, the engine, the reminder rows stored, the coverage counted; its queries;
  - the same pass again the same day (what the hourly tick would pay if it re-ran: nothing
    new is stored);
  - the coverage tables of one cohort with disclosure control (what the page computes);
  - sending one child's waiting reminders (render in the guardian's language, claim, hand to
    core.notify; a sender that only records, so no mail server is measured), per child.
Ratios to the baseline are what to watch; the machines are shared and absolute numbers drift.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import percentiles, setup_django

os.environ["TASK_BACKEND"] = "database"  # sending tasks are queued in the database
setup_django()

from childcare_schedule_bench import TODAY, generate  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

N = int(os.environ.get("BENCH_CHILDREN", "20000"))
SENDS = int(os.environ.get("BENCH_SENDS", "300"))


def populate(records):
    import datetime

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cityhall.childcare.models import ChildProfile, DoseAppointment, DoseRecord
    from cityhall.core.models import BranchOffice, ResidentProfile, Town

    call_command("load_minato_reference", verbosity=0)
    rng = random.Random(7)
    user_model = get_user_model()
    guardians = max(1, len(records) // 2)
    user_model.objects.bulk_create(
        [user_model(email=f"guardian{n}@bench.example", password="!") for n in range(guardians)],
        batch_size=2000)
    users = list(user_model.objects.filter(email__endswith="@bench.example").order_by("pk"))
    towns = list(Town.objects.all())
    ResidentProfile.objects.bulk_create([
        ResidentProfile(user=user, family_name="港", given_name="保護者", family_name_kana="ミナト",
                        given_name_kana="ホゴシャ", date_of_birth=datetime.date(1990, 1, 1),
                        town=rng.choice(towns), block_number="1-1",
                        preferred_language="ja" if rng.random() < 0.9 else "en")
        for user in users], batch_size=2000)
    profiles = list(ResidentProfile.objects.order_by("pk").values_list("pk", flat=True))
    offices = list(BranchOffice.objects.values_list("pk", flat=True))
    ChildProfile.objects.bulk_create([
        ChildProfile(guardian_id=rng.choice(profiles), name="港 こども", sex=record.sex,
                     date_of_birth=record.date_of_birth, branch_office_id=rng.choice(offices),
                     reminders=rng.random() < 0.85)
        for record in records], batch_size=2000)
    ids = list(ChildProfile.objects.order_by("pk").values_list("pk", flat=True))
    doses, appointments = [], []
    for child_id, record in zip(ids, records, strict=True):
        doses += [DoseRecord(child_id=child_id, vaccine=v, product=p or "", given_on=day)
                  for v, p, day in record.doses]
        if rng.random() < 0.2:
            appointments.append(DoseAppointment(
                child_id=child_id, series=rng.choice(["hepb", "pcv", "mr1", "je", "dt"]),
                planned_on=TODAY + datetime.timedelta(days=rng.randrange(-10, 11))))
    DoseRecord.objects.bulk_create(doses, batch_size=5000)
    DoseAppointment.objects.bulk_create(appointments, batch_size=5000)
    return len(doses), len(appointments)


def main():
    from cityhall.childcare import coverage
    from cityhall.childcare.immunisation.engine import schedule
    from cityhall.childcare.models import ImmunisationReminder
    from cityhall.childcare.services.reminders import immunisation_scan, reminders_send_for_child
    from cityhall.core import notify
    from cityhall.core.models import BranchOffice

    records = generate(N)
    started = time.perf_counter()
    dose_count, appointment_count = populate(records)
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for record in records:
        schedule(record, today=TODAY)
    engine_seconds = time.perf_counter() - started

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        scan = immunisation_scan(today=TODAY)
        scan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = immunisation_scan(today=TODAY)
    again_seconds = time.perf_counter() - started

    counts = scan["coverage"]
    cohort = coverage.default_cohort(counts, TODAY)
    branches = [(pk, code, code) for pk, code in
                BranchOffice.objects.values_list("pk", "code")]
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        tables = coverage.coverage_tables(counts, cohort=cohort, branches=branches)
        samples.append((time.perf_counter() - started) * 1000)
    tables_median, _p95 = percentiles(samples)
    hidden = sum(cell.value is None for table in tables for row in table.rows
                 for cell in row.cells)
    shown = sum(cell.value is not None for table in tables for row in table.rows
                for cell in row.cells)

    by_kind = {}
    for kind in ImmunisationReminder.objects.values_list("kind", flat=True):
        by_kind[kind] = by_kind.get(kind, 0) + 1
    waiting = list(ImmunisationReminder.objects.filter(status="pending")
                   .values_list("child_id", flat=True).distinct().order_by("child_id")[:SENDS])
    before = notify.registered_notice_sender()
    notices = []
    notify.register_notice_sender(notices.append)
    send_samples = []
    try:
        for child_id in waiting:
            started = time.perf_counter()
            reminders_send_for_child(child_id=child_id, today=TODAY)
            send_samples.append((time.perf_counter() - started) * 1000)
    finally:
        notify.register_notice_sender(before)
    send_median, send_p95 = percentiles(send_samples) if send_samples else (0, 0)

    per_child = 1e6 / N
    print(f"immunisation daily run ({connection.vendor}): {N} children, {dose_count} doses, "
          f"{appointment_count} planned dates, today {TODAY} (loaded in {load_seconds:.1f} s)")
    print(f"  {'':34} {'total s':>9} {'µs/child':>9} {'× baseline':>11}")
    print(f"  {'baseline: engine only, no DB':34} {engine_seconds:9.2f} "
          f"{engine_seconds * per_child:9.1f} {1:11.1f}")
    print(f"  {'daily pass (read+engine+store)':34} {scan_seconds:9.2f} "
          f"{scan_seconds * per_child:9.1f} {scan_seconds / engine_seconds:11.1f}")
    print(f"  {'same pass again (nothing new)':34} {again_seconds:9.2f} "
          f"{again_seconds * per_child:9.1f} {again_seconds / engine_seconds:11.1f}")
    print(f"  queries of the pass: {len(queries)} ({len(queries) / N * 1000:.1f} per 1,000 "
          f"children); reminders stored: {scan['created']} {dict(sorted(by_kind.items()))}; "
          f"stored again: {again['created']}")
    print(f"  coverage tables of cohort {cohort} ({len(tables)} series, {shown} cells shown, "
          f"{hidden} hidden): median {tables_median:.2f} ms")
    print(f"  sending one child's reminders ({len(send_samples)} children, {len(notices)} "
          f"notices): median {send_median:.2f} ms, p95 {send_p95:.2f} ms")


if __name__ == "__main__":
    main()
