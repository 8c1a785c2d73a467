"""Capacity holds whatever the concurrency: many people booking the last places at once, a
double click from eight tabs, cancellations racing each other and the waitlist, and separate
processes (as separate web nodes) booking one slot.

These tests commit for real (`transaction=True`): every thread and process has its own
database connection, as requests on a live site do. They run on SQLite (writes serialised by
`BEGIN IMMEDIATE`, waiting up to the `timeout` of settings.DATABASES) and on PostgreSQL (row
locks, conditional UPDATEs, the check constraint).
"""

import datetime
import multiprocessing
import threading
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum

from cityhall.bookings import services
from cityhall.bookings.models import Booking, BookingEvent, Resource, Slot
from cityhall.core.errors import ConflictError
from cityhall.core.tests.factories import ResidentFactory

from .conftest import NOW, make_resource, slot_at

pytestmark = pytest.mark.django_db(transaction=True)

TUESDAY = NOW.date() + datetime.timedelta(days=1)
PEOPLE = 24
CAPACITY = 3


def run_at_once(count: int, prepare, act) -> list:
    """Run `act(prepared)` in `count` threads released together by a barrier; `prepare(i)`
    runs first in each thread (so connections are open before the start). Returns, per
    thread, what `act` returned or the exception it raised. Each thread closes its
    connection, as Django does at the end of a request."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def body(number):
        try:
            prepared = prepare(number)
            barrier.wait()
            outcomes[number] = act(prepared)
        except Exception as exc:
            outcomes[number] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def kinds(outcomes) -> Counter:
    """'confirmed', 'waitlisted', or the exception's class name with its code."""
    return Counter(
        f"{type(o).__name__}:{getattr(o, 'code', '')}" if isinstance(o, BaseException)
        else getattr(o, "status", o) for o in outcomes)


@pytest.fixture
def crowd(minato) -> list[int]:
    """The ids of PEOPLE residents of the city."""
    return [ResidentFactory().user_id for _ in range(PEOPLE)]


@pytest.fixture
def small_slot(minato):
    resource = make_resource("test-crowded", capacity=CAPACITY,
                             audience=Resource.Audience.RESIDENTS)
    return slot_at(resource, TUESDAY, 10)


def load_user(pk):
    return get_user_model().objects.select_related("resident_profile").get(pk=pk)


def load_slot(pk):
    return Slot.objects.select_related("resource").get(pk=pk)


def book_everyone(slot, user_ids, *, waitlist: bool) -> list:
    def prepare(number):
        return load_slot(slot.pk), load_user(user_ids[number])

    def act(prepared):
        one_slot, user = prepared
        return services.booking_create(slot=one_slot, user=user, actor=user, now=NOW,
                                       waitlist=waitlist)

    return run_at_once(len(user_ids), prepare, act)


def assert_slot_consistent(slot) -> Slot:
    """The slot's count equals the places of the bookings that hold it, within capacity."""
    slot = Slot.objects.get(pk=slot.pk)
    holding = Booking.objects.filter(slot=slot, status__in=Booking.HOLDING_STATUSES) \
        .aggregate(places=Sum("places"))["places"] or 0
    assert slot.booked == holding
    assert 0 <= slot.booked <= slot.capacity
    return slot


# --- many people, few places ----------------------------------------------------------------

def test_many_people_at_once_never_overbook(small_slot, crowd):
    outcomes = book_everyone(small_slot, crowd, waitlist=False)

    # Nothing but "booked" or "full": no IntegrityError, no "database is locked", no deadlock.
    assert kinds(outcomes) == {"confirmed": CAPACITY, "SlotFull:slot_full": PEOPLE - CAPACITY}
    slot = assert_slot_consistent(small_slot)
    assert slot.booked == CAPACITY
    confirmed = Booking.objects.filter(slot=slot)
    assert confirmed.count() == CAPACITY
    assert {b.user_id for b in confirmed} == {o.user_id for o in outcomes
                                              if isinstance(o, Booking)}
    assert BookingEvent.objects.filter(kind=BookingEvent.Kind.CONFIRMED).count() == CAPACITY


