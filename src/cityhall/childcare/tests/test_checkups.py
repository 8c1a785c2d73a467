"""Infant health checkups (取組23): the age periods at their edges (month-end births, leap
years), booking a session for a child through the bookings engine (inside and outside the
period, once per child and checkup, capacity, twins, another resident's child), cancelling
and rebooking, reminders and no-shows, and the reference data."""

import datetime
import json

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from cityhall.bookings import services as bookings
from cityhall.bookings.models import Booking, BookingEvent, Resource, Slot
from cityhall.childcare.models import CheckupKind
from cityhall.childcare.services import checkups
from cityhall.core.errors import ConflictError, NotFoundError, ValidationFailed

from .checkup_fixtures import NOW, TOKYO, make_child, session

pytestmark = pytest.mark.django_db

D = datetime.date


def snapshot():
    return (sorted(Booking.objects.values_list("reference", "status", "subject")),
            sorted(Slot.objects.filter(booked__gt=0).values_list("pk", "booked")))


def book(child, kind, slot, actor=None, now=NOW):
    return checkups.checkup_book(child=child, kind=kind, slot=slot,
                                 actor=actor or child.guardian.user, now=now)


# --- the periods ------------------------------------------------------------------------------

def period(code, born):
    return CheckupKind(code=code, from_months={"4m": 3, "3y": 36, "18m": 18}[code],
                       until_months={"4m": 5, "3y": 48, "18m": 24}[code]).window(born)


@pytest.mark.parametrize(("born", "starts_on", "ends_on"), [
    # 生後3か月に至る日: the day before the same date 3 months later ...
    (D(2025, 11, 28), D(2026, 2, 27), D(2026, 4, 26)),
    # ... or the last day of that month when it has no such date (no 29/30 February 2026).
    (D(2025, 11, 29), D(2026, 2, 28), D(2026, 4, 27)),
    (D(2025, 11, 30), D(2026, 2, 28), D(2026, 4, 28)),
    # In a leap year 29 February exists: the day before it.
    (D(2023, 11, 29), D(2024, 2, 28), D(2024, 4, 27)),
    (D(2023, 11, 30), D(2024, 2, 29), D(2024, 4, 28)),
    # The end: the day before one reaches 5 months (31 January + 5 months = no 31 June).
    (D(2026, 1, 31), D(2026, 4, 30), D(2026, 6, 29)),
    (D(2025, 9, 30), D(2025, 12, 29), D(2026, 2, 27)),
])
def test_the_3_to_4_month_period_at_month_ends(born, starts_on, ends_on):
    assert period("4m", born) == (starts_on, ends_on)


@pytest.mark.parametrize(("code", "born", "starts_on", "ends_on"), [
    # 3歳児 (母子保健法 第12条): "3歳前日から4歳前々日まで".
    ("3y", D(2023, 4, 2), D(2026, 4, 1), D(2027, 3, 31)),
    ("3y", D(2023, 4, 1), D(2026, 3, 31), D(2027, 3, 30)),
    # Born on 29 February: one reaches 3 on 28 February of a common year.
    ("3y", D(2024, 2, 29), D(2027, 2, 28), D(2028, 2, 27)),
    ("18m", D(2024, 8, 31), D(2026, 2, 28), D(2026, 8, 29)),
])
def test_the_legal_periods(code, born, starts_on, ends_on):
    assert period(code, born) == (starts_on, ends_on)


@pytest.mark.parametrize(("born", "day", "months"), [
    (D(2025, 1, 31), D(2025, 2, 28), 0),  # reaches 1 month at the end of 28 February
    (D(2025, 1, 31), D(2025, 3, 1), 1),
    (D(2025, 1, 15), D(2025, 2, 14), 0),
    (D(2025, 1, 15), D(2025, 2, 15), 1),
    (D(2024, 2, 29), D(2027, 3, 1), 36),
    (D(2025, 1, 15), D(2025, 1, 15), 0),
])
def test_age_in_completed_months(born, day, months):
    assert checkups.age_in_months(born, day) == months


