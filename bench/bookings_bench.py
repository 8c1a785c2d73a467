"""Booking throughput under contention (many clients, few seats), beside a same-run baseline.

    uv run python bench/bookings_bench.py                    # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/bookings_bench.py                # PostgreSQL (flushed)

BENCH_CLIENTS threads (default 16), each with its own database connection as a web worker
has, make BENCH_ATTEMPTS booking attempts each (default 200). Slots have BENCH_SEATS places
(default 4), and every client's n-th attempt is at the n-th slot, so the clients race for the
same few seats all the time: with the defaults 16 people want each slot of 4 seats, and 3 of
4 attempts end in "slot full". An attempt is a whole `booking_create` (the rules, the
per-person row lock and limit, the conditional UPDATE of the slot, the booking row, the
notice row and its task enqueued after commit on the database task backend).

Baseline in the same run: the same clients make the same number of plain INSERTs into a
scratch table, one transaction each, through the same connection settings. Printed: attempts
and successful bookings per second, the median and p95 latency of an attempt, the baseline's
figures and the ratio. At the end every slot is checked: no slot above its capacity, and each
slot's count equal to its bookings.
"""

import datetime
import os
import threading
import time

from benchsetup import percentiles, setup_django

os.environ["TASK_BACKEND"] = "database"  # notices queued in the database, none sent
setup_django()

from django.db import connection  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "200"))
SEATS = int(os.environ.get("BENCH_SEATS", "4"))
PEOPLE_PER_CLIENT = 20


def run_clients(work):
    """Run `work(client, barrier)` in CLIENTS threads released together by `barrier`; return
    the wall time and every client's (milliseconds, outcome) samples."""
    barrier = threading.Barrier(CLIENTS + 1)
    samples = [None] * CLIENTS

    def body(client):
        try:
            samples[client] = work(client, barrier)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, [s for client in samples for s in client]


def main():
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Count, F, Q

    from cityhall.bookings import services
    from cityhall.bookings.models import Booking, Resource, Slot

    user_model = get_user_model()
    resource = Resource.objects.create(
        code="bench-seats", kind=Resource.Kind.LIBRARY_SEAT, name="ベンチ学習席",
        name_en="Bench seats", capacity=SEATS, slot_minutes=15,
        audience=Resource.Audience.ANYONE, book_days_ahead=30, max_active_bookings=50,
        closed_on_public_holidays=False, closed_new_year=False)
    for weekday in range(7):
        resource.opening_hours.create(weekday=weekday, opens=datetime.time(8),
                                      closes=datetime.time(20))
    tomorrow = services.bookable_window(resource)[0] + datetime.timedelta(days=1)
    services.slots_ensure(resource=resource, start=tomorrow,
                          end=tomorrow + datetime.timedelta(days=ATTEMPTS // 48 + 1))
    slots = list(Slot.objects.filter(resource=resource).select_related("resource")
                 .order_by("starts_at")[:ATTEMPTS])
    assert len(slots) == ATTEMPTS
    user_model.objects.bulk_create([
        user_model(email=f"bench{client}-{n}@bench.example", password="!")
        for client in range(CLIENTS) for n in range(PEOPLE_PER_CLIENT)])
    people = {}
    for user in user_model.objects.filter(email__endswith="@bench.example"):
        client, n = user.email.removeprefix("bench").split("@")[0].split("-")
        people.setdefault(int(client), {})[int(n)] = user

    def book(client, barrier):
        mine, out = people[client], []
        barrier.wait()
        for number, slot in enumerate(slots):
            user = mine[number % PEOPLE_PER_CLIENT]
            started = time.perf_counter()
            try:
                services.booking_create(slot=slot, user=user, actor=user)
                outcome = "booked"
            except services.SlotFull:
                outcome = "full"
            except Exception as exc:
                outcome = type(exc).__name__
            out.append(((time.perf_counter() - started) * 1000, outcome))
        return out

    booking_seconds, booking_samples = run_clients(book)

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_booking")
        cursor.execute(
            "CREATE TABLE bench_plain_booking (id INTEGER PRIMARY KEY, slot_id INTEGER, "
            "user_id INTEGER, reference VARCHAR(20), status VARCHAR(20))")

    def insert(client, barrier):
        out = []
        barrier.wait()
        for number, slot in enumerate(slots):
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_plain_booking VALUES (%s, %s, %s, %s, %s)",
                               [client * ATTEMPTS + number + 1, slot.pk,
                                people[client][number % PEOPLE_PER_CLIENT].pk,
                                f"P{client:03d}{number:06d}", "confirmed"])
            out.append(((time.perf_counter() - started) * 1000, "inserted"))
        return out

    insert_seconds, insert_samples = run_clients(insert)

    outcomes = {}
    for _ms, outcome in booking_samples:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    attempts = len(booking_samples)
    booked = outcomes.get("booked", 0)
    rows = [
        ("baseline: plain INSERT (one transaction each)", len(insert_samples),
         len(insert_samples) / insert_seconds, [ms for ms, _o in insert_samples]),
        ("booking_create: every attempt", attempts, attempts / booking_seconds,
         [ms for ms, _o in booking_samples]),
        ("booking_create: successful bookings", booked, booked / booking_seconds,
         [ms for ms, o in booking_samples if o == "booked"]),
        ("booking_create: refused as full", outcomes.get("full", 0),
         outcomes.get("full", 0) / booking_seconds,
         [ms for ms, o in booking_samples if o == "full"]),
    ]
    print(f"database: {connection.vendor}; {CLIENTS} clients x {ATTEMPTS} attempts at "
          f"{ATTEMPTS} slots of {SEATS} seats; outcomes: "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"{'operation':48} {'count':>7} {'per s':>9} {'median ms':>10} {'p95 ms':>9}")
    for label, count, rate, samples in rows:
        median, p95 = percentiles(samples) if samples else (0.0, 0.0)
        print(f"{label:48} {count:7d} {rate:9.0f} {median:10.2f} {p95:9.2f}")
    baseline_rate = len(insert_samples) / insert_seconds
    print(f"ratio to the baseline: attempts {attempts / booking_seconds / baseline_rate:.2f}x, "
          f"successful bookings {booked / booking_seconds / baseline_rate:.2f}x "
          f"the plain INSERTs per second")

    overbooked = Slot.objects.filter(booked__gt=F("capacity")).count()
    mismatched = Slot.objects.filter(resource=resource).annotate(
        holding=Count("bookings", filter=Q(bookings__status__in=Booking.HOLDING_STATUSES)),
    ).exclude(booked=F("holding")).count()
    full = Slot.objects.filter(resource=resource, pk__in=[s.pk for s in slots],
                               booked=F("capacity")).count()
    ok = overbooked == 0 and mismatched == 0 and booked == Booking.objects.count() \
        and set(outcomes) <= {"booked", "full"}
    print(f"check: {overbooked} slots overbooked, {mismatched} slots whose count differs from "
          f"their bookings, {full} of {len(slots)} slots full, {Booking.objects.count()} "
          f"bookings for {booked} successes: {'OK' if ok else 'FAILED'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