def test_the_waitlist_promotes_each_person_once_under_concurrent_cancellations(
        small_slot, crowd):
    outcomes = book_everyone(small_slot, crowd, waitlist=True)
    assert kinds(outcomes) == {"confirmed": CAPACITY, "waitlisted": PEOPLE - CAPACITY}
    assert assert_slot_consistent(small_slot).booked == CAPACITY
    first_waiting = list(Booking.objects.filter(slot=small_slot, status="waitlisted")
                         .order_by("created_at", "id").values_list("pk", flat=True))
    holders = list(Booking.objects.filter(slot=small_slot, status="confirmed"))

    # Every holder cancels at the same moment; each cancellation promotes the next person.
    def prepare(number):
        return Booking.objects.select_related("user", "slot", "resource").get(
            pk=holders[number].pk)

    def act(booking):
        return services.booking_cancel(booking=booking, actor=booking.user, now=NOW)

    cancelled = run_at_once(len(holders), prepare, act)

    assert kinds(cancelled) == {"cancelled": CAPACITY}
    slot = assert_slot_consistent(small_slot)
    assert slot.booked == CAPACITY
    confirmed = Booking.objects.filter(slot=slot, status="confirmed")
    assert confirmed.count() == CAPACITY
    # First come, first served: exactly the first CAPACITY people waiting, each promoted once.
    assert sorted(b.pk for b in confirmed) == sorted(first_waiting[:CAPACITY])
    assert all(b.promoted_at == NOW for b in confirmed)
    promoted = BookingEvent.objects.filter(kind=BookingEvent.Kind.PROMOTED)
    assert promoted.count() == CAPACITY
    assert sorted(promoted.values_list("booking_id", flat=True)) == sorted(
        first_waiting[:CAPACITY])
    assert Booking.objects.filter(slot=slot, status="waitlisted").count() == \
        PEOPLE - 2 * CAPACITY
    assert Booking.objects.filter(promoted_at__isnull=False).count() == CAPACITY


def test_a_double_click_from_eight_tabs_books_once(small_slot, crowd):
    user_id = crowd[0]
    outcomes = book_everyone(small_slot, [user_id] * 8, waitlist=True)

    assert kinds(outcomes) == {"confirmed": 1, "ConflictError:already_booked": 7}
    assert Booking.objects.filter(user_id=user_id).count() == 1
    assert assert_slot_consistent(small_slot).booked == 1
    assert BookingEvent.objects.count() == 1


def test_bookings_cancellations_and_waitlist_leavers_all_at_once(small_slot, crowd):
    """A storm: the holders cancel, people on the waitlist leave it (some at the moment they
    are promoted) and newcomers book, all at once. Whatever the interleaving, the count is
    right, nobody is promoted twice, and a free place never sits beside a waiting person."""
    first, newcomers = crowd[:12], crowd[12:]
    book_everyone(small_slot, first, waitlist=True)
    holders = list(Booking.objects.filter(slot=small_slot, status="confirmed"))
    leavers = list(Booking.objects.filter(slot=small_slot, status="waitlisted")
                   .order_by("created_at", "id")[:4])
    jobs = [("cancel", b.pk) for b in holders + leavers] + [("book", pk) for pk in newcomers]

    def prepare(number):
        action, pk = jobs[number]
        if action == "cancel":
            return action, Booking.objects.select_related("user", "slot", "resource").get(
                pk=pk)
        return action, (load_slot(small_slot.pk), load_user(pk))

    def act(prepared):
        action, target = prepared
        if action == "cancel":
            return services.booking_cancel(booking=target, actor=target.user, now=NOW)
        one_slot, user = target
        return services.booking_create(slot=one_slot, user=user, actor=user, now=NOW,
                                       waitlist=True)

    outcomes = run_at_once(len(jobs), prepare, act)

    unexpected = [o for o in outcomes if isinstance(o, Exception)
                  and not isinstance(o, ConflictError)]
    assert unexpected == []
    slot = assert_slot_consistent(small_slot)
    waiting = Booking.objects.filter(slot=slot, status="waitlisted").count()
    assert waiting > 0 and slot.booked == CAPACITY  # 8 + 12 people wanted 3 places
    events = Counter(BookingEvent.objects.filter(kind=BookingEvent.Kind.PROMOTED)
                     .values_list("booking_id", flat=True))
    assert all(count == 1 for count in events.values())
    assert set(events) == set(Booking.objects.filter(promoted_at__isnull=False)
                              .values_list("pk", flat=True))


# --- the gap between "full" and "on the waitlist" -------------------------------------------

def test_a_place_freed_while_someone_joins_the_waitlist_goes_to_them(
        small_slot, crowd, monkeypatch):
    """One person finds the slot full and is being put on the waitlist; at that moment a
    holder cancels. The freed place must go to the person waiting, not stay empty beside
    them (the cancellation's promotion must see them, or their booking must see the place)."""
    Slot.objects.filter(pk=small_slot.pk).update(capacity=1)
    holder = load_user(crowd[0])
    held = services.booking_create(slot=load_slot(small_slot.pk), user=holder, actor=holder,
                                   now=NOW)
    joining, go = threading.Event(), threading.Event()
    new_reference = services.booking._new_reference
    late_user_id = crowd[1]

    def paused_reference():
        if threading.current_thread().name == "late":
            joining.set()  # decided (full) and about to write the waitlist booking
            go.wait()
        return new_reference()

    monkeypatch.setattr(services.booking, "_new_reference", paused_reference)
    results = {}

    def late():
        try:
            user = load_user(late_user_id)
            results["late"] = services.booking_create(slot=load_slot(small_slot.pk),
                                                      user=user, actor=user, now=NOW,
                                                      waitlist=True)
        except Exception as exc:
            results["late"] = exc
        finally:
            connection.close()

    def cancel():
        try:
            booking = Booking.objects.select_related("user", "slot", "resource").get(
                pk=held.pk)
            results["cancel"] = services.booking_cancel(booking=booking, actor=holder,
                                                        now=NOW)
        except Exception as exc:
            results["cancel"] = exc
        finally:
            connection.close()

    late_thread = threading.Thread(target=late, name="late")
    late_thread.start()
    assert joining.wait(60), "the late booking never reached the waitlist"
    cancel_thread = threading.Thread(target=cancel, name="cancel")
    cancel_thread.start()
    wait_until_done_or_blocked(cancel_thread)
    go.set()
    late_thread.join()
    cancel_thread.join()

    assert isinstance(results["cancel"], Booking), results["cancel"]
    assert isinstance(results["late"], Booking), results["late"]
    late_booking = Booking.objects.get(pk=results["late"].pk)
    assert late_booking.status == Booking.Status.CONFIRMED
    assert assert_slot_consistent(small_slot).booked == 1


