"""The booking pages in a real browser: axe-core finds no WCAG 2.2 A/AA violation on the
residents' pages (what can be booked, a resource's week, the booking forms with and without
errors, the fee check, a booking with its check-in code, my bookings), and booking a bulky
waste collection works without JavaScript."""

import datetime
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
    _check_pages,
    _new_page,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _resident(key="hanako"):
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User

    return User.objects.get(email=RESIDENTS[key].email)


def _first_slot(code, days=3):
    """The first slot of a real Minato resource a few days ahead (made if missing)."""
    from cityhall.bookings import selectors
    from cityhall.bookings.models import Resource

    resource = Resource.objects.get(code=code)
    slots = selectors.availability(
        resource, start=timezone.localdate() + datetime.timedelta(days=days), days=7)
    return slots[0]


def _new(slot):
    return reverse("bookings:booking_new", args=[slot.resource.code, slot.pk])


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_list_of_what_can_be_booked_is_accessible(browser, demo_site,  # noqa: F811
                                                      language):
    _assert_accessible(browser, demo_site, reverse("bookings:resource_list"),
                       language=language)


@pytest.mark.parametrize(("code", "query", "language", "status"), [
    ("mita-library-study-seats", "", "ja", 200),
    ("kodomo-temporary-childcare", "", "en", 200),
    ("bulky-waste-shiba", "", "ja", 200),
    ("azabu-kumin-room-a", "?from=2000-01-01", "en", 200),
    ("hokenjo-checkup-4months", "?from=not-a-date", "ja", 400),
])
def test_resource_pages_are_accessible(browser, demo_site, code, query,  # noqa: F811
                                       language, status):
    _assert_accessible(browser, demo_site,
                       reverse("bookings:resource_detail", args=[code]) + query,
                       language=language, expect_status=status)


def test_bulky_waste_start_is_accessible(browser, demo_site):  # noqa: F811
    _assert_accessible(browser, demo_site, reverse("bookings:bulky_waste_start"))
    _assert_accessible(browser, demo_site, reverse("bookings:bulky_waste_start") + "?town=x",
                       language="en", expect_status=400)


