"""The staff pages of the bookings engine (the back office): who may open each page
(anonymous / resident / staff without the permission / staff with it), the audited reads of
who booked, closing and reopening slots, closures, booking on behalf of a resident,
check-in from the QR code, cancelling and recording fees as staff, and the CSV export in
UTF-8 and Shift_JIS. Bad input is a 400 that changes nothing, never a 500.

The pages run on the real clock, so these tests book slots from tomorrow on."""

import csv
import datetime
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.bookings import services
from cityhall.bookings.models import Booking, Closure, Resource, Slot
from cityhall.bookings.views.staff import CSV_HEADER
from cityhall.core.models import AuditEvent, BranchOffice, Facility

from .conftest import TOKYO, make_resource, slot_at

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def book(slot, user, actor=None, **kwargs):
    return services.booking_create(slot=slot, user=user, actor=actor or user, **kwargs)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and \
        response["Location"].startswith(reverse("account_login"))


def snapshot():
    """What a refused request must leave as it was (audited reads are left out)."""
    return (list(Booking.objects.order_by("reference").values_list(
                "reference", "status", "payment_status", "payment_reference", "places")),
            list(Slot.objects.order_by("pk").values_list("pk", "booked", "is_closed",
                                                        "closed_reason")),
            list(Closure.objects.values_list("starts_on", "ends_on", "reason")),
            list(AuditEvent.objects.exclude(action__in=[
                "booking.read", "booking.list", "resident.list", "resident.read",
                "resident.read_denied"])
                 .order_by("sequence").values_list("action", flat=True)))


@pytest.fixture
def users(request, minato):
    def get(name):
        if name == "anonymous":
            return None
        user = request.getfixturevalue(name)
        return getattr(user, "user", user)
    return get


@pytest.fixture
def booked(seats, hanako):
    """Hanako's booking of tomorrow 10:00 at the test seats."""
    return book(slot_at(seats, tomorrow(), 10), hanako, details={"note": "窓際の席"})


# --- who may open each page ------------------------------------------------------------------

READERS = (["shiba_clerk", "shiba_manager", "auditor"], ["hanako", "reviewer"])
COUNTER = (["shiba_clerk", "shiba_manager"], ["hanako", "reviewer", "auditor"])
MANAGERS = (["shiba_manager"], ["hanako", "reviewer", "auditor", "shiba_clerk"])

STAFF_PAGES = [
    ("staff_home", lambda b: [], READERS),
    ("staff_calendar", lambda b: [b.resource.code], READERS),
    ("staff_slot", lambda b: [b.slot_id], READERS),
    ("staff_booking", lambda b: [b.pk], READERS),
    ("staff_export", lambda b: [b.resource.code], READERS),
    ("staff_book_on_behalf", lambda b: [b.slot_id], COUNTER),
    ("staff_checkin", lambda b: [b.checkin_token], COUNTER),
    ("staff_closure_new", lambda b: [b.resource.code], MANAGERS),
]


@pytest.mark.parametrize(("name", "args", "who"), STAFF_PAGES,
                         ids=[page[0] for page in STAFF_PAGES])
def test_staff_pages_need_their_permission(client, booked, users, name, args, who):
    allowed, refused = who
    url = reverse(f"bookings:{name}", args=args(booked))
    assert is_login_redirect(client.get(url))
    for person in refused:
        client.force_login(users(person))
        assert client.get(url).status_code == 403, person
    for person in allowed:
        client.force_login(users(person))
        assert client.get(url).status_code == 200, person