def test_age_labels_in_english(settings):
    from django.utils import translation

    with translation.override("en"):
        assert checkups.age_label(D(2030, 1, 10), D(2031, 8, 10)) == "1 year 7 months"
        assert checkups.age_label(D(2031, 2, 15), D(2031, 6, 3)) == "3 months"
        assert checkups.age_label(D(2031, 5, 15), D(2031, 6, 15)) == "1 month"


# --- booking ----------------------------------------------------------------------------------

def test_a_guardian_books_a_session_inside_the_period(hanako, kind, sessions):
    child = make_child(hanako)
    slot = session(sessions, D(2031, 6, 5))
    booking = book(child, kind, slot)
    assert booking.status == "confirmed" and booking.user == hanako.user
    assert booking.subject == f"childcare.checkup:{child.pk}:test-4m"
    assert child.name not in booking.subject
    slot.refresh_from_db()
    assert slot.booked == 1
    assert BookingEvent.objects.filter(booking=booking, kind="confirmed").exists()


@pytest.mark.parametrize(("day", "allowed"), [
    (D(2031, 6, 10), True),   # a session well inside
    (D(2031, 7, 13), True),   # the last day of the period (the day before 5 months)
    (D(2031, 7, 14), False),  # the day the child reaches 5 months
    (D(2031, 8, 1), False),
])
def test_only_sessions_inside_the_period_can_be_booked(hanako, kind, sessions, day,
                                                      allowed):
    child = make_child(hanako)  # born 15 Feb 2031: 14 May to 13 July 2031
    slot = session(sessions, day)
    if allowed:
        assert book(child, kind, slot).status == "confirmed"
        return
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        book(child, kind, slot)
    assert refused.value.code == "outside_period"
    with translation.override("en"):
        assert "outside your child's period" in str(refused.value.message)
    assert snapshot() == before


def test_the_first_day_of_the_period(hanako, kind, sessions):
    # Born 3 March 2031: reaches 3 months on 2 June, so a session on 2 June is in the period
    # and one on 1 June (seen from 31 May) is not.
    child = make_child(hanako, born=D(2031, 3, 3))
    early = datetime.datetime(2031, 5, 31, 8, 0, tzinfo=TOKYO)
    with pytest.raises(ValidationFailed):
        book(child, kind, session(sessions, D(2031, 6, 1)), now=early)
    assert book(child, kind, session(sessions, D(2031, 6, 2)), now=early).status == "confirmed"


def test_one_booking_per_child_and_checkup(hanako, kind, sessions):
    child = make_child(hanako)
    first = book(child, kind, session(sessions, D(2031, 6, 5)))
    before = snapshot()
    for other in (session(sessions, D(2031, 6, 6)), session(sessions, D(2031, 6, 5))):
        with pytest.raises(ConflictError) as conflict:
            book(child, kind, other)
        assert first.reference in str(conflict.value.message)
    assert snapshot() == before


def test_the_database_holds_one_live_booking_per_subject(hanako, kind, sessions):
    child = make_child(hanako)
    first = book(child, kind, session(sessions, D(2031, 6, 5)))
    other = session(sessions, D(2031, 6, 6))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(reference="TESTDUP1", resource=sessions, slot=other,
                               user=hanako.user, status="confirmed", subject=first.subject)


def test_twins_can_be_booked_into_the_same_session(hanako, kind, sessions):
    sakura = make_child(hanako)
    kaede = make_child(hanako, name="港 かえで")
    slot = session(sessions, D(2031, 6, 5))
    assert book(sakura, kind, slot).status == "confirmed"
    assert book(kaede, kind, slot).status == "confirmed"
    slot.refresh_from_db()
    assert slot.booked == 2


