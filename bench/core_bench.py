"""Benchmark of core's hot paths beside plain baselines measured in the same run.

    uv run python bench/core_bench.py                  # on a scratch SQLite file
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/core_bench.py              # on PostgreSQL (database is recreated)

It measures
  - audit_record (hash-chained, row-locked append) against a plain INSERT of the same columns
    into a scratch table, and
  - an audited staff read of a resident (access_resident_profile: permission check + audit
    event) against a plain ORM get of the same row.
Figures are operations per second and the mean time per operation; the ratio to the baseline
is what to watch, since these machines are shared and absolute numbers drift.
"""

import os
import time

from benchsetup import setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

N = int(os.environ.get("BENCH_N", "2000"))


def timed(label, func, n=N):
    started = time.perf_counter()
    for i in range(n):
        func(i)
    elapsed = time.perf_counter() - started
    return label, n / elapsed, elapsed / n * 1e6


def main():
    call_command("load_minato_demo", verbosity=0)

    from cityhall.core import demo
    from cityhall.core.audit import audit_record
    from cityhall.core.models import ResidentProfile, User
    from cityhall.core.permissions import access_resident_profile

    clerk = User.objects.get(email=demo.STAFF["shiba_clerk"].email)
    resident = ResidentProfile.objects.get(user__email=demo.RESIDENTS["hanako"].email)

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_event")
        cursor.execute(
            "CREATE TABLE bench_plain_event (id INTEGER PRIMARY KEY, actor_id INTEGER, "
            "action VARCHAR(60), target_type VARCHAR(60), target_id VARCHAR(64), "
            "purpose VARCHAR(200), entry_hash VARCHAR(64))")

    def plain_insert(i):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_plain_event VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [i + 1, clerk.pk, "resident.read", "core.residentprofile", str(resident.pk),
                 "bench", f"{i:064d}"])

    def audit_write(i):
        audit_record(actor=clerk, action="bench.write", target=resident, purpose="bench")

    def plain_get(i):
        ResidentProfile.objects.select_related("town__branch_office", "user").get(pk=resident.pk)

    def audited_read(i):
        access_resident_profile(clerk, resident.pk, purpose="benchmark of the audited read")

    rows = [
        timed("baseline: plain INSERT (one transaction each)", plain_insert),
        timed("audit_record (hash chain, row lock)", audit_write),
        timed("baseline: plain ORM get of a resident", plain_get),
        timed("access_resident_profile (check + audit)", audited_read),
    ]
    print(f"database: {connection.vendor}, {N} operations each")
    print(f"{'operation':50} {'ops/s':>10} {'µs/op':>10}")
    for label, rate, micros in rows:
        print(f"{label:50} {rate:10.0f} {micros:10.1f}")
    print(f"audit_record costs {rows[1][2] / rows[0][2]:.1f}x a plain insert; "
          f"an audited read costs {rows[3][2] / rows[2][2]:.1f}x a plain read")
    from cityhall.core.audit import audit_verify

    started = time.perf_counter()
    report = audit_verify()
    elapsed = time.perf_counter() - started
    print(f"audit_verify: {report.checked} events in {elapsed:.2f}s "
          f"({report.checked / elapsed:.0f} events/s), intact={report.ok}")


if __name__ == "__main__":
    main()