def test_booking_forms_are_accessible(browser, demo_site):  # noqa: F811
    hanako = _resident()
    bulky = _new(_first_slot("bulky-waste-shiba"))
    context, page = _signed_in_context(browser, demo_site, hanako)
    try:
        found = _check_pages(page, demo_site, [
            (bulky, False, 200),
            # Sent without items or where to put them: every error, tied to its field.
            (bulky, True, 400),
        ])
        assert page.locator("#id_put_out_place").get_attribute("aria-invalid") == "true"
        assert "id_put_out_place_error" in page.locator("#id_put_out_place").get_attribute(
            "aria-describedby")
        assert "items_error" in page.locator("fieldset#items").get_attribute(
            "aria-describedby")
        # Filled in, the fee is shown for a check before booking.
        page.fill("#id_item_chair", "2")
        page.fill("#id_item_sofa-2", "1")
        page.fill("#id_put_out_place", "マンション入口の横")
        page.check("input[name=payment_method][value=sticker]")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert "2,800" in page.inner_text("main")
        from cityhall.core.tests.test_accessibility import _axe_violations, _format_violations

        violations = _axe_violations(page, demo_site)
        if violations:
            found.append(f"{bulky} (fee check):\n" + _format_violations(violations))
        found += _check_pages(page, demo_site, [
            (_new(_first_slot("kodomo-temporary-childcare")), False, 200),
            (_new(_first_slot("kodomo-temporary-childcare")), True, 400),
            # A checkup is booked for a child from the child's page (childcare claims it):
            # the engine's form says where instead.
            (_new(_first_slot("hokenjo-checkup-4months")), False, 200),
            (_new(_first_slot("azabu-kumin-room-a", days=5)), False, 200),
            (_new(_first_slot("mita-library-study-seats")), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_a_booking_and_my_bookings_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.bookings import services

    hanako = _resident()
    seat = services.booking_create(slot=_first_slot("mita-library-study-seats"), user=hanako,
                                   actor=hanako)
    bulky = services.booking_create(
        slot=_first_slot("bulky-waste-shiba"), user=hanako, actor=hanako,
        items={"chair": 2, "sofa-2": 1}, town=hanako.resident_profile.town,
        details={"block_number": "3-1", "put_out_place": "マンション入口の横"},
        payment_method="sticker")
    room = services.booking_create(
        slot=_first_slot("azabu-kumin-room-a", days=5), user=hanako, actor=hanako,
        details={"people": 12, "purpose": "町会の打合せ"}, payment_method="online")
    services.booking_cancel(booking=room, actor=hanako)
    context, page = _signed_in_context(browser, demo_site, hanako)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("bookings:booking_detail", args=[seat.pk]), False, 200),
            (reverse("bookings:booking_detail", args=[bulky.pk]), False, 200),
            (reverse("bookings:booking_detail", args=[room.pk]), False, 200),
            (reverse("bookings:booking_cancel", args=[seat.pk]), False, 200),
            (reverse("bookings:my_bookings"), False, 200),
        ])
        page.goto(demo_site.url + reverse("bookings:booking_detail", args=[seat.pk]))
        code = page.locator("svg[role=img]")
        assert code.count() == 1
        assert seat.reference in code.get_attribute("aria-label")
        seat_resource = seat.resource
        found += _check_pages(page, demo_site, [
            (reverse("bookings:self_checkin",
                     args=[seat_resource.code, seat_resource.checkin_secret]), False, 200),
            # Too early to check in: the refusal is announced.
            (reverse("bookings:self_checkin",
                     args=[seat_resource.code, seat_resource.checkin_secret]), True, 400),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_booking_bulky_waste_works_without_javascript(browser, demo_site):  # noqa: F811
    from cityhall.bookings.models import Booking

    hanako = _resident()
    slot = _first_slot("bulky-waste-shiba")
    context, page = _signed_in_context(browser, demo_site, hanako, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("bookings:bulky_waste_start"))
        with page.expect_navigation():
            page.click("main a.button")  # her own area's collection
        assert page.url.endswith(reverse("bookings:resource_detail",
                                         args=["bulky-waste-shiba"]))
        with page.expect_navigation():
            page.click(f"#book-{slot.pk}")
        assert page.url.endswith(_new(slot))
        # Her address is filled in from her details.
        assert page.locator("#id_block_number").input_value() == "3-1"
        page.fill("#id_item_bicycle", "1")
        page.fill("#id_put_out_place", "By the entrance")
        page.check("input[name=payment_method][value=sticker]")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert "800 yen" in page.inner_text("main")
        with page.expect_navigation():
            page.click("main form[method=post] button[value=confirm]")
        booking = Booking.objects.get(user=hanako)
        assert page.url.endswith(reverse("bookings:booking_detail", args=[booking.pk]))
        assert "Your booking is confirmed" in page.inner_text("main")
        assert "Paying with stickers" in page.inner_text("main")
    finally:
        context.close()
    assert booking.fee_yen == 800 and booking.details["put_out_place"] == "By the entrance"


def test_staff_booking_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.bookings import services
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    manager = User.objects.get(email=STAFF["shiba_manager"].email)
    give_second_factor(manager)
    hanako = _resident()
    slot = _first_slot("mita-library-study-seats")
    booking = services.booking_create(slot=slot, user=hanako, actor=hanako)
    bulky = _first_slot("bulky-waste-shiba")
    day = timezone.localtime(slot.starts_at).date().isoformat()
    calendar = reverse("bookings:staff_calendar", args=[slot.resource.code])
    on_behalf = reverse("bookings:staff_book_on_behalf", args=[bulky.pk])
    closure = reverse("bookings:staff_closure_new", args=[slot.resource.code])
    context, page = _signed_in_context(browser, demo_site, manager)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("bookings:staff_home"), False, 200),
            (f"{calendar}?day={day}", False, 200),
            (f"{calendar}?day=2026-02-30", False, 400),
            (reverse("bookings:staff_slot", args=[slot.pk]), False, 200),
            (f"{on_behalf}?q=ミナト", False, 200),
            (f"{on_behalf}?resident={hanako.resident_profile.pk}", False, 200),
            (f"{on_behalf}?resident={hanako.resident_profile.pk}", True, 400),
            (reverse("bookings:staff_booking", args=[booking.pk]), False, 200),
            (reverse("bookings:staff_checkin", args=[booking.checkin_token]), False, 200),
            (closure, False, 200),
            (closure, True, 400),
            (reverse("bookings:staff_checkin_poster", args=[slot.resource.code]), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
