"""The residents' booking pages: what can be booked and its live vacancy, a resource's rules
and week, booking each kind with its own details (seats, temporary childcare, infant checkups,
bulky waste with items and fee, rooms paid online), the booking's page with its calendar file
and check-in code, cancelling, paying and self check-in; who may see what (anonymous, the
holder, another resident); bad input is a 400 that changes nothing.

The pages run on the real clock, so these tests book slots of their own resources a few days
ahead (open every day, no holidays), inside the bookable window whatever the day."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from cityhall.bookings import services
from cityhall.bookings.models import Booking, BookingEvent, Closure, Resource, Slot
from cityhall.core.models import BranchOffice, Facility, Town, User

from .conftest import make_resource, slot_at

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def ahead(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def slot_of(resource, days=3, hour=10):
    return slot_at(resource, ahead(days), hour)


def new_url(slot):
    return reverse("bookings:booking_new", args=[slot.resource.code, slot.pk])


def detail_url(booking):
    return reverse("bookings:booking_detail", args=[booking.pk])


def book(slot, user, **kwargs):
    return services.booking_create(slot=slot, user=user, actor=user, **kwargs)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and \
        response["Location"].startswith(reverse("account_login"))


def text_of(response) -> str:
    return response.content.decode()


def snapshot():
    """What a refused request must leave as it was."""
    return (list(Booking.objects.order_by("reference").values_list(
                "reference", "status", "places", "fee_yen", "payment_status", "details")),
            list(BookingEvent.objects.order_by("pk").values_list("booking__reference", "kind")),
            list(Slot.objects.filter(booked__gt=0).order_by("pk").values_list("pk", "booked")))


@pytest.fixture
def childcare(minato):
    return make_resource(
        "test-childcare", kind=Resource.Kind.TEMPORARY_CHILDCARE, name="テスト一時預かり",
        name_en="Test childcare", capacity=6, slot_minutes=240, max_places_per_booking=3,
        fee_yen=2000, audience=Resource.Audience.RESIDENTS,
        facility=Facility.objects.get(code="minato-kodomo-shien"))


@pytest.fixture
def checkup(minato):
    return make_resource(
        "test-checkup", kind=Resource.Kind.HEALTH_CHECKUP, name="テスト健診",
        name_en="Test checkup", capacity=4, slot_minutes=30,
        audience=Resource.Audience.RESIDENTS,
        facility=Facility.objects.get(code="minato-hokenjo"))


@pytest.fixture
def bulky(minato):
    """Bulky waste from the Shiba area (where hanako lives), with the real item fees."""
    return make_resource(
        "test-bulky-shiba", kind=Resource.Kind.BULKY_WASTE, name="テスト粗大ごみ（芝）",
        name_en="Test bulky waste (Shiba)", capacity=2, slot_minutes=480,
        audience=Resource.Audience.RESIDENTS, allow_sticker=True, waitlist_enabled=False,
        area=BranchOffice.objects.get(code="shiba"))


@pytest.fixture
def room(minato):
    return make_resource(
        "test-room", kind=Resource.Kind.ROOM, name="テスト会議室", name_en="Test room",
        capacity=1, slot_minutes=240, fee_yen=1800,
        facility=Facility.objects.get(code="minato-azabu-kumin"))


@pytest.fixture
def all_day(minato):
    """Seats bookable all day today (one slot 00:00–23:59), for today's vacancy."""
    resource = make_resource("test-all-day", name="テスト終日席", name_en="Test all-day seats",
                             slot_minutes=1439)
    resource.opening_hours.update(opens=datetime.time(0), closes=datetime.time(23, 59))
    return resource


# --- what can be booked --------------------------------------------------------------------

def test_anyone_sees_the_resources_grouped_by_kind_with_fees_and_vacancy(client, all_day):
    today = timezone.localdate()
    services.slots_ensure(resource=all_day, start=today, end=today)
    all_day.slots.update(booked=1)  # one of its two places taken

    page = client.get(reverse("bookings:resource_list"), **EN)
    assert page.status_code == 200
    content = text_of(page)
    for label in ("Library study seats", "Temporary childcare", "Infant health checkup",
                  "Bulky waste collection", "Community centre room", "Sports facility"):
        assert f">{label}</h2>" in content
    assert "Mita Library study seats" in content
    assert "Minato City Mita Library" in content  # the facility
    assert "2,000 yen a child" in content  # temporary childcare
    assert "1,800 yen a booking" in content  # Azabu meeting room A
    assert "Charged by item" in content  # bulky waste
    assert "Collection from addresses in the area of Shiba Branch Office" in content
    assert "Today: 1 place free" in content  # the all-day seats: 2 places, 1 booked
    assert reverse("bookings:resource_detail", args=["mita-library-study-seats"]) in content

    japanese = text_of(client.get(reverse("bookings:resource_list")))
    assert "三田図書館 学習席" in japanese
    assert '<html lang="ja"' in japanese