@pytest.mark.parametrize("name", ["staff_slot_close", "staff_slot_reopen"])
def test_opening_and_closing_slots_needs_manage_slots(client, booked, users, name):
    url = reverse(f"bookings:{name}", args=[booked.slot_id])
    people = {person: users(person) for person in ("hanako", "reviewer", "auditor",
                                                   "shiba_clerk", "shiba_manager")}
    before = snapshot()
    assert is_login_redirect(client.post(url, {"reason": "点検"}))
    for person in ("hanako", "reviewer", "auditor", "shiba_clerk"):
        client.force_login(people[person])
        assert client.post(url, {"reason": "点検"}).status_code == 403, person
    client.force_login(people["shiba_manager"])
    assert client.get(url).status_code == 405
    assert snapshot() == before


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, booked, staff_persona):
    clerk = staff_persona("shiba_clerk", mfa=False)
    client.force_login(clerk)
    response = client.get(reverse("bookings:staff_home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")


def test_unknown_records_are_not_found(client, booked, shiba_manager):
    client.force_login(shiba_manager)
    for name, args in [("staff_calendar", ["no-such-thing"]), ("staff_slot", [10**9]),
                       ("staff_booking", [uuid.uuid4()]), ("staff_checkin", ["not-a-token"]),
                       ("staff_export", ["no-such-thing"]),
                       ("staff_closure_new", ["no-such-thing"]),
                       ("staff_book_on_behalf", [10**9])]:
        assert client.get(reverse(f"bookings:{name}", args=args)).status_code == 404, name
    assert client.post(reverse("bookings:staff_slot_close", args=[10**9]),
                       {"reason": "x"}).status_code == 404


# --- home and calendar -------------------------------------------------------------------------

def test_the_home_page_lists_the_calendars_and_the_check_in_hint(client, seats, shiba_clerk):
    client.force_login(shiba_clerk)
    page = client.get(reverse("bookings:staff_home"), **EN)
    content = page.content.decode()
    assert page.status_code == 200
    today = timezone.localdate().isoformat()
    assert f'{reverse("bookings:staff_calendar", args=[seats.code])}?day={today}' in content
    assert reverse("bookings:staff_calendar", args=["mita-library-study-seats"]) in content
    assert "Scan the QR code on the resident's booking" in content
    assert "No fees to refund." in content


def test_the_home_page_links_a_refund_due_to_its_payment(client, minato, hanako, shiba_clerk,
                                                         on_commit):
    from cityhall.payments.services import payment_take_at_counter

    room = make_resource("test-room", kind=Resource.Kind.ROOM, capacity=1, fee_yen=1800,
                         facility=Facility.objects.filter(kind="community").first()
                         or Facility.objects.first())
    paid = book(slot_at(room, tomorrow(), 9), hanako, payment_method="at_facility")
    at_counter = book(slot_at(room, tomorrow(), 10), hanako, payment_method="at_facility")
    with on_commit():
        payment = payment_take_at_counter(
            purpose=services.purpose_of(paid), purpose_label="集会室", amount_yen=1800,
            method="cash", idempotency_key="test-room-1", actor=shiba_clerk)
    services.booking_fee_taken(booking=at_counter, reference="R-77", actor=shiba_clerk)
    services.booking_cancel(booking=paid, actor=shiba_clerk, reason="設備故障")
    services.booking_cancel(booking=at_counter, actor=shiba_clerk, reason="設備故障")
    assert set(Booking.objects.values_list("payment_status", flat=True)) == {"refund_due"}

    client.force_login(shiba_clerk)
    content = client.get(reverse("bookings:staff_home"), **EN).content.decode()
    assert paid.reference in content and at_counter.reference in content
    assert reverse("payments:staff_payment", args=[payment.pk]) in content
    assert f"Payment {payment.reference}: ask for the refund" in content
    assert "Paid at the facility (receipt R-77): refund at the counter." in content


def test_the_calendar_shows_the_day_with_its_counts(client, seats, hanako, taro,
                                                    shiba_manager, shiba_clerk):
    day = tomorrow()
    ten = slot_at(seats, day, 10)
    book(ten, hanako)
    book(ten, taro, actor=shiba_manager)
    eleven = slot_at(seats, day, 11)
    services.slot_close(slot=eleven, reason="点検のため", actor=shiba_manager)
    client.force_login(shiba_manager)
    page = client.get(reverse("bookings:staff_calendar", args=[seats.code]),
                      {"day": day.isoformat()}, **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert reverse("bookings:staff_slot", args=[ten.pk]) in content
    assert "10:00–11:00" in content and "Full" in content
    assert "Closed to bookings</strong>: 点検のため" in content
    assert f"?day={(day - datetime.timedelta(days=1)).isoformat()}" in content
    assert f"?day={(day + datetime.timedelta(days=1)).isoformat()}" in content
    assert reverse("bookings:staff_export", args=[seats.code]) in content
    assert reverse("bookings:staff_closure_new", args=[seats.code]) in content
    # Names are not on the calendar: they are read (and audited) per slot.
    assert "花子" not in content and "太郎" not in content
    assert not AuditEvent.objects.filter(action="booking.list").exists()
    # A clerk sees no closure link.
    client.force_login(shiba_clerk)
    content = client.get(reverse("bookings:staff_calendar", args=[seats.code]), **EN) \
        .content.decode()
    assert reverse("bookings:staff_closure_new", args=[seats.code]) not in content


@pytest.mark.parametrize(("day", "message"), [
    ("2026-13-01", "Enter the date as year-month-day, e.g. 2026-04-01."),
    ("yesterday", "Enter the date as year-month-day, e.g. 2026-04-01."),
    ("9999-12-31", "Choose a day within two years of today."),
    ("0001-01-01", "Choose a day within two years of today."),
])
def test_a_bad_calendar_day_is_a_clear_400(client, seats, shiba_clerk, day, message):
    client.force_login(shiba_clerk)
    page = client.get(reverse("bookings:staff_calendar", args=[seats.code]), {"day": day},
                      **EN)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not seats.slots.exists()


# --- a slot --------------------------------------------------------------------------------------

def test_the_slot_page_names_who_booked_and_is_audited(client, booked, taro, shiba_clerk):
    book(booked.slot, taro, actor=shiba_clerk)
    client.force_login(shiba_clerk)
    page = client.get(reverse("bookings:staff_slot", args=[booked.slot_id]), **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert "港 花子" in content and "ミナト ハナコ" in content and "麻布 太郎" in content
    assert booked.reference in content and "窓際の席" in content
    assert reverse("bookings:staff_booking", args=[booked.pk]) in content
    assert reverse("bookings:staff_book_on_behalf", args=[booked.slot_id]) in content
    assert "booked by staff" in content
    # A clerk may not close slots: no form.
    assert reverse("bookings:staff_slot_close", args=[booked.slot_id]) not in content
    event = AuditEvent.objects.get(action="booking.list")
    assert (event.actor, event.target_type, event.target_id, event.details) == (
        shiba_clerk, "bookings.slot", str(booked.slot_id), {"shown": 2})


def test_a_manager_closes_and_reopens_a_slot(client, booked, shiba_manager, on_commit):
    slot_url = reverse("bookings:staff_slot", args=[booked.slot_id])
    client.force_login(shiba_manager)
    assert reverse("bookings:staff_slot_close", args=[booked.slot_id]) in \
        client.get(slot_url, **EN).content.decode()
    with on_commit():
        response = client.post(reverse("bookings:staff_slot_close", args=[booked.slot_id]),
                               {"reason": "空調の故障"}, **EN)
    assert response.status_code == 302 and response["Location"] == slot_url
    booked.refresh_from_db()
    slot = Slot.objects.get(pk=booked.slot_id)
    assert (slot.is_closed, slot.closed_reason, slot.booked) == (True, "空調の故障", 0)
    assert (booked.status, booked.cancel_reason) == ("cancelled", "空調の故障")
    assert booked.events.filter(kind="cancelled_by_city").exists()
    assert AuditEvent.objects.get(action="booking.slot_close").details == {
        "reason": "空調の故障", "cancelled": 1}
    content = client.get(slot_url, **EN).content.decode()
    assert "Bookings cancelled: 1" in content and "Reopen the slot" in content

    response = client.post(reverse("bookings:staff_slot_reopen", args=[booked.slot_id]), **EN)
    assert response.status_code == 302
    slot.refresh_from_db()
    assert (slot.is_closed, slot.closed_reason) == (False, "")
    booked.refresh_from_db()
    assert booked.status == "cancelled"
    # Reopening an open slot is refused with a message and changes nothing.
    before = snapshot()
    response = client.post(reverse("bookings:staff_slot_reopen", args=[booked.slot_id]),
                           follow=True, **EN)
    assert "This slot is open already." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Give the reason for closing, so the people booked are told why."),
    ("   ", "Give the reason for closing, so the people booked are told why."),
    ("x" * 201, "Keep the reason under 200 characters."),
])
def test_closing_a_slot_needs_a_reason(client, booked, shiba_manager, reason, message):
    client.force_login(shiba_manager)
    before = snapshot()
    response = client.post(reverse("bookings:staff_slot_close", args=[booked.slot_id]),
                           {"reason": reason}, **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_closing_a_closed_slot_is_refused(client, booked, shiba_manager):
    services.slot_close(slot=booked.slot, reason="点検", actor=shiba_manager)
    client.force_login(shiba_manager)
    before = snapshot()
    response = client.post(reverse("bookings:staff_slot_close", args=[booked.slot_id]),
                           {"reason": "もう一度"}, **EN)
    assert response.status_code == 400
    assert "This slot is already closed." in response.content.decode()
    assert snapshot() == before


# --- closures ------------------------------------------------------------------------------------

def test_a_closure_shows_what_it_cancels_and_then_cancels_it(client, booked, taro,
                                                             shiba_manager, on_commit):
    day = tomorrow()
    other = book(slot_at(booked.resource, day, 14), taro)
    later = book(slot_at(booked.resource, day + datetime.timedelta(days=2), 10), taro)
    url = reverse("bookings:staff_closure_new", args=[booked.resource.code])
    data = {"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "館内整理日"}
    client.force_login(shiba_manager)
    before = snapshot()
    preview = client.post(url, {**data, "confirm": "0"}, **EN)
    assert preview.status_code == 200
    assert "2 bookings (or waitlist places) on these days will be cancelled." in \
        preview.content.decode()
    assert snapshot() == before

    with on_commit():
        response = client.post(url, {**data, "confirm": "1"}, **EN)
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:staff_calendar", args=[
        booked.resource.code]) + f"?day={day.isoformat()}"
    closure = Closure.objects.get(resource=booked.resource)
    assert (closure.starts_on, closure.ends_on, closure.reason) == (day, day, "館内整理日")
    for booking in (booked, other):
        booking.refresh_from_db()
        assert (booking.status, booking.cancel_reason) == ("cancelled", "館内整理日")
    later.refresh_from_db()
    assert later.status == "confirmed"
    assert AuditEvent.objects.filter(action="booking.closure_add").count() == 1
    page = client.get(response["Location"], **EN).content.decode()
    assert "The closure is added." in page


@pytest.mark.parametrize(("data", "message"), [
    ({"starts_on": "+1", "ends_on": "+0", "reason": "x"},
     "The last day of a closure cannot be before its first day."),
    ({"starts_on": "-1", "ends_on": "+1", "reason": "x"}, "A closure cannot start in the past."),
    ({"starts_on": "+1", "ends_on": "+1", "reason": ""},
     "Give the reason for closing, so the people booked are told why."),
    ({"starts_on": "2026-02-30", "ends_on": "+1", "reason": "x"},
     "Enter the date as year-month-day, e.g. 2026-04-01."),
    ({"starts_on": "+1", "ends_on": "9999-12-31", "reason": "x"},
     "Choose a day within two years of today."),
])
def test_a_bad_closure_is_refused_and_changes_nothing(client, booked, shiba_manager, data,
                                                      message):
    def day(value):
        if value[:1] in "+-":
            return (timezone.localdate() + datetime.timedelta(days=int(value))).isoformat()
        return value

    client.force_login(shiba_manager)
    before = snapshot()
    for confirm in ("0", "1"):
        response = client.post(
            reverse("bookings:staff_closure_new", args=[booked.resource.code]),
            {"starts_on": day(data["starts_on"]), "ends_on": day(data["ends_on"]),
             "reason": data["reason"], "confirm": confirm}, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert snapshot() == before


# --- booking on behalf ---------------------------------------------------------------------------

def test_a_clerk_books_for_a_resident_found_by_kana(client, seats, hanako, shiba_clerk,
                                                    on_commit):
    slot = slot_at(seats, tomorrow(), 13)
    url = reverse("bookings:staff_book_on_behalf", args=[slot.pk])
    client.force_login(shiba_clerk)
    page = client.get(url, **EN)
    assert page.status_code == 200 and "Find the resident" in page.content.decode()

    found = client.get(url, {"q": "ミナト"}, **EN)
    assert found.status_code == 200
    profile = hanako.resident_profile
    assert f"?resident={profile.pk}" in found.content.decode()
    assert AuditEvent.objects.get(action="resident.list").details == {
        "query": "ミナト", "page": 1, "shown": 1}

    form = client.get(url, {"resident": profile.pk}, **EN)
    assert form.status_code == 200
    assert "Book for 港 花子" in form.content.decode()
    with on_commit():
        response = client.post(url, {"resident": profile.pk, "places": "1",
                                     "note": "車椅子で来館"}, **EN)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:staff_booking", args=[booking.pk])
    assert (booking.user, booking.booked_by, booking.slot, booking.status) == (
        hanako, shiba_clerk, slot, "confirmed")
    assert booking.details == {"note": "車椅子で来館"}
    event = AuditEvent.objects.get(action="booking.create_on_behalf")
    assert (event.actor, event.target_id, event.details) == (
        shiba_clerk, str(booking.pk), {"reference": booking.reference, "slot": slot.pk})
    assert AuditEvent.objects.filter(action="resident.read", actor=shiba_clerk,
                                     purpose="booking on behalf").count() == 2
    assert booking.events.get().kind == "confirmed"
    page = client.get(response["Location"], **EN).content.decode()
    assert f"Booked for 港 花子: booking number {booking.reference}." in page


def test_a_full_slot_is_refused_or_waitlisted_on_behalf(client, seats, hanako, taro, emily,
                                                        shiba_manager):
    slot = slot_at(seats, tomorrow(), 13)
    book(slot, taro)
    book(slot, emily)
    url = reverse("bookings:staff_book_on_behalf", args=[slot.pk])
    profile = hanako.resident_profile
    client.force_login(shiba_manager)
    before = snapshot()
    response = client.post(url, {"resident": profile.pk, "places": "1"}, **EN)
    assert response.status_code == 400
    assert "This slot has just been fully booked." in response.content.decode()
    assert snapshot() == before
    response = client.post(url, {"resident": profile.pk, "places": "1", "waitlist": "on"},
                           **EN)
    assert response.status_code == 302
    assert Booking.objects.get(user=hanako).status == "waitlisted"


@pytest.mark.parametrize(("data", "message"), [
    ({"places": "2"}, "Enter at most 1."),
    ({"places": "many"}, "Enter a whole number."),
    ({"places": "1", "note": "x" * 501}, "Keep the note under 500 characters."),
])
def test_bad_details_on_behalf_are_a_400(client, seats, hanako, shiba_clerk, data, message):
    slot = slot_at(seats, tomorrow(), 13)
    client.force_login(shiba_clerk)
    before = snapshot()
    response = client.post(reverse("bookings:staff_book_on_behalf", args=[slot.pk]),
                           {"resident": hanako.resident_profile.pk, **data}, **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_booking_on_behalf_needs_a_resident_of_ones_branch(client, seats, hanako,
                                                           azabu_clerk, shiba_clerk):
    slot = slot_at(seats, tomorrow(), 13)
    url = reverse("bookings:staff_book_on_behalf", args=[slot.pk])
    client.force_login(azabu_clerk)
    before = snapshot()
    # Hanako lives in Shiba: the Azabu clerk neither finds nor opens her record.
    assert "?resident=" not in client.get(url, {"q": "ミナト"}, **EN).content.decode()
    assert client.get(url, {"resident": hanako.resident_profile.pk}).status_code == 403
    assert client.post(url, {"resident": hanako.resident_profile.pk,
                             "places": "1"}).status_code == 403
    assert AuditEvent.objects.filter(action="resident.read_denied").count() == 2
    client.force_login(shiba_clerk)
    assert client.post(url, {"places": "1"}, **EN).status_code == 400
    assert client.get(url, {"resident": "abc"}).status_code == 404
    assert client.get(url, {"q": ""}, **EN).status_code == 400
    assert snapshot() == before


def test_a_bulky_waste_collection_is_booked_on_behalf_with_items(client, minato, hanako,
                                                                 shiba_clerk):
    bulky = make_resource("test-bulky-shiba", kind=Resource.Kind.BULKY_WASTE, capacity=5,
                          slot_minutes=480, audience=Resource.Audience.RESIDENTS,
                          allow_sticker=True, area=BranchOffice.objects.get(code="shiba"),
                          waitlist_enabled=False)
    slot = slot_at(bulky, tomorrow(), 9)
    url = reverse("bookings:staff_book_on_behalf", args=[slot.pk])
    town = hanako.resident_profile.town
    client.force_login(shiba_clerk)
    form = client.get(url, {"resident": hanako.resident_profile.pk}, **EN).content.decode()
    assert 'name="item_chair"' in form and f'value="{town.pk}" selected' in form
    assert 'value="sticker"' in form
    before = snapshot()
    refused = client.post(url, {"resident": hanako.resident_profile.pk, "places": "1",
                                "town": town.pk, "payment_method": "sticker"}, **EN)
    assert refused.status_code == 400
    assert "Choose at least one item." in refused.content.decode()
    assert snapshot() == before
    response = client.post(url, {"resident": hanako.resident_profile.pk, "places": "1",
                                 "item_chair": "2", "town": town.pk,
                                 "payment_method": "sticker", "note": "玄関前"}, **EN)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.fee_yen, booking.payment_method, booking.payment_status) == (
        800, "sticker", "pending")
    assert booking.details["note"] == "玄関前" and booking.details["town_id"] == town.pk
    assert [(line["code"], line["pieces"]) for line in booking.details["items"]] == [
        ("chair", 2)]


# --- a booking -----------------------------------------------------------------------------------

def test_the_booking_page_is_audited_and_shows_the_history(client, booked, shiba_clerk,
                                                           on_commit):
    client.force_login(shiba_clerk)
    page = client.get(reverse("bookings:staff_booking", args=[booked.pk]), **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert booked.reference in content and "港 花子" in content and "窓際の席" in content
    assert "Booking confirmed" in content and "Not yet" in content
    assert "Cancel the booking" in content and 'value="check_in"' in content
    event = AuditEvent.objects.get(action="booking.read")
    assert (event.actor, event.target_type, event.target_id, event.purpose) == (
        shiba_clerk, "bookings.booking", str(booked.pk), "bookings")


def test_staff_cancel_past_the_residents_deadline(client, minato, hanako, shiba_clerk,
                                                  auditor, on_commit):
    strict = make_resource("test-strict", cancel_deadline_minutes=7 * 24 * 60)
    booking = book(slot_at(strict, tomorrow(), 10), hanako)
    with pytest.raises(services.BookingRefused):
        services.booking_cancel(booking=booking, actor=hanako)
    url = reverse("bookings:staff_booking", args=[booking.pk])
    before = snapshot()
    client.force_login(auditor)
    assert client.post(url, {"action": "cancel", "reason": "本人から電話"}).status_code == 403
    assert "Cancel the booking" not in client.get(url, **EN).content.decode()
    client.force_login(shiba_clerk)
    response = client.post(url, {"action": "cancel", "reason": ""}, **EN)
    assert response.status_code == 400
    assert "Give the reason for cancelling." in response.content.decode()
    assert snapshot() == before

    with on_commit():
        response = client.post(url, {"action": "cancel", "reason": "本人から電話"}, **EN)
    assert response.status_code == 302 and response["Location"] == url
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == ("cancelled", "本人から電話")
    assert booking.slot.__class__.objects.get(pk=booking.slot_id).booked == 0
    assert AuditEvent.objects.get(action="booking.cancel").actor == shiba_clerk
    content = client.get(url, **EN).content.decode()
    assert "Booking cancelled by the city" in content and "本人から電話" in content
    # Cancelling again is refused with the reason and changes nothing.
    before = snapshot()
    response = client.post(url, {"action": "cancel", "reason": "二度目"}, **EN)
    assert response.status_code == 400
    assert "This booking is no longer active." in response.content.decode()
    assert snapshot() == before


def test_staff_record_a_fee_paid_at_the_facility(client, minato, hanako, shiba_clerk,
                                                 auditor):
    room = make_resource("test-room", kind=Resource.Kind.ROOM, capacity=1, fee_yen=1800,
                         facility=Facility.objects.first())
    booking = book(slot_at(room, tomorrow(), 9), hanako, payment_method="at_facility")
    assert booking.payment_status == "pending"
    url = reverse("bookings:staff_booking", args=[booking.pk])
    before = snapshot()
    client.force_login(auditor)
    assert client.post(url, {"action": "fee", "reference": "R-1"}).status_code == 403
    client.force_login(shiba_clerk)
    assert "Record the fee paid here" in client.get(url, **EN).content.decode()
    response = client.post(url, {"action": "fee", "reference": "  "}, **EN)
    assert response.status_code == 400
    assert "Enter the receipt number (or the sticker number)." in response.content.decode()
    response = client.post(url, {"action": "whatever"}, follow=True, **EN)
    assert "Choose what to do with the booking." in response.content.decode()
    assert snapshot() == before

    response = client.post(url, {"action": "fee", "reference": "R-0042"}, **EN)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.payment_status, booking.payment_reference) == ("paid", "R-0042")
    event = AuditEvent.objects.get(action="booking.payment_record")
    assert (event.actor, event.details) == (shiba_clerk, {"status": "paid",
                                                          "reference": "R-0042"})
    # Paid already: nothing more to record.
    before = snapshot()
    response = client.post(url, {"action": "fee", "reference": "R-0043"}, **EN)
    assert response.status_code == 400
    assert "This booking has no fee to be paid at the facility." in response.content.decode()
    assert snapshot() == before


# --- check-in from the QR code -------------------------------------------------------------------

@pytest.fixture
def open_all_day(minato):
    """Seats in 5-minute slots round the clock, check-in open an hour before: whatever the
    time the tests run, the next slot can be checked in."""
    resource = make_resource("test-all-day", slot_minutes=5, checkin_required=True,
                             checkin_opens_minutes=60, no_show_after_minutes=5)
    resource.opening_hours.all().delete()
    for weekday in range(7):
        resource.opening_hours.create(weekday=weekday, opens=datetime.time(0),
                                      closes=datetime.time(23, 55))
    return resource


def next_slot(resource) -> Slot:
    today = timezone.localdate()
    services.slots_ensure(resource=resource, start=today,
                          end=today + datetime.timedelta(days=1))
    return resource.slots.filter(starts_at__gt=timezone.now() + datetime.timedelta(
        minutes=1)).order_by("starts_at").first()


def test_a_clerk_checks_a_booking_in_from_its_qr_code(client, open_all_day, hanako,
                                                      shiba_clerk):
    booking = book(next_slot(open_all_day), hanako)
    url = reverse("bookings:staff_checkin", args=[booking.checkin_token])
    client.force_login(shiba_clerk)
    page = client.get(url, **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert "港 花子" in content and booking.reference in content
    assert 'type="submit" class="button">Check in</button>' in content
    event = AuditEvent.objects.get(action="booking.read")
    assert (event.actor, event.target_id, event.purpose) == (shiba_clerk, str(booking.pk),
                                                             "check-in")
    response = client.post(url, **EN)
    assert response.status_code == 302 and response["Location"] == url
    booking.refresh_from_db()
    assert booking.status == "checked_in" and booking.checked_in_at is not None
    assert AuditEvent.objects.get(action="booking.check_in").actor == shiba_clerk
    content = client.get(url, **EN).content.decode()
    assert f"Checked in: {booking.reference}." in content
    assert "Checked in at" in content


def test_a_check_in_outside_its_window_is_a_clear_400(client, booked, shiba_clerk):
    url = reverse("bookings:staff_checkin", args=[booked.checkin_token])
    client.force_login(shiba_clerk)
    before = snapshot()
    response = client.post(url, **EN)
    assert response.status_code == 400
    assert "Check-in opens at 09:45." in response.content.decode()
    # The same from the booking page.
    response = client.post(reverse("bookings:staff_booking", args=[booked.pk]),
                           {"action": "check_in"}, **EN)
    assert response.status_code == 400
    assert "Check-in opens at 09:45." in response.content.decode()
    assert snapshot() == before


def test_an_unknown_check_in_code_is_not_found(client, booked, shiba_clerk):
    client.force_login(shiba_clerk)
    assert client.get(reverse("bookings:staff_checkin", args=["x" * 32])).status_code == 404
    assert client.post(reverse("bookings:staff_checkin", args=["x" * 32])).status_code == 404
    assert not AuditEvent.objects.filter(action="booking.read").exists()


# --- export --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "charset", "codec"), [
    ("utf-8", "utf-8", "utf-8-sig"), ("cp932", "shift_jis", "cp932")])
def test_the_export_downloads_the_bookings_as_csv(client, seats, hanako, taro, shiba_clerk,
                                                  encoding, charset, codec):
    day = tomorrow()
    first = book(slot_at(seats, day, 10), hanako, details={"note": "窓際 🙂"})
    second = book(slot_at(seats, day, 11), taro, actor=shiba_clerk)
    book(slot_at(seats, day + datetime.timedelta(days=3), 11), taro)  # outside the range
    client.force_login(shiba_clerk)
    response = client.get(reverse("bookings:staff_export", args=[seats.code]),
                          {"from": day.isoformat(), "to": day.isoformat(),
                           "encoding": encoding})
    assert response.status_code == 200
    assert response["Content-Type"] == f"text/csv; charset={charset}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bookings-{seats.code}-{day:%Y%m%d}-{day:%Y%m%d}-'
        f'{encoding}.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
    table = list(csv.reader(io.StringIO(response.content.decode(codec), newline="")))
    assert table[0] == CSV_HEADER
    note = "窓際 🙂" if encoding == "utf-8" else "窓際 ?"
    assert table[1:] == [
        [first.reference, day.isoformat(), "10:00", "11:00", "confirmed", "1", "港 花子",
         "ミナト ハナコ", "いいえ", "0", "none", "not_required", "", "", note],
        [second.reference, day.isoformat(), "11:00", "12:00", "confirmed", "1", "麻布 太郎",
         "アザブ タロウ", "はい", "0", "none", "not_required", "", "", ""]]
    event = AuditEvent.objects.get(action="booking.export")
    assert (event.actor, event.target_id, event.details) == (
        shiba_clerk, str(seats.pk), {"code": seats.code, "rows": 2, "from": day.isoformat(),
                                     "until": day.isoformat()})


def test_the_export_defaults_to_the_next_30_days_in_utf8(client, seats, shiba_clerk):
    client.force_login(shiba_clerk)
    response = client.get(reverse("bookings:staff_export", args=[seats.code]),
                          {"encoding": "ebcdic"})
    today = timezone.localdate()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"-{today:%Y%m%d}-{today + datetime.timedelta(days=30):%Y%m%d}-utf-8.csv" in \
        response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").splitlines() == [",".join(CSV_HEADER)]
    assert AuditEvent.objects.get(action="booking.export").details["rows"] == 0


@pytest.mark.parametrize(("query", "message"), [
    ({"from": "2026-02-30"}, "Enter the date as year-month-day, e.g. 2026-04-01."),
    ({"from": "+5", "to": "+1"}, "The last day cannot be before the first day."),
    ({"from": "+0", "to": "+366"}, "Export at most 366 days at a time."),
    ({"from": "9999-12-31"}, "Choose a day within two years of today."),
    ({"from": "+0", "to": "9999-12-31"}, "Choose a day within two years of today."),
])
def test_a_bad_export_range_is_a_400_and_not_audited(client, seats, shiba_clerk, query,
                                                     message):
    def day(value):
        if value[:1] == "+":
            return (timezone.localdate() + datetime.timedelta(days=int(value))).isoformat()
        return value

    client.force_login(shiba_clerk)
    response = client.get(reverse("bookings:staff_export", args=[seats.code]),
                          {key: day(value) for key, value in query.items()}, **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="booking.export").exists()


def test_a_whole_year_can_be_exported(client, seats, shiba_clerk):
    client.force_login(shiba_clerk)
    today = timezone.localdate()
    response = client.get(reverse("bookings:staff_export", args=[seats.code]), {
        "from": today.isoformat(), "to": (today + datetime.timedelta(days=365)).isoformat()})
    assert response.status_code == 200


def test_times_in_the_export_are_tokyo_times(client, seats, hanako, shiba_clerk):
    booking = book(slot_at(seats, tomorrow(), 16), hanako)
    assert booking.slot.starts_at.astimezone(TOKYO).hour == 16
    client.force_login(shiba_clerk)
    response = client.get(reverse("bookings:staff_export", args=[seats.code]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2:4] == ["16:00", "17:00"]


# --- the self check-in poster -------------------------------------------------------------------

def test_the_self_check_in_poster_shows_the_facility_code(client, users, minato):
    seats = make_resource("test-poster-seats", checkin_required=True)
    url = reverse("bookings:staff_checkin_poster", args=[seats.code])
    assert is_login_redirect(client.get(url))
    for person in ("hanako", "reviewer", "auditor"):
        client.force_login(users(person))
        assert client.get(url).status_code == 403, person
    client.force_login(users("shiba_clerk"))
    response = client.get(url, **EN)
    assert response.status_code == 200
    target = reverse("bookings:self_checkin", args=[seats.code, seats.checkin_secret])
    assert target in response.content.decode()
    assert response.content.decode().count("<svg") == 1
    assert 'aria-label="Self check-in code for Test seats"' in response.content.decode()
    # A resource without check-in has no poster.
    plain = make_resource("test-poster-plain")
    assert client.get(reverse("bookings:staff_checkin_poster",
                              args=[plain.code])).status_code == 404