def test_a_full_session_is_refused(hanako, taro, emily, kind, sessions):
    slot = session(sessions, D(2031, 6, 5))
    book(make_child(taro, name="麻布 一郎"), kind, slot)
    book(make_child(emily, name="Takanawa Ken"), kind, slot)
    child = make_child(hanako)
    before = snapshot()
    with pytest.raises(bookings.SlotFull):
        book(child, kind, slot)
    assert snapshot() == before
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 2


def test_nobody_books_for_a_child_that_is_not_theirs(hanako, taro, kind, sessions):
    child = make_child(hanako)
    slot = session(sessions, D(2031, 6, 5))
    before = snapshot()
    with pytest.raises(NotFoundError):
        book(child, kind, slot, actor=taro.user)
    # Not through the engine directly either, with a subject naming her child.
    with pytest.raises(NotFoundError):
        bookings.booking_create(slot=slot, user=taro.user, actor=taro.user, now=NOW,
                                subject=checkups.subject_key(child, kind))
    assert snapshot() == before


def test_the_sessions_are_booked_for_a_child_only(hanako, kind, sessions):
    slot = session(sessions, D(2031, 6, 5))
    before = snapshot()
    with translation.override("en"), pytest.raises(bookings.BookingRefused) as refused:
        bookings.booking_create(slot=slot, user=hanako.user, actor=hanako.user, now=NOW)
    with translation.override("en"):
        assert "booked for a child" in str(refused.value.message)
    for subject in ("childcare.checkup:x:test-4m", "childcare.checkup:1", "other.kind:1:2"):
        with pytest.raises((ValidationFailed, NotFoundError)):
            bookings.booking_create(slot=slot, user=hanako.user, actor=hanako.user, now=NOW,
                                    subject=subject)
    assert snapshot() == before


def test_a_session_of_another_checkup_or_a_clinic_checkup_is_refused(hanako, kind,
                                                                     sessions):
    child = make_child(hanako)
    clinic = CheckupKind.objects.get(code="6-7m")
    with pytest.raises(ValidationFailed):
        book(child, clinic, session(sessions, D(2031, 6, 5)))
    three_years = CheckupKind.objects.get(code="3y")
    with pytest.raises(ValidationFailed):
        book(child, three_years, session(sessions, D(2031, 6, 5)))
    assert not Booking.objects.exists()


def test_a_session_starting_soon_is_too_late(hanako, kind, sessions):
    sessions.min_notice_minutes = 1440
    sessions.save()
    child = make_child(hanako)
    with pytest.raises(ValidationFailed):
        book(child, kind, session(sessions, D(2031, 6, 2)))  # today, 13:00
    assert not Booking.objects.exists()


def test_cancel_and_book_another_session(hanako, kind, sessions):
    child = make_child(hanako)
    first = book(child, kind, session(sessions, D(2031, 6, 5)))
    bookings.booking_cancel(booking=first, actor=hanako.user, now=NOW)
    second = book(child, kind, session(sessions, D(2031, 6, 12)))
    assert second.status == "confirmed" and second.subject == first.subject
    first.refresh_from_db()
    assert first.status == "cancelled"


def test_a_reminder_is_sent_before_the_session(hanako, kind, sessions):
    child = make_child(hanako)
    booking = book(child, kind, session(sessions, D(2031, 6, 3)))
    assert bookings.send_due_reminders(now=NOW) == 1  # 48 hours before
    assert BookingEvent.objects.filter(booking=booking, kind="reminder").count() == 1
    assert bookings.send_due_reminders(now=NOW) == 0


def test_a_missed_session_frees_the_checkup_for_another_booking(hanako, kind,
                                                                sessions):
    child = make_child(hanako)
    missed = book(child, kind, session(sessions, D(2031, 6, 3)))
    after = datetime.datetime(2031, 6, 3, 13, 45, tzinfo=TOKYO)
    assert bookings.release_no_shows(now=after) == 1
    missed.refresh_from_db()
    assert missed.status == "no_show"
    assert book(child, kind, session(sessions, D(2031, 6, 10)), now=after).status == \
        "confirmed"