def test_a_resource_page_gives_the_rules_and_a_week_of_times(client, seats, taro, emily):
    seats.cancel_deadline_minutes = 120
    seats.save()
    full = slot_of(seats, days=2, hour=9)
    book(full, taro)
    book(full, emily)
    Closure.objects.create(resource=seats, starts_on=ahead(4), ends_on=ahead(4),
                           reason="館内整理日")
    closed = slot_of(seats, days=3, hour=11)
    closed.is_closed, closed.closed_reason = True, "Maintenance"
    closed.save()

    page = client.get(reverse("bookings:resource_detail", args=[seats.code]) +
                      f"?from={ahead(1).isoformat()}", **EN)
    assert page.status_code == 200
    content = text_of(page)
    assert "<h1>Test seats</h1>" in content
    assert "Anyone with an account on this portal." in content
    assert "Up to 30 days ahead, and until the start." in content
    assert "Online until 2 hours before the start" in content
    assert "Free of charge" in content
    assert "You can join the waitlist." in content
    # The week: 7 days, 8 hourly slots a day but the closure day.
    assert content.count("<h3 id=\"day-") == 7
    assert "Closed: 館内整理日" in content
    assert "Closed: Maintenance" in content
    assert new_url(slot_of(seats, days=2, hour=10)) in content
    assert "0 of 2" in content  # the full slot
    assert "Join the waitlist" in content
    assert f"?from={ahead(8).isoformat()}" in content  # next week
    assert f"?from={timezone.localdate().isoformat()}" in content  # the week before

    japanese = client.get(reverse("bookings:resource_detail", args=[seats.code]))
    assert japanese.status_code == 200
    assert '<html lang="ja"' in text_of(japanese)
    assert "<h1>テスト学習席</h1>" in text_of(japanese)

    # Without a waitlist a full slot is just full.
    seats.waitlist_enabled = False
    seats.save()
    content = text_of(client.get(reverse("bookings:resource_detail", args=[seats.code]) +
                                 f"?from={ahead(2).isoformat()}", **EN))
    assert "Join the waitlist" not in content
    assert re.search(r"<td>\s*Full\s*</td>", content)


@pytest.mark.parametrize(("value", "status", "message"), [
    ("tomorrow", 400, "is not a date such as"),
    ("2031-02-30", 400, "is not a date such as"),
    ("1999-01-01", 200, "Times before today cannot be booked"),
    ("2999-12-31", 200, "the last week that can be booked is shown"),
    ("9" * 300, 400, "is not a date such as"),
])
def test_a_bad_or_out_of_window_date_is_answered_never_a_500(client, seats, value, status,
                                                             message):
    page = client.get(reverse("bookings:resource_detail", args=[seats.code]),
                      {"from": value}, **EN)
    assert page.status_code == status
    content = text_of(page)
    assert message in content
    assert "<h3 id=\"day-" in content  # the times are still shown


def test_an_unknown_or_inactive_resource_is_not_found(client, seats):
    assert client.get(reverse("bookings:resource_detail", args=["no-such-thing"])) \
        .status_code == 404
    seats.is_active = False
    seats.save()
    assert client.get(reverse("bookings:resource_detail", args=[seats.code])).status_code == 404


def test_live_vacancy_refreshes_only_the_availability(client, childcare):
    url = reverse("bookings:resource_detail", args=[childcare.code])
    content = text_of(client.get(url, **EN))
    assert 'hx-trigger="every 30s"' in content
    partial = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="availability", **EN)
    assert partial.status_code == 200
    body = text_of(partial)
    assert body.lstrip().startswith('<div id="availability"')
    assert "<html" not in body and "Free places as of" in body
    assert "HX-Request" in partial["Vary"]


# --- booking: who may ----------------------------------------------------------------------

def test_anonymous_people_are_sent_to_sign_in(client, seats):
    slot = slot_of(seats)
    assert is_login_redirect(client.get(new_url(slot)))
    assert is_login_redirect(client.post(new_url(slot), {}))
    assert is_login_redirect(client.get(reverse("bookings:my_bookings")))
    assert is_login_redirect(client.get(reverse("bookings:self_checkin",
                                                args=[seats.code, seats.checkin_secret])))
    assert not Booking.objects.exists()