def wait_until_done_or_blocked(thread):
    """Wait until `thread` has finished or waits for a lock held by another transaction.
    PostgreSQL shows its lock waits; SQLite does not, and there no writer gets past another
    one anyway, so a moment is enough."""
    if connection.vendor != "postgresql":
        thread.join(1)
        return
    deadline = time.monotonic() + 60  # a bound against a hang, not a speed assertion
    while thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
                           "ON a.pid = l.pid WHERE NOT l.granted AND a.datname = %s",
                           [connection.settings_dict["NAME"]])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)


# --- the last line of defence ---------------------------------------------------------------

def test_the_check_constraint_refuses_an_overbooking_update(small_slot):
    Slot.objects.filter(pk=small_slot.pk).update(booked=CAPACITY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=small_slot.pk).update(booked=F("booked") + 1)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_slot SET booked = capacity + 1 WHERE id = %s",
                       [small_slot.pk])
    assert Slot.objects.get(pk=small_slot.pk).booked == CAPACITY


def test_naive_increments_racing_for_the_last_place_hit_the_constraint(small_slot):
    """Code that forgot the condition (`booked = booked + 1` after a check in Python) still
    cannot overbook: of the threads racing for the last place, one wins and the database
    refuses the rest."""
    Slot.objects.filter(pk=small_slot.pk).update(booked=CAPACITY - 1)

    def act(_prepared):
        with transaction.atomic():
            if Slot.objects.get(pk=small_slot.pk).free > 0:  # check, then write
                return Slot.objects.filter(pk=small_slot.pk).update(booked=F("booked") + 1)
            return 0

    outcomes = run_at_once(8, lambda number: None, act)

    assert outcomes.count(1) == 1
    assert all(o in (0, 1) or isinstance(o, IntegrityError) for o in outcomes), outcomes
    assert Slot.objects.get(pk=small_slot.pk).booked == CAPACITY


# --- separate processes ---------------------------------------------------------------------

def database_url_for_children() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}")


@pytest.mark.slow
def test_separate_processes_never_overbook(small_slot, crowd):
    """Four processes, each with its own connection as a web node has, book the same slot
    at once (half of them joining the waitlist when it is full), then cancel what they got."""
    from .booking_processes import book_and_cancel

    processes = 4
    context = multiprocessing.get_context("spawn")
    ready, cancel_ready = context.Barrier(processes), context.Barrier(processes)
    results = context.Queue()
    share = PEOPLE // processes
    children = [
        context.Process(target=book_and_cancel, args=(
            database_url_for_children(), small_slot.pk, crowd[n * share:(n + 1) * share],
            NOW.isoformat(), ready, cancel_ready, results))
        for n in range(processes)]
    connection.close()  # the children must not share this process's connection
    for child in children:
        child.start()
    # A bound against a hung child, not a speed assertion.
    reports = [results.get(timeout=600) for _ in children]
    for child in children:
        child.join()

    outcomes = Counter(o for _pid, report in reports for o in report)
    assert set(outcomes) <= {"confirmed", "waitlisted", "full", "cancelled"}, outcomes
    assert outcomes["confirmed"] == CAPACITY
    assert outcomes["cancelled"] == CAPACITY
    # Half the people (even-numbered in each process) asked for the waitlist when full; the
    # others were refused.
    assert outcomes["confirmed"] + outcomes["waitlisted"] + outcomes["full"] == PEOPLE
    assert PEOPLE // 2 - CAPACITY <= outcomes["waitlisted"] <= PEOPLE // 2
    slot = assert_slot_consistent(small_slot)
    assert slot.booked == CAPACITY
    promoted = Booking.objects.filter(slot=slot, promoted_at__isnull=False)
    assert promoted.count() == CAPACITY
    assert set(promoted.values_list("status", flat=True)) == {"confirmed"}
    assert BookingEvent.objects.filter(kind=BookingEvent.Kind.PROMOTED).count() == CAPACITY