def test_an_attended_checkup_stays_booked(hanako, kind, sessions):
    child = make_child(hanako)
    booking = book(child, kind, session(sessions, D(2031, 6, 3)))
    bookings.booking_check_in(booking=booking, actor=hanako.user,
                              now=datetime.datetime(2031, 6, 3, 12, 50, tzinfo=TOKYO))
    with pytest.raises(ConflictError):
        book(child, kind, session(sessions, D(2031, 6, 10)),
             now=datetime.datetime(2031, 6, 4, 8, 0, tzinfo=TOKYO))


def test_what_a_child_is_due_for(hanako, kind, sessions):
    child = make_child(hanako)
    entries = {entry.kind.code: entry for entry in checkups.child_checkups(child, now=NOW)}
    test = entries["test-4m"]
    assert (test.starts_on, test.ends_on, test.state) == (D(2031, 5, 14), D(2031, 7, 13),
                                                           "open")
    days = [day for day, _slots in test.sessions]
    assert days[0] == D(2031, 6, 2) and days[-1] == D(2031, 7, 13)
    assert entries["6-7m"].state == "upcoming" and entries["6-7m"].sessions == []
    assert entries["3y"].starts_on == D(2034, 2, 14)
    booking = book(child, kind, session(sessions, D(2031, 6, 5)))
    entries = {entry.kind.code: entry for entry in checkups.child_checkups(child, now=NOW)}
    assert entries["test-4m"].booking == booking and entries["test-4m"].sessions == []


# --- reference data -------------------------------------------------------------------------

def test_the_checkups_of_minato_are_loaded_with_their_sessions(minato):
    from cityhall.bookings.apps import load_minato_resources

    data = json.loads(checkups.DATA_FILE.read_text(encoding="utf-8"))
    assert [row["code"] for row in data["kinds"]] == ["3-4m", "6-7m", "9-10m", "1y6m", "3y"]
    assert CheckupKind.objects.filter(code__in=["3-4m", "6-7m", "9-10m", "1y6m", "3y"]) \
        .count() == 5
    load_minato_resources()
    for kind in CheckupKind.objects.filter(delivery="group"):
        resource = Resource.objects.get(code=kind.resource_code)
        assert resource.facility.code == "minato-hokenjo"
        assert resource.checkin_required and resource.reminder_hours
    assert checkups.load_checkup_kinds() == "5 infant health checkups"  # idempotent
    assert CheckupKind.objects.filter(confirmed=False).count() == 3


def test_staff_keep_the_checkups_through_the_audited_service(minato, shiba_clerk):
    from django.contrib.auth.models import Permission

    from cityhall.core.errors import PermissionDeniedError
    from cityhall.core.models import AuditEvent
    from cityhall.core.tests.factories import StaffFactory

    kind = CheckupKind.objects.get(code="3-4m")
    kind.until_months = 6
    with pytest.raises(PermissionDeniedError):
        checkups.checkup_kind_save(kind=kind, actor=shiba_clerk)
    officer = StaffFactory(roles=("counter_clerk",), branch_office="main")
    officer.user_permissions.add(Permission.objects.get(content_type__app_label="childcare",
                                                        codename="change_checkupkind"))
    for field, value in (("until_months", 3), ("resource_code", "")):
        bad = CheckupKind.objects.get(code="3-4m")
        setattr(bad, field, value)
        with pytest.raises(ValidationFailed) as refused:
            checkups.checkup_kind_save(kind=bad, actor=officer)
        assert refused.value.field == field
    assert CheckupKind.objects.get(code="3-4m").until_months == 5
    assert not AuditEvent.objects.filter(action="childcare.checkup_kind.save").exists()
    checkups.checkup_kind_save(kind=kind, actor=officer)
    assert CheckupKind.objects.get(code="3-4m").until_months == 6
    assert AuditEvent.objects.get(action="childcare.checkup_kind.save").actor == officer