def test_residents_only_needs_a_resident_profile(client, childcare):
    visitor = User.objects.create_user(email="visitor@example.com", password="x")
    client.force_login(visitor)
    slot = slot_of(childcare, hour=9)
    page = client.get(new_url(slot), **EN)
    assert page.status_code == 200
    assert "Fill in my details" in text_of(page)
    assert "<form method=\"post\" action=\"" + new_url(slot) not in text_of(page)
    page = client.post(new_url(slot), {"child_1_name": "みなと こども",
                                       "child_1_age_months": 12,
                                       "payment_method": "at_facility"}, **EN)
    assert page.status_code == 400
    assert "Only registered residents of the city can book this." in text_of(page)
    assert not Booking.objects.exists()


# --- booking each kind ---------------------------------------------------------------------

def test_a_resident_books_a_seat(client, seats, hanako):
    client.force_login(hanako)
    slot = slot_of(seats)
    form = client.get(new_url(slot), **EN)
    assert form.status_code == 200
    assert "2 of 2" in text_of(form)
    response = client.post(new_url(slot), {}, **EN)
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    assert (booking.user, booking.status, booking.places, booking.fee_yen) == \
        (hanako, "confirmed", 1, 0)
    page = client.get(detail_url(booking), **EN)
    content = text_of(page)
    assert f"Your booking is confirmed. Your booking number is {booking.reference}." in content
    assert booking.reference in content and "Confirmed" in content
    assert "Free of charge" in content
    assert reverse("bookings:booking_ics", args=[booking.pk]) in content
    assert reverse("bookings:booking_cancel", args=[booking.pk]) in content
    assert "<svg" not in content  # no check-in at this resource


def test_a_resident_books_temporary_childcare_for_two_children(client, childcare, hanako):
    client.force_login(hanako)
    slot = slot_of(childcare, hour=9)
    form = text_of(client.get(new_url(slot), **EN))
    assert "Name of child 1" in form and "Name of child 3" in form
    assert 'name="payment_method" value="online"' in form
    assert 'name="payment_method" value="at_facility"' in form
    response = client.post(new_url(slot), {
        "child_1_name": "港 一郎", "child_1_age_months": "18",
        "child_2_name": "港 二郎", "child_2_age_months": "5",
        "child_3_name": "", "child_3_age_months": "",
        "payment_method": "at_facility"}, **EN)
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    assert booking.places == 2 and booking.fee_yen == 4000
    assert booking.details == {"children": [{"name": "港 一郎", "age_months": 18},
                                            {"name": "港 二郎", "age_months": 5}]}
    assert (booking.payment_method, booking.payment_status) == ("at_facility", "pending")
    content = text_of(client.get(detail_url(booking), **EN))
    assert "港 一郎" in content and "18 months" in content
    assert "4,000 yen" in content and "Pay the fee at the facility" in content
    slot.refresh_from_db()
    assert slot.booked == 2


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"child_1_name": "", "child_1_age_months": "12"}, "child_1_name",
     "Enter the child&#x27;s name."),
    ({"child_1_name": "港 一郎", "child_1_age_months": ""}, "child_1_age_months",
     "Enter the child&#x27;s age in months."),
    ({"child_1_name": "港 一郎", "child_1_age_months": "84"}, "child_1_age_months",
     "enter an age between 0 and 83 months"),
    ({"child_1_name": "港 一郎", "child_1_age_months": "-1"}, "child_1_age_months",
     "Enter an age between 0 and 83 months."),
    ({"child_1_name": "港 一郎", "child_1_age_months": "one"}, "child_1_age_months",
     "Enter the age as a whole number of months."),
    ({"child_1_name": "港 一郎", "child_1_age_months": "12", "child_2_age_months": "3"},
     "child_2_name", "Enter the child&#x27;s name."),
    ({"child_1_name": "港 一郎", "child_1_age_months": "12", "payment_method": "sticker"},
     "payment_method", "Choose how to pay the fee."),
])
def test_bad_childcare_details_are_refused_and_change_nothing(client, childcare, hanako, data,
                                                              field, message):
    client.force_login(hanako)
    slot = slot_of(childcare, hour=9)
    data = {"payment_method": "at_facility", **data}
    before = snapshot()
    page = client.post(new_url(slot), data, **EN)
    assert page.status_code == 400
    content = text_of(page)
    assert message in content
    assert f'id="id_{field}_error"' in content
    assert 'class="error-summary"' in content
    assert snapshot() == before and not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_resident_books_an_infant_checkup(client, checkup, taro):
    client.force_login(taro)
    slot = slot_of(checkup, hour=10)
    born = timezone.localdate() - datetime.timedelta(days=120)
    response = client.post(new_url(slot), {"child_name": "麻布 花",
                                           "child_date_of_birth": born.isoformat()}, **EN)
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    assert booking.details == {"children": [{"name": "麻布 花",
                                             "date_of_birth": born.isoformat()}]}
    assert booking.payment_method == "none"


