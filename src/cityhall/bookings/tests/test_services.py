"""The bookings engine's rules: slots from the opening calendar (weekly hours, closures,
public holidays), booking with every refusal, cancellation deadlines, the waitlist that
promotes the next person in the same transaction, check-in and no-show release, reminders,
priced items and areas (bulky waste), and who may do what."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import F

from cityhall.bookings import services
from cityhall.bookings.models import Booking, BookingEvent, PricedItem, Resource, Slot
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent, Town

from .conftest import NOW, TOKYO, make_resource, slot_at

pytestmark = pytest.mark.django_db

MONDAY = NOW.date()
TUESDAY = MONDAY + datetime.timedelta(days=1)


def book(slot, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return services.booking_create(slot=slot, user=user, actor=kwargs.pop("actor", user),
                                   **kwargs)


# --- slots ---------------------------------------------------------------------------------

def test_slots_follow_the_weekly_hours(seats):
    made = services.slots_ensure(resource=seats, start=MONDAY, end=MONDAY)
    assert made == 8  # 09:00–17:00 in one-hour slots
    first = seats.slots.order_by("starts_at").first()
    assert first.starts_at == datetime.datetime(2031, 6, 2, 9, tzinfo=TOKYO)
    assert first.ends_at - first.starts_at == datetime.timedelta(hours=1)
    assert first.capacity == 2 and first.booked == 0
    # Idempotent: running again makes nothing and changes nothing.
    assert services.slots_ensure(resource=seats, start=MONDAY, end=MONDAY) == 0
    assert seats.slots.count() == 8


def test_a_window_shorter_than_a_slot_is_one_slot(minato):
    room = make_resource("test-room", slot_minutes=240, capacity=1)
    room.opening_hours.all().delete()
    room.opening_hours.create(weekday=0, opens=datetime.time(18), closes=datetime.time(21, 30))
    services.slots_ensure(resource=room, start=MONDAY, end=MONDAY)
    slot = room.slots.get()
    assert slot.starts_at == datetime.datetime(2031, 6, 2, 18, tzinfo=TOKYO)
    assert slot.ends_at == datetime.datetime(2031, 6, 2, 21, 30, tzinfo=TOKYO)
    assert room.slots.count() == 1


def test_public_holidays_and_new_year_close_a_resource_that_says_so(minato):
    office = make_resource("test-office", closed_on_public_holidays=True, closed_new_year=True)
    # 2031-07-21 is 海の日 (Marine Day, third Monday of July) per the holidays library.
    marine_day = datetime.date(2031, 7, 21)
    assert services.slots_ensure(resource=office, start=marine_day, end=marine_day) == 0
    assert services.slots_ensure(resource=office, start=datetime.date(2031, 12, 30),
                                 end=datetime.date(2032, 1, 3)) == 0
    assert services.slots_ensure(resource=office, start=datetime.date(2031, 7, 22),
                                 end=datetime.date(2031, 7, 22)) == 8
    library = make_resource("test-library")  # open on holidays
    assert services.slots_ensure(resource=library, start=marine_day, end=marine_day) == 8


def test_a_closure_closes_slots_and_cancels_their_bookings_with_notice(
        seats, hanako, taro, shiba_manager, on_commit):
    slot = slot_at(seats, TUESDAY, 10)
    with on_commit():
        booking = book(slot, hanako)
    mail.outbox.clear()
    with on_commit():
        services.closure_add(resource=seats, starts_on=TUESDAY, ends_on=TUESDAY,
                             reason="館内整理日", actor=shiba_manager)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancel_reason == "館内整理日"
    assert slot.is_closed and slot.booked == 0
    assert len(mail.outbox) == 1 and "館内整理日" in mail.outbox[0].body
    # No slot of the closed day is made again, and nothing can be booked then.
    assert services.slots_ensure(resource=seats, start=TUESDAY, end=TUESDAY) == 0
    with pytest.raises(ValidationFailed):
        book(slot, taro)
    assert AuditEvent.objects.filter(action="booking.closure_add").count() == 1


def test_only_slot_managers_close_and_reopen(seats, hanako, shiba_clerk, shiba_manager):
    slot = slot_at(seats, TUESDAY, 10)
    for actor in (hanako, shiba_clerk):
        with pytest.raises(PermissionDeniedError):
            services.slot_close(slot=slot, reason="x", actor=actor)
    slot.refresh_from_db()
    assert not slot.is_closed
    with pytest.raises(ValidationFailed):
        services.slot_close(slot=slot, reason="  ", actor=shiba_manager)
    services.slot_close(slot=slot, reason="点検", actor=shiba_manager)
    with pytest.raises(ConflictError):
        services.slot_close(slot=slot, reason="点検", actor=shiba_manager)
    services.slot_reopen(slot=slot, actor=shiba_manager)
    slot.refresh_from_db()
    assert not slot.is_closed and slot.closed_reason == ""


# --- booking -------------------------------------------------------------------------------

def test_booking_takes_a_place_and_confirms_by_email(seats, hanako, on_commit):
    slot = slot_at(seats, TUESDAY, 10)
    with on_commit():
        booking = book(slot, hanako)
    slot.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and slot.booked == 1
    assert booking.reference.startswith("B") and len(booking.reference) == 9
    assert len(mail.outbox) == 1
    assert booking.reference in mail.outbox[0].subject
    assert f"/bookings/b/{booking.pk}/" in mail.outbox[0].body
    event = booking.events.get()
    assert event.kind == BookingEvent.Kind.CONFIRMED and event.notified_at is not None


def test_the_same_person_cannot_book_one_slot_twice(seats, hanako):
    slot = slot_at(seats, TUESDAY, 10)
    book(slot, hanako)
    with pytest.raises(ConflictError) as error:
        book(slot, hanako)
    assert error.value.code == "already_booked"
    slot.refresh_from_db()
    assert slot.booked == 1 and Booking.objects.count() == 1


def test_the_database_refuses_a_second_live_booking_and_overbooking(seats, hanako):
    slot = slot_at(seats, TUESDAY, 10)
    booking = book(slot, hanako)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(reference="BDUPLICATE", resource=seats, slot=slot, user=hanako,
                               status="confirmed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=F("capacity") + 1)
    assert booking.pk


@pytest.mark.parametrize(("when", "message"), [
    (datetime.datetime(2031, 6, 1, 10, tzinfo=TOKYO), "past"),
    (datetime.datetime(2031, 7, 10, 10, tzinfo=TOKYO), "days ahead"),
])
def test_bookings_in_the_past_or_too_far_ahead_are_refused(seats, hanako, when, message):
    services.slots_ensure(resource=seats, start=when.date(), end=when.date())
    slot = seats.slots.get(starts_at=when)
    with pytest.raises(ValidationFailed) as error:
        book(slot, hanako)
    assert message in str(error.value.message)
    slot.refresh_from_db()
    assert slot.booked == 0 and not Booking.objects.exists()


def test_minimum_notice_is_enforced(minato, hanako):
    checkup = make_resource("test-checkup", min_notice_minutes=1560,
                            kind=Resource.Kind.HEALTH_CHECKUP)
    in_25_hours = slot_at(checkup, TUESDAY, 9)
    with pytest.raises(ValidationFailed) as error:
        book(in_25_hours, hanako)
    assert "1560 minutes" in str(error.value.message)
    assert book(slot_at(checkup, TUESDAY, 10), hanako).status == "confirmed"


def test_a_slot_outside_the_opening_hours_is_refused(seats, hanako):
    slot = slot_at(seats, TUESDAY, 16)
    seats.opening_hours.filter(weekday=TUESDAY.weekday()).update(closes=datetime.time(12))
    with pytest.raises(ValidationFailed) as error:
        book(slot, hanako)
    assert "opening hours" in str(error.value.message)


def test_per_person_limit_and_places_per_booking(seats, hanako):
    seats.max_active_bookings = 2
    seats.save()
    book(slot_at(seats, TUESDAY, 9), hanako)
    book(slot_at(seats, TUESDAY, 10), hanako)
    with pytest.raises(ValidationFailed) as error:
        book(slot_at(seats, TUESDAY, 11), hanako)
    assert "at most 2" in str(error.value.message)
    with pytest.raises(ValidationFailed):
        book(slot_at(seats, TUESDAY, 12), hanako, places=2)
    assert Booking.objects.count() == 2


def test_audiences(minato, hanako, shiba_clerk, django_user_model):
    visitor = django_user_model.objects.create_user(email="visitor@example.com",
                                                    password="x-visitor-1234")
    residents_only = make_resource("test-residents", audience=Resource.Audience.RESIDENTS)
    with pytest.raises(ValidationFailed) as error:
        book(slot_at(residents_only, TUESDAY, 10), visitor)
    assert "residents" in str(error.value.message)
    assert book(slot_at(residents_only, TUESDAY, 10), hanako).status == "confirmed"
    counter_only = make_resource("test-counter", audience=Resource.Audience.STAFF_ONLY)
    with pytest.raises(ValidationFailed):
        book(slot_at(counter_only, TUESDAY, 10), hanako)
    booking = book(slot_at(counter_only, TUESDAY, 10), hanako, actor=shiba_clerk)
    assert booking.booked_by == shiba_clerk
    assert AuditEvent.objects.filter(action="booking.create_on_behalf",
                                     target_id=str(booking.pk)).exists()


def test_a_resident_cannot_book_on_behalf_of_another(seats, hanako, taro):
    with pytest.raises(PermissionDeniedError):
        book(slot_at(seats, TUESDAY, 10), taro, actor=hanako)
    assert not Booking.objects.exists()


def test_a_full_slot_refuses_or_waitlists(seats, hanako, taro, emily):
    slot = slot_at(seats, TUESDAY, 10)
    book(slot, hanako)
    book(slot, taro)
    with pytest.raises(services.SlotFull):
        book(slot, emily)
    waiting = book(slot, emily, waitlist=True)
    assert waiting.status == Booking.Status.WAITLISTED
    slot.refresh_from_db()
    assert slot.booked == 2
    seats.waitlist_enabled = False
    seats.save()
    slot2 = slot_at(seats, TUESDAY, 11)
    book(slot2, hanako)
    book(slot2, taro)
    with pytest.raises(services.SlotFull):
        book(slot2, emily, waitlist=True)


# --- cancel and waitlist ----------------------------------------------------------------------

def test_cancelling_promotes_the_first_on_the_waitlist_and_tells_them(
        seats, hanako, taro, emily, resident_persona, on_commit):
    slot = slot_at(seats, TUESDAY, 10)
    first = book(slot, hanako)
    book(slot, taro)
    waiting = book(slot, emily, waitlist=True)
    mail.outbox.clear()
    with on_commit():
        services.booking_cancel(booking=first, actor=hanako, now=NOW)
    waiting.refresh_from_db()
    slot.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED and waiting.promoted_at == NOW
    assert slot.booked == 2
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2
    # Emily prefers English: her notice is in English.
    promoted = next(m for m in mail.outbox if m.to == [emily.email])
    assert "A place became free" in promoted.body


def test_a_waitlist_request_larger_than_the_free_places_is_skipped(
        minato, hanako, taro, emily, resident_persona):
    childcare = make_resource("test-childcare", capacity=3, max_places_per_booking=3,
                              kind=Resource.Kind.TEMPORARY_CHILDCARE)
    slot = slot_at(childcare, TUESDAY, 10)
    first = book(slot, hanako, places=1)
    book(slot, taro, places=2)
    big = book(slot, emily, places=2, waitlist=True)
    from cityhall.core.tests.factories import ResidentFactory

    small_user = ResidentFactory().user
    small = book(slot, small_user, places=1, waitlist=True)
    services.booking_cancel(booking=first, actor=hanako, now=NOW)
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == "waitlisted" and small.status == "confirmed"
    slot.refresh_from_db()
    assert slot.booked == 3


def test_cancellation_deadline_binds_the_holder_not_staff(seats, hanako, shiba_clerk):
    seats.cancel_deadline_minutes = 1440
    seats.save()
    slot = slot_at(seats, TUESDAY, 10)
    booking = book(slot, hanako)
    late = datetime.datetime(2031, 6, 2, 12, tzinfo=TOKYO)
    with pytest.raises(ValidationFailed) as error:
        services.booking_cancel(booking=booking, actor=hanako, now=late)
    assert "deadline" in str(error.value.message)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    services.booking_cancel(booking=booking, actor=shiba_clerk, reason="電話で取消", now=late)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert AuditEvent.objects.filter(action="booking.cancel").count() == 1


def test_nobody_else_cancels_a_booking(seats, hanako, taro, auditor):
    booking = book(slot_at(seats, TUESDAY, 10), hanako)
    for actor in (taro, auditor):
        with pytest.raises(PermissionDeniedError):
            services.booking_cancel(booking=booking, actor=actor, now=NOW)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    services.booking_cancel(booking=booking, actor=hanako, now=NOW)
    with pytest.raises(ConflictError):
        services.booking_cancel(booking=booking, actor=hanako, now=NOW)


def test_a_closed_slot_refuses_even_the_waitlist(seats, hanako, shiba_manager):
    slot = slot_at(seats, TUESDAY, 10)
    services.slot_close(slot=slot, reason="点検", actor=shiba_manager)
    with pytest.raises(ValidationFailed) as error:
        book(slot, hanako, waitlist=True)
    assert "点検" in str(error.value.message)
    assert not Booking.objects.exists()


# --- check-in, no-shows, reminders ------------------------------------------------------------

def test_check_in_window_and_no_show_release(seats, hanako, taro, emily, shiba_clerk):
    seats.checkin_required = True
    seats.save()
    slot = slot_at(seats, MONDAY, 10)
    a = book(slot, hanako)
    b = book(slot, taro)
    waiting = book(slot, emily, waitlist=True)
    too_early = datetime.datetime(2031, 6, 2, 9, 30, tzinfo=TOKYO)
    with pytest.raises(ValidationFailed):
        services.booking_check_in(booking=a, actor=hanako, now=too_early)
    on_time = datetime.datetime(2031, 6, 2, 9, 50, tzinfo=TOKYO)
    services.booking_check_in(booking=a, actor=shiba_clerk, now=on_time)
    a.refresh_from_db()
    assert a.status == "checked_in" and a.checked_in_at == on_time
    # Taro never comes: 30 minutes after the start his seat goes to Emily.
    assert services.release_no_shows(now=datetime.datetime(2031, 6, 2, 10, 20,
                                                           tzinfo=TOKYO)) == 0
    assert services.release_no_shows(now=datetime.datetime(2031, 6, 2, 10, 31,
                                                           tzinfo=TOKYO)) == 1
    b.refresh_from_db()
    waiting.refresh_from_db()
    slot.refresh_from_db()
    assert b.status == "no_show" and waiting.status == "confirmed" and slot.booked == 2
    # Emily was given the seat at 10:31, so she has until 11:01 to check in, not 10:30.
    waiting.refresh_from_db()
    assert services.release_no_shows(now=datetime.datetime(2031, 6, 2, 10, 50,
                                                           tzinfo=TOKYO)) == 0
    services.booking_check_in(booking=waiting, actor=emily,
                              now=datetime.datetime(2031, 6, 2, 10, 55, tzinfo=TOKYO))
    waiting.refresh_from_db()
    assert waiting.status == "checked_in"


def test_a_released_seat_can_be_booked_for_the_rest_of_the_slot(seats, hanako, taro):
    seats.checkin_required = True
    seats.capacity = 1
    seats.save()
    slot = slot_at(seats, MONDAY, 10)
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    book(slot, hanako)
    services.release_no_shows(now=datetime.datetime(2031, 6, 2, 10, 31, tzinfo=TOKYO))
    walk_in = book(slot, taro, now=datetime.datetime(2031, 6, 2, 10, 35, tzinfo=TOKYO))
    assert walk_in.status == "confirmed"


def test_self_check_in_with_the_code_posted_at_the_facility(seats, hanako, taro):
    seats.checkin_required = True
    seats.save()
    booking = book(slot_at(seats, MONDAY, 10), hanako)
    at = datetime.datetime(2031, 6, 2, 9, 55, tzinfo=TOKYO)
    with pytest.raises(ValidationFailed):
        services.booking_self_check_in(resource=seats, secret="wrong", user=hanako, now=at)
    with pytest.raises(ValidationFailed):
        services.booking_self_check_in(resource=seats, secret=seats.checkin_secret, user=taro,
                                       now=at)
    done = services.booking_self_check_in(resource=seats, secret=seats.checkin_secret,
                                          user=hanako, now=at)
    assert done.pk == booking.pk and done.status == "checked_in"


def test_another_resident_cannot_check_a_booking_in(seats, hanako, taro):
    booking = book(slot_at(seats, MONDAY, 10), hanako)
    with pytest.raises(PermissionDeniedError):
        services.booking_check_in(booking=booking, actor=taro,
                                  now=datetime.datetime(2031, 6, 2, 9, 55, tzinfo=TOKYO))


def test_reminders_are_sent_once(seats, hanako, on_commit):
    seats.reminder_hours = 24
    seats.save()
    booking = book(slot_at(seats, TUESDAY, 10), hanako)
    mail.outbox.clear()
    with on_commit():
        assert services.send_due_reminders(now=NOW) == 0  # 26 hours before
    later = datetime.datetime(2031, 6, 2, 11, tzinfo=TOKYO)
    with on_commit():
        assert services.send_due_reminders(now=later) == 1
    with on_commit():
        assert services.send_due_reminders(now=later) == 0
    assert len(mail.outbox) == 1 and booking.reference in mail.outbox[0].subject


def test_a_notice_is_sent_once_even_if_its_task_runs_twice(seats, hanako, on_commit):
    from cityhall.bookings.tasks import notify_booking_event

    with on_commit():
        booking = book(slot_at(seats, TUESDAY, 10), hanako)
    event = booking.events.get()
    assert notify_booking_event.call(event.pk) == "already sent"
    assert len(mail.outbox) == 1


# --- fees, items and areas (bulky waste) ------------------------------------------------------

@pytest.fixture
def bulky_shiba(minato):
    from cityhall.core.models import BranchOffice

    resource = make_resource("test-bulky-shiba", kind=Resource.Kind.BULKY_WASTE, capacity=2,
                             slot_minutes=480, audience=Resource.Audience.RESIDENTS,
                             allow_sticker=True, area=BranchOffice.objects.get(code="shiba"),
                             waitlist_enabled=False)
    PricedItem.objects.update_or_create(kind="bulky_waste", code="chair",
                                        defaults={"name": "いす", "name_en": "Chair",
                                                  "fee_yen": 400})
    PricedItem.objects.update_or_create(kind="bulky_waste", code="sofa-2",
                                        defaults={"name": "ソファ", "name_en": "Sofa",
                                                  "fee_yen": 2000})
    return resource


def test_bulky_waste_fee_is_the_sum_of_the_items(bulky_shiba, hanako):
    town = hanako.resident_profile.town
    slot = slot_at(bulky_shiba, TUESDAY, 9)
    booking = book(slot, hanako, items={"chair": 2, "sofa-2": 1}, town=town,
                   payment_method="sticker")
    assert booking.fee_yen == 2 * 400 + 2000
    assert [line["code"] for line in booking.details["items"]] == ["chair", "sofa-2"]
    assert booking.payment_status == "pending" and booking.payment_method == "sticker"


@pytest.mark.parametrize(("items", "message"), [
    ({}, "at least one"),
    ({"piano": 1}, "from the list"),
    ({"chair": -1}, "whole number"),
    ({"chair": 11}, "at most 10"),
])
def test_bulky_waste_bad_items_are_refused(bulky_shiba, hanako, items, message):
    with pytest.raises(ValidationFailed) as error:
        book(slot_at(bulky_shiba, TUESDAY, 9), hanako, items=items,
             town=hanako.resident_profile.town, payment_method="sticker")
    assert message in str(error.value.message)
    assert not Booking.objects.exists()


def test_bulky_waste_address_must_be_in_the_area(bulky_shiba, hanako, taro):
    with pytest.raises(ValidationFailed) as error:
        book(slot_at(bulky_shiba, TUESDAY, 9), taro, items={"chair": 1},
             town=taro.resident_profile.town, payment_method="sticker")
    assert "not in the area" in str(error.value.message)
    other_town = Town.objects.exclude(branch_office__code="shiba").first()
    with pytest.raises(ValidationFailed):
        book(slot_at(bulky_shiba, TUESDAY, 9), hanako, items={"chair": 1}, town=other_town,
             payment_method="sticker")


def test_a_fee_needs_a_payment_method_the_resource_takes(bulky_shiba, hanako):
    with pytest.raises(ValidationFailed) as error:
        book(slot_at(bulky_shiba, TUESDAY, 9), hanako, items={"chair": 1},
             town=hanako.resident_profile.town, payment_method="at_facility")
    assert error.value.field == "payment_method"


def test_the_daily_quota_of_an_area_holds(bulky_shiba, hanako, resident_persona):
    from cityhall.core.tests.factories import ResidentFactory

    slot = slot_at(bulky_shiba, TUESDAY, 9)
    town = hanako.resident_profile.town
    book(slot, hanako, items={"chair": 1}, town=town, payment_method="sticker")
    other = ResidentFactory(town=town).user
    book(slot, other, items={"chair": 1}, town=town, payment_method="sticker")
    third = ResidentFactory(town=town).user
    with pytest.raises(services.SlotFull):
        book(slot, third, items={"chair": 1}, town=town, payment_method="sticker")


def test_online_fee_is_paid_through_the_payments_engine(minato, hanako, on_commit):
    from cityhall.payments import services as payments

    room = make_resource("test-room-fee", kind=Resource.Kind.ROOM, capacity=1, fee_yen=1800)
    booking = book(slot_at(room, TUESDAY, 10), hanako, payment_method="online")
    assert booking.fee_yen == 1800 and booking.payment_status == "pending"
    payment = services.booking_pay_online(booking=booking, actor=hanako)
    assert payment.purpose == f"bookings.booking:{booking.reference}"
    assert payment.amount_yen == 1800
    assert services.booking_pay_online(booking=booking, actor=hanako).pk == payment.pk
    with on_commit():
        payments.sandbox_pay(payment=payment, outcome="success", actor=hanako)
    booking.refresh_from_db()
    assert booking.payment_status == "paid" and booking.payment_reference == payment.reference
    # Cancelling a paid booking leaves the refund to staff (second-person approval).
    services.booking_cancel(booking=booking, actor=hanako, now=NOW)
    booking.refresh_from_db()
    assert booking.payment_status == "refund_due"


def test_another_person_cannot_pay_or_start_a_payment(minato, hanako, taro):
    room = make_resource("test-room-fee2", kind=Resource.Kind.ROOM, capacity=1, fee_yen=1800)
    booking = book(slot_at(room, TUESDAY, 10), hanako, payment_method="online")
    with pytest.raises(PermissionDeniedError):
        services.booking_pay_online(booking=booking, actor=taro)


def test_an_unpaid_online_booking_is_released_after_the_hold(minato, hanako, taro, settings):
    settings.BOOKING_PAYMENT_HOLD_MINUTES = 60
    room = make_resource("test-room-hold", kind=Resource.Kind.ROOM, capacity=1, fee_yen=1800)
    slot = slot_at(room, TUESDAY, 10)
    booking = book(slot, hanako, payment_method="online")
    waiting = book(slot, taro, payment_method="online", waitlist=True)
    from django.utils import timezone

    # Both booked over an hour ago; Taro has waited, not held a place, so only Hanako's
    # unpaid place is released, and Taro's hold starts when he is promoted.
    Booking.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=61))
    with pytest.raises(ConflictError):
        services.booking_pay_online(booking=waiting, actor=taro)
    assert services.expire_unpaid_bookings() == 1
    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert booking.status == "cancelled" and booking.payment_status == "not_required"
    assert waiting.status == "confirmed" and waiting.promoted_at is not None
    assert services.expire_unpaid_bookings() == 0
    assert services.booking_pay_online(booking=waiting, actor=taro).amount_yen == 1800


# --- reference data -------------------------------------------------------------------------

def test_minato_resources_are_loaded(minato):
    resources = Resource.objects.filter(code__in=[
        "mita-library-study-seats", "kodomo-temporary-childcare", "hokenjo-checkup-4months",
        "bulky-waste-shiba", "azabu-kumin-room-a", "sports-center-table-tennis"])
    assert resources.count() == 6
    seats = Resource.objects.get(code="mita-library-study-seats")
    assert seats.checkin_required and seats.facility.name == "港区立三田図書館"
    assert Resource.objects.get(code="bulky-waste-azabu").area.code == "azabu"
    assert PricedItem.objects.filter(kind="bulky_waste").count() >= 10
