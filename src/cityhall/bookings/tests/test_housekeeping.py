"""The housekeeping the workers run every minute (core.periodic): slots made for the bookable
window of every resource, seats not checked in released to the waitlist, reminders sent.

The task reads the real clock, so the data here is built around `timezone.now()`."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from cityhall.bookings import services
from cityhall.bookings.models import Booking, BookingEvent, Resource, Slot
from cityhall.bookings.tasks import bookings_housekeeping
from cityhall.core.periodic import registered_periodic_tasks

from .conftest import NOW, make_resource, slot_at

pytestmark = pytest.mark.django_db


def test_housekeeping_is_a_periodic_task_of_every_minute():
    assert registered_periodic_tasks()[bookings_housekeeping.module_path] == (
        bookings_housekeeping, 60)


def slot_around(resource, *, starts_in: datetime.timedelta, minutes: int, booked: int) -> Slot:
    """A slot at a time of the real clock (made directly: opening hours cannot follow the
    clock in a test that runs at any hour)."""
    starts = timezone.now().replace(microsecond=0) + starts_in
    return Slot.objects.create(resource=resource, starts_at=starts,
                               ends_at=starts + datetime.timedelta(minutes=minutes),
                               capacity=resource.capacity, booked=booked)


def booking(slot, user, status) -> Booking:
    """A booking made the day before its slot."""
    made = Booking.objects.create(reference=services.booking._new_reference(),
                                  resource=slot.resource, slot=slot, user=user, status=status)
    Booking.objects.filter(pk=made.pk).update(
        created_at=slot.starts_at - datetime.timedelta(days=1))
    made.refresh_from_db()
    return made


def expected_slots(resource) -> int:
    first, last = services.bookable_window(resource)
    total, day = 0, first
    while day <= last:
        total += len(services.slot_times(resource, day))
        day += datetime.timedelta(days=1)
    return total


def test_housekeeping_end_to_end(minato, hanako, taro, emily, on_commit):
    seats = make_resource("test-live-seats", capacity=1, checkin_required=True,
                          no_show_after_minutes=30, reminder_hours=0)
    seats.opening_hours.all().delete()  # this test's slots follow the clock instead
    # A seat booked 40 minutes ago and not checked in; someone is waiting for it.
    running = slot_around(seats, starts_in=-datetime.timedelta(minutes=40), minutes=120,
                          booked=1)
    absent = booking(running, hanako, Booking.Status.CONFIRMED)
    waiting = booking(running, taro, Booking.Status.WAITLISTED)
    checkup = make_resource("test-reminded", capacity=4, reminder_hours=24)
    checkup.opening_hours.all().delete()
    soon = slot_around(checkup, starts_in=datetime.timedelta(hours=2), minutes=30, booked=2)
    due = booking(soon, emily, Booking.Status.CONFIRMED)
    not_yet = booking(slot_around(checkup, starts_in=datetime.timedelta(hours=30), minutes=30,
                                  booked=1), emily, Booking.Status.CONFIRMED)
    booking(soon, hanako, Booking.Status.CHECKED_IN)  # nothing to remind once here
    minato_resources = list(Resource.objects.filter(is_active=True)
                            .exclude(code__startswith="test-"))
    assert len(minato_resources) >= 10
    mail.outbox.clear()

    with on_commit():
        result = bookings_housekeeping.enqueue()

    summary = result.return_value
    assert summary["released"] == 1
    assert summary["reminded"] == 1
    assert summary["expired_unpaid"] == 0
    # Slots for the bookable window of every Minato resource, by its calendar.
    made = 0
    for resource in minato_resources:
        first, last = services.bookable_window(resource)
        count = resource.slots.filter(starts_at__date__gte=first,
                                      starts_at__date__lte=last).count()
        assert count == expected_slots(resource) > 0, resource.code
        made += count
    assert summary["slots_made"] == made
    # The absent holder's seat went to the person waiting.
    absent.refresh_from_db()
    waiting.refresh_from_db()
    running.refresh_from_db()
    assert absent.status == Booking.Status.NO_SHOW
    assert waiting.status == Booking.Status.CONFIRMED and waiting.promoted_at is not None
    assert running.booked == 1
    assert list(absent.events.values_list("kind", flat=True)) == [BookingEvent.Kind.RELEASED]
    assert list(waiting.events.values_list("kind", flat=True)) == [BookingEvent.Kind.PROMOTED]
    # The booking within 24 hours was reminded, the one in 30 hours not yet.
    due.refresh_from_db()
    not_yet.refresh_from_db()
    assert due.reminded_at is not None and not_yet.reminded_at is None
    assert list(due.events.values_list("kind", flat=True)) == [BookingEvent.Kind.REMINDER]
    assert not not_yet.events.exists()
    # Each of the three was told, once, by the notice task.
    assert len(mail.outbox) == 3
    assert {m.to[0] for m in mail.outbox} == {hanako.email, taro.email, emily.email}
    assert BookingEvent.objects.filter(notified_at__isnull=True).count() == 0

    # Run again (the next minute): no slot made twice, nobody reminded or told twice.
    # (Whether the person just promoted into the running slot is released again at once is
    # the bug that test_a_person_promoted_into_a_running_slot_has_time_to_check_in shows.)
    mail.outbox.clear()
    with on_commit():
        again = bookings_housekeeping.enqueue().return_value
    assert (again["slots_made"], again["reminded"], again["expired_unpaid"]) == (0, 0, 0)
    assert list(due.events.values_list("kind", flat=True)) == [BookingEvent.Kind.REMINDER]
    assert list(absent.events.values_list("kind", flat=True)) == [BookingEvent.Kind.RELEASED]
    assert emily.email not in {m.to[0] for m in mail.outbox}


def test_a_person_promoted_into_a_running_slot_has_time_to_check_in(minato, hanako, taro):
    seats = make_resource("test-seats-1", capacity=1, checkin_required=True,
                          no_show_after_minutes=30)
    slot = slot_at(seats, NOW.date(), 10)
    services.booking_create(slot=slot, user=hanako, actor=hanako, now=NOW)
    waiting = services.booking_create(slot=slot, user=taro, actor=taro, now=NOW,
                                      waitlist=True)
    at = slot.starts_at + datetime.timedelta(minutes=31)
    assert services.release_no_shows(now=at) == 1  # hanako did not come; taro moves up
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED
    # Taro is told a place is his; he gets the usual 30 minutes to come and check in.
    assert services.release_no_shows(now=at + datetime.timedelta(minutes=1)) == 0
    checked_in = services.booking_self_check_in(
        resource=seats, secret=seats.checkin_secret, user=taro,
        now=at + datetime.timedelta(minutes=10))
    assert checked_in.status == Booking.Status.CHECKED_IN