@pytest.mark.parametrize(("born", "message"), [
    (lambda: (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
     "The date of birth cannot be in the future."),
    (lambda: "2025-13-01", "Enter the date as year-month-day"),
    (lambda: "", "Enter the child&#x27;s date of birth."),
])
def test_a_checkup_needs_a_real_date_of_birth(client, checkup, taro, born, message):
    client.force_login(taro)
    page = client.post(new_url(slot_of(checkup, hour=10)),
                       {"child_name": "麻布 花", "child_date_of_birth": born()}, **EN)
    assert page.status_code == 400
    assert message in text_of(page)
    assert not Booking.objects.exists()


def test_a_checkup_needs_the_child_name(client, checkup, taro):
    client.force_login(taro)
    page = client.post(new_url(slot_of(checkup, hour=10)),
                       {"child_name": " ", "child_date_of_birth": "2025-01-01"}, **EN)
    assert page.status_code == 400
    assert "Enter the child&#x27;s name." in text_of(page)
    assert not Booking.objects.exists()


def bulky_data(hanako, **overrides):
    profile = hanako.resident_profile
    data = {"item_chair": "2", "item_sofa-2": "1", "town": str(profile.town_id),
            "block_number": profile.block_number, "put_out_place": "マンション入口の横",
            "payment_method": "sticker"}
    data.update(overrides)
    return data


def test_a_resident_books_a_bulky_waste_collection_with_items_and_fee(client, bulky, hanako):
    client.force_login(hanako)
    slot = slot_of(bulky, hour=9)
    form = text_of(client.get(new_url(slot), **EN))
    # The address of her profile is filled in; the items are listed with their fees.
    profile = hanako.resident_profile
    assert re.search(rf'<option value="{profile.town_id}" selected>', form)
    assert f'value="{profile.block_number}"' in form
    assert "Chair (one seat): 400 yen each" in form
    assert 'name="payment_method" value="sticker"' in form
    assert 'name="payment_method" value="at_facility"' not in form  # no facility

    # First the fee is shown; nothing is booked yet.
    review = client.post(new_url(slot), {**bulky_data(hanako), "step": "review"}, **EN)
    assert review.status_code == 200
    content = text_of(review)
    assert "Check your booking" in content and "2,800 yen" in content
    assert "Sofa (two seats or more)" in content
    assert not Booking.objects.exists()

    # Changing the details goes back to the filled-in form.
    edit = client.post(new_url(slot), {**bulky_data(hanako), "step": "edit"}, **EN)
    assert edit.status_code == 200
    assert 'name="item_sofa-2" value="1"' in text_of(edit)
    assert not Booking.objects.exists()

    response = client.post(new_url(slot), {**bulky_data(hanako), "step": "confirm"}, **EN)
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    assert booking.fee_yen == 2 * 400 + 2000
    assert [(line["code"], line["pieces"]) for line in booking.details["items"]] == \
        [("chair", 2), ("sofa-2", 1)]
    assert booking.details["town_id"] == profile.town_id
    assert booking.details["block_number"] == profile.block_number
    assert booking.details["put_out_place"] == "マンション入口の横"
    assert (booking.payment_method, booking.payment_status) == ("sticker", "pending")
    content = text_of(client.get(detail_url(booking), **EN))
    assert "Paying with stickers" in content and "2,800 yen" in content
    assert "粗大ごみ処理券" in content
    assert "芝公園2丁目3-1" in content


@pytest.mark.parametrize(("overrides", "message"), [
    ({"item_chair": "0", "item_sofa-2": "0"}, "Choose at least one item."),
    ({"item_chair": "", "item_sofa-2": ""}, "Choose at least one item."),
    ({"item_chair": "8", "item_sofa-2": "3"}, "One collection takes at most 10 pieces"),
    ({"item_chair": "11"}, "One collection takes at most 10 pieces"),
    ({"item_chair": "-1"}, "Enter a whole number of pieces."),
    ({"item_chair": "two"}, "Enter a whole number of pieces."),
    ({"town": "azabu"}, "This address is not in the area this collection serves."),
    ({"town": ""}, "Choose the town of the collection address."),
    ({"town": "999999"}, "This address is not in the area this collection serves."),
    ({"block_number": ""}, "Enter the block number of the address."),
    ({"put_out_place": "  "}, "Say where the collectors will find the items."),
    ({"payment_method": "at_facility"}, "Choose how to pay the fee."),
    ({"payment_method": ""}, "Choose how to pay the fee."),
])
@pytest.mark.parametrize("step", ["review", "confirm"])
def test_bad_bulky_waste_input_is_refused_and_changes_nothing(client, bulky, hanako,
                                                              overrides, message, step):
    if overrides.get("town") == "azabu":
        overrides = {**overrides,
                     "town": str(Town.objects.filter(branch_office__code="azabu").first().pk)}
    client.force_login(hanako)
    slot = slot_of(bulky, hour=9)
    before = snapshot()
    page = client.post(new_url(slot), {**bulky_data(hanako, **overrides), "step": step}, **EN)
    assert page.status_code == 400
    assert message in text_of(page)
    assert 'class="error-summary"' in text_of(page)
    assert snapshot() == before and not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_resident_of_another_area_is_pointed_to_their_collection(client, bulky, taro):
    client.force_login(taro)
    content = text_of(client.get(new_url(slot_of(bulky, hour=9)), **EN))
    assert "Your registered address is not in the area of this collection." in content
    assert reverse("bookings:resource_detail", args=["bulky-waste-azabu"]) in content
    # Their own town is not offered: the address must be in the Shiba area.
    assert f'value="{taro.resident_profile.town_id}"' not in content


def test_a_room_paid_online_goes_straight_to_paying(client, room, emily):
    from cityhall.payments.models import Payment

    client.force_login(emily)
    slot = slot_of(room, days=5, hour=9)
    response = client.post(new_url(slot), {"people": "12", "purpose": "町会の打合せ",
                                           "payment_method": "online"}, **EN)
    booking = Booking.objects.get()
    payment = Payment.objects.get(purpose=f"bookings.booking:{booking.reference}")
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:payment_detail", args=[payment.pk])
    assert (payment.amount_yen, payment.provider, payment.payer) == (1800, "sandbox", emily)
    assert booking.details == {"people": 12, "purpose": "町会の打合せ"}
    assert (booking.payment_method, booking.payment_status) == ("online", "pending")

    # The payments engine's page leads on to the payment service.
    page = client.get(response["Location"], **EN)
    assert page.status_code == 200
    assert reverse("payments:payment_pay", args=[payment.pk]) in text_of(page)
    assert reverse("bookings:booking_detail", args=[booking.pk]) in text_of(page)

    # Back on the booking, "Pay now" leads to the same payment, not a second one.
    content = text_of(client.get(detail_url(booking), **EN))
    assert reverse("bookings:booking_pay", args=[booking.pk]) in content
    assert "Pay now" in content and "1,800 yen" in content
    again = client.post(reverse("bookings:booking_pay", args=[booking.pk]))
    assert again["Location"] == reverse("payments:payment_detail", args=[payment.pk])
    assert Payment.objects.filter(purpose=payment.purpose).count() == 1


def test_joining_a_waitlist_pays_nothing_yet(client, room, emily, taro):
    from cityhall.payments.models import Payment

    slot = slot_of(room, days=5, hour=9)
    book(slot, taro, payment_method="at_facility")
    client.force_login(emily)
    response = client.post(new_url(slot), {"payment_method": "online", "waitlist": "1"},
                           **EN)
    booking = Booking.objects.get(user=emily)
    assert booking.status == "waitlisted"
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    assert not Payment.objects.exists()
    content = text_of(client.get(detail_url(booking), **EN))
    assert "You pay the fee only if a place becomes free" in content
    assert reverse("bookings:booking_pay", args=[booking.pk]) not in content


def test_paying_when_there_is_nothing_to_pay_says_so(client, seats, hanako):
    booking = book(slot_of(seats), hanako)
    client.force_login(hanako)
    response = client.post(reverse("bookings:booking_pay", args=[booking.pk]), **EN)
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    content = text_of(client.get(detail_url(booking), **EN))
    assert "There is nothing to pay online for this booking." in content
    assert client.get(reverse("bookings:booking_pay", args=[booking.pk])).status_code == 405


def test_sports_takes_places_up_to_the_maximum(client, minato, hanako):
    tables = make_resource("test-tables", kind=Resource.Kind.SPORTS, capacity=12,
                           max_places_per_booking=2)
    client.force_login(hanako)
    slot = slot_of(tables)
    page = client.post(new_url(slot), {"places": "3"}, **EN)
    assert page.status_code == 400
    assert "One booking can take between 1 and 2 places." in text_of(page)
    assert not Booking.objects.exists()
    client.post(new_url(slot), {"places": "2"}, **EN)
    assert Booking.objects.get().places == 2


# --- full slots and the waitlist -------------------------------------------------------------

def test_a_full_slot_offers_the_waitlist_and_joins_it_when_asked(client, seats, hanako, taro,
                                                                 emily):
    slot = slot_of(seats)
    client.force_login(hanako)
    client.get(new_url(slot))  # the form was opened while places were free
    book(slot, taro)
    book(slot, emily)
    before = snapshot()
    page = client.post(new_url(slot), {}, **EN)
    assert page.status_code == 400
    content = text_of(page)
    assert "This slot has just been fully booked." in content
    assert "You can join the waitlist of this time" in content
    assert re.search(r'<input type="hidden" name="waitlist" value="1"', content)
    assert ">Join the waitlist</button>" in content
    assert snapshot() == before

    response = client.post(new_url(slot), {"waitlist": "1"}, **EN)
    booking = Booking.objects.get(user=hanako)
    assert response["Location"] == detail_url(booking)
    assert booking.status == "waitlisted"
    content = text_of(client.get(detail_url(booking), **EN))
    assert "You are on the waitlist" in content and "Leave the waitlist" in content

    # Opening a full slot's form offers the waitlist at once.
    other = make_resource("test-other", capacity=1)
    full = slot_of(other)
    book(full, taro)
    content = text_of(client.get(new_url(full), **EN))
    assert "This time is full. You can join its waitlist" in content
    assert 'name="waitlist" value="True"' in content


def test_a_full_slot_without_a_waitlist_is_refused(client, seats, hanako, taro, emily):
    seats.waitlist_enabled = False
    seats.save()
    slot = slot_of(seats)
    book(slot, taro)
    book(slot, emily)
    client.force_login(hanako)
    content = text_of(client.get(new_url(slot), **EN))
    assert "This time is full. Please choose another time." in content
    before = snapshot()
    for data in ({}, {"waitlist": "1"}):
        page = client.post(new_url(slot), data, **EN)
        assert page.status_code == 400
        assert "This slot has just been fully booked." in text_of(page)
        assert ">Join the waitlist</button>" not in text_of(page)
    assert snapshot() == before


def test_a_service_refusal_is_shown_on_the_form(client, seats, hanako):
    seats.max_active_bookings = 1
    seats.save()
    book(slot_of(seats, hour=9), hanako)
    client.force_login(hanako)
    before = snapshot()
    page = client.post(new_url(slot_of(seats, hour=11)), {}, **EN)
    assert page.status_code == 400
    assert "You can hold at most 1 upcoming bookings here." in text_of(page)
    assert snapshot() == before
    # A slot of another resource is not found under this one.
    other = make_resource("test-other")
    assert client.get(reverse("bookings:booking_new",
                              args=[seats.code, slot_of(other).pk])).status_code == 404


# --- a booking -----------------------------------------------------------------------------

def test_another_resident_gets_not_found_and_changes_nothing(client, room, hanako, taro):
    from cityhall.payments.models import Payment

    booking = book(slot_of(room, days=5, hour=9), hanako, payment_method="online")
    client.force_login(taro)
    before = snapshot()
    for name in ("booking_detail", "booking_ics", "booking_cancel"):
        assert client.get(reverse(f"bookings:{name}", args=[booking.pk])).status_code == 404
    assert client.post(reverse("bookings:booking_cancel", args=[booking.pk]),
                       {"reason": "x"}).status_code == 404
    assert client.post(reverse("bookings:booking_pay", args=[booking.pk])).status_code == 404
    assert snapshot() == before
    assert not Payment.objects.exists()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    # Anonymous: sign in first.
    client.logout()
    assert is_login_redirect(client.get(detail_url(booking)))
    assert is_login_redirect(client.post(reverse("bookings:booking_pay", args=[booking.pk])))


def test_the_calendar_file(client, settings, seats, hanako):
    settings.PORTAL_URL = "https://portal.example.jp"
    seats.facility = Facility.objects.get(code="minato-lib-mita")
    seats.save()
    slot = slot_of(seats, hour=13)
    booking = book(slot, hanako)
    client.force_login(hanako)
    response = client.get(reverse("bookings:booking_ics", args=[booking.pk]), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == \
        f'attachment; filename="booking-{booking.reference}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    assert calendar["PRODID"]
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{booking.pk}@portal.example.jp"
    assert event.decoded("DTSTART") == slot.starts_at
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
    assert event.decoded("DTEND") == slot.ends_at
    assert b"DTSTART:" + slot.starts_at.astimezone(datetime.UTC).strftime(
        "%Y%m%dT%H%M%SZ").encode() in response.content
    assert "DTSTAMP" in event
    assert str(event["SUMMARY"]) == "Test seats"
    assert str(event["LOCATION"]) == "Minato City Mita Library 東京都港区芝5-36-4 札の辻スクエア"
    url = "https://portal.example.jp" + detail_url(booking)
    assert booking.reference in str(event["DESCRIPTION"]) and url in str(event["DESCRIPTION"])
    assert str(event["URL"]) == url
    assert str(event["STATUS"]) == "CONFIRMED"
    # In Japanese, the Japanese name.
    japanese = Calendar.from_ical(
        client.get(reverse("bookings:booking_ics", args=[booking.pk])).content)
    assert str(japanese.walk("VEVENT")[0]["SUMMARY"]) == "テスト学習席"

    services.booking_cancel(booking=booking, actor=hanako)
    cancelled = Calendar.from_ical(
        client.get(reverse("bookings:booking_ics", args=[booking.pk])).content)
    assert str(cancelled.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert str(cancelled.walk("VEVENT")[0]["UID"]) == f"{booking.pk}@portal.example.jp"


def test_the_calendar_file_of_a_collection_names_the_address(client, bulky, hanako):
    profile = hanako.resident_profile
    booking = book(slot_of(bulky, hour=9), hanako, items={"chair": 1}, town=profile.town,
                   payment_method="sticker", details={"block_number": "3-1"})
    client.force_login(hanako)
    calendar = Calendar.from_ical(
        client.get(reverse("bookings:booking_ics", args=[booking.pk])).content)
    assert str(calendar.walk("VEVENT")[0]["LOCATION"]) == "東京都港区芝公園2丁目3-1"


def test_a_waitlist_place_is_tentative_in_the_calendar(client, minato, hanako, taro):
    single = make_resource("test-single", capacity=1)
    slot = slot_of(single)
    book(slot, taro)
    booking = book(slot, hanako, waitlist=True)
    client.force_login(hanako)
    calendar = Calendar.from_ical(
        client.get(reverse("bookings:booking_ics", args=[booking.pk])).content)
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"


def test_cancelling_a_booking(client, seats, hanako, taro):
    single = make_resource("test-single", capacity=1)
    slot = slot_of(single)
    booking = book(slot, hanako)
    waiting = book(slot, taro, waitlist=True)
    client.force_login(hanako)
    url = reverse("bookings:booking_cancel", args=[booking.pk])
    page = client.get(url, **EN)
    assert page.status_code == 200
    assert "Cancel the booking" in text_of(page)
    response = client.post(url, {"reason": "予定が変わったため"}, **EN)
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancel_reason == "予定が変わったため"
    assert waiting.status == "confirmed"  # the waitlist moved up
    content = text_of(client.get(detail_url(booking), **EN))
    assert f"Your booking {booking.reference} is cancelled." in content
    assert url not in content
    # Cancelling again is refused and changes nothing.
    before = snapshot()
    page = client.post(url, {}, **EN)
    assert page.status_code == 400
    assert "This booking is no longer active." in text_of(page)
    assert snapshot() == before


def test_cancelling_after_the_deadline_is_refused(client, seats, hanako):
    seats.cancel_deadline_minutes = 10 * 1440
    seats.save()
    booking = book(slot_of(seats, days=3), hanako)
    client.force_login(hanako)
    url = reverse("bookings:booking_cancel", args=[booking.pk])
    content = text_of(client.get(detail_url(booking), **EN))
    assert url not in content
    assert "The deadline to cancel online has passed" in content
    page = client.get(url, **EN)
    assert page.status_code == 200
    assert "The deadline to cancel online has passed" in text_of(page)
    before = snapshot()
    page = client.post(url, {"reason": ""}, **EN)
    assert page.status_code == 400
    assert "The deadline to cancel online has passed" in text_of(page)
    assert "Please call the facility." in text_of(page)
    assert snapshot() == before
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_reason_too_long_is_refused(client, seats, hanako):
    booking = book(slot_of(seats), hanako)
    client.force_login(hanako)
    page = client.post(reverse("bookings:booking_cancel", args=[booking.pk]),
                       {"reason": "x" * 201}, **EN)
    assert page.status_code == 400
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_check_in_resource_shows_the_qr_code(client, settings, minato, hanako, taro):
    settings.PORTAL_URL = "https://portal.example.jp"
    desks = make_resource("test-desks", checkin_required=True, capacity=1)
    slot = slot_of(desks)
    booking = book(slot, hanako)
    client.force_login(hanako)
    content = text_of(client.get(detail_url(booking), **EN))
    assert re.search(r'<svg role="img" aria-label="Check-in code for booking '
                     + booking.reference + '"', content)
    assert "<path" in content
    assert content.count(booking.reference) >= 3  # beside the code as text too
    # The code holds the staff check-in address with the booking's token.
    import segno

    expected = segno.make("https://portal.example.jp" + reverse(
        "bookings:staff_checkin", args=[booking.checkin_token]), error="m")
    assert expected.svg_inline(scale=5, dark="#000", light="#fff",
                               svgclass="checkin-code").split(">", 1)[1] in content

    # A waitlist place has no code.
    waiting = book(slot, taro, waitlist=True)
    client.force_login(taro)
    assert "<svg" not in text_of(client.get(detail_url(waiting), **EN))


def _current_slot(resource):
    """A slot running now or starting within 5 minutes (5-minute slots all day)."""
    today = timezone.localdate()
    services.slots_ensure(resource=resource, start=today,
                          end=today + datetime.timedelta(days=1))
    now = timezone.now()
    return resource.slots.filter(starts_at__lte=now + datetime.timedelta(minutes=5),
                                 ends_at__gt=now).order_by("starts_at").first()


@pytest.fixture
def study_room(minato):
    resource = make_resource("test-study", checkin_required=True, slot_minutes=5,
                             checkin_opens_minutes=15, no_show_after_minutes=30)
    resource.opening_hours.update(opens=datetime.time(0), closes=datetime.time(23, 55))
    return resource


def test_self_check_in_with_the_code_at_the_facility(client, study_room, hanako):
    booking = book(_current_slot(study_room), hanako)
    client.force_login(hanako)
    url = reverse("bookings:self_checkin", args=[study_room.code, study_room.checkin_secret])
    page = client.get(url, **EN)
    assert page.status_code == 200 and "Check in now" in text_of(page)
    response = client.post(url, **EN)
    assert response.status_code == 302 and response["Location"] == detail_url(booking)
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    assert "You are checked in." in text_of(client.get(detail_url(booking), **EN))


def test_self_check_in_with_a_bad_code_or_no_booking_is_refused(client, study_room, hanako,
                                                                 taro):
    booking = book(_current_slot(study_room), hanako)
    client.force_login(hanako)
    before = snapshot()
    page = client.post(reverse("bookings:self_checkin", args=[study_room.code, "wrong"]),
                       **EN)
    assert page.status_code == 400
    assert "This check-in code is not valid." in text_of(page)
    client.force_login(taro)
    page = client.post(reverse("bookings:self_checkin",
                               args=[study_room.code, study_room.checkin_secret]), **EN)
    assert page.status_code == 400
    assert "You have no booking here to check in now." in text_of(page)
    assert snapshot() == before
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert client.post(reverse("bookings:self_checkin", args=["no-such", "x"])) \
        .status_code == 404


# --- my bookings and bulky waste ---------------------------------------------------------------

def test_my_bookings_lists_upcoming_and_past(client, seats, hanako, taro):
    upcoming = book(slot_of(seats, days=2), hanako)
    cancelled = book(slot_of(seats, days=3), hanako)
    services.booking_cancel(booking=cancelled, actor=hanako)
    someone_else = book(slot_of(seats, days=2), taro)
    client.force_login(hanako)
    page = client.get(reverse("bookings:my_bookings"), **EN)
    assert page.status_code == 200
    content = text_of(page)
    upcoming_part, past_part = content.split("Past and cancelled", 1)
    assert detail_url(upcoming) in upcoming_part and upcoming.reference in upcoming_part
    assert detail_url(cancelled) in past_part and "Cancelled" in past_part
    assert someone_else.reference not in content
    assert client.get(reverse("bookings:my_bookings"), {"page": "x"}).status_code == 200


def test_bulky_waste_start_leads_to_the_collection_of_the_area(client, hanako):
    page = client.get(reverse("bookings:bulky_waste_start"), **EN)
    assert page.status_code == 200
    assert '<select name="town"' in text_of(page)
    azabu_town = Town.objects.filter(branch_office__code="azabu").first()
    response = client.get(reverse("bookings:bulky_waste_start"), {"town": azabu_town.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:resource_detail",
                                           args=["bulky-waste-azabu"])

    client.force_login(hanako)
    content = text_of(client.get(reverse("bookings:bulky_waste_start"), **EN))
    assert "Your registered address is in Shiba-Koen 2-chōme." in content
    assert reverse("bookings:resource_detail", args=["bulky-waste-shiba"]) in content


@pytest.mark.parametrize("town", ["", "0", "abc"])
def test_bulky_waste_start_with_a_bad_town(client, minato, town):
    page = client.get(reverse("bookings:bulky_waste_start"), {"town": town}, **EN)
    assert page.status_code == 400
    assert "town" in text_of(page).lower()
    assert 'class="error-summary"' in text_of(page)


def test_bulky_waste_start_with_a_town_of_no_collection(client, minato):
    Resource.objects.filter(code="bulky-waste-azabu").update(is_active=False)
    azabu_town = Town.objects.filter(branch_office__code="azabu").first()
    page = client.get(reverse("bookings:bulky_waste_start"), {"town": azabu_town.pk}, **EN)
    assert page.status_code == 400
    assert "Bulky waste from this town cannot be booked here." in text_of(page)
