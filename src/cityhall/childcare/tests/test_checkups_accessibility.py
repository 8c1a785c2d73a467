"""The infant health checkup pages (取組23) in a real browser: axe-core finds no WCAG 2.2
A/AA violation on a guardian's page of their child's checkups (Japanese and English), on the
page to book a session (also after a refusal), and on the staff screen of a session; and a
guardian books a session without JavaScript."""

import datetime
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _check_pages,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _hanako():
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User

    return User.objects.get(email=RESIDENTS["hanako"].email)


def _child(user, days_old=100):
    from cityhall.childcare.models import ChildProfile

    profile = user.resident_profile
    return ChildProfile.objects.create(
        guardian=profile, name="港 さくら", branch_office=profile.town.branch_office,
        date_of_birth=timezone.localdate() - datetime.timedelta(days=days_old))


def _first_session(child, code="3-4m"):
    from cityhall.childcare.services import checkups

    entry = next(entry for entry in checkups.child_checkups(child) if entry.kind.code == code)
    return entry.kind, entry.sessions[0][1][0]


def _book_url(child, kind, slot):
    return reverse("childcare:child_checkup_book", args=[child.pk, kind.code, slot.pk])


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_checkup_pages_are_accessible(browser, demo_site, language):  # noqa: F811
    from cityhall.bookings.models import Slot

    hanako = _hanako()
    child = _child(hanako)
    kind, slot = _first_session(child)
    _starts_on, ends_on = kind.window(child.date_of_birth)
    from cityhall.bookings.services import slots_ensure

    slots_ensure(resource=slot.resource, start=ends_on + datetime.timedelta(days=1),
                 end=ends_on + datetime.timedelta(days=14))
    outside = next(s for s in Slot.objects.filter(resource=slot.resource).order_by("starts_at")
                   if timezone.localdate(s.starts_at) > ends_on)
    context, page = _signed_in_context(browser, demo_site, hanako, language=language)
    try:
        steps = [
            (reverse("childcare:child_checkups", args=[child.pk]), False, 200),
            (_book_url(child, kind, slot), False, 200),
            (_book_url(child, kind, slot), True, 200),  # booked: back to the child's page
            (reverse("childcare:child_checkups", args=[child.pk]), False, 200),
            # Once booked, another session of the same checkup is refused (an error summary).
        ]
        found = _check_pages(page, demo_site, steps)
        other = Slot.objects.filter(resource__code=kind.resource_code,
                                    starts_at__gt=slot.starts_at).exclude(pk=slot.pk)
        other = next(s for s in other if timezone.localdate(s.starts_at) <= ends_on)
        found += _check_pages(page, demo_site, [(_book_url(child, kind, other), True, 400)])
        found += _check_pages(page, demo_site, [(_book_url(child, kind, outside), False, 200)])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_booking_a_checkup_works_without_javascript(browser, demo_site):  # noqa: F811
    from cityhall.bookings.models import Booking

    hanako = _hanako()
    child = _child(hanako, days_old=110)
    kind, slot = _first_session(child)
    context, page = _signed_in_context(browser, demo_site, hanako, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("childcare:child_checkups", args=[child.pk]))
        with page.expect_navigation():
            page.click(f"a[href='{_book_url(child, kind, slot)}']")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert page.url.endswith(reverse("childcare:child_checkups", args=[child.pk]))
        assert "The checkup is booked" in page.inner_text("main")
    finally:
        context.close()
    booking = Booking.objects.get(user=hanako, status="confirmed")
    assert booking.slot_id == slot.pk and booking.subject.endswith(f":{child.pk}:3-4m")


def test_the_staff_screen_of_a_session_is_accessible(browser, demo_site):  # noqa: F811
    from django.contrib.auth.models import Permission

    from cityhall.childcare.services import checkups
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    hanako = _hanako()
    child = _child(hanako)
    kind, slot = _first_session(child)
    booking = checkups.checkup_book(child=child, kind=kind, slot=slot, actor=hanako)
    manager = User.objects.get(email=STAFF["shiba_manager"].email)
    give_second_factor(manager)
    manager.user_permissions.add(Permission.objects.get(content_type__app_label="childcare",
                                                        codename="view_all_children"))
    context, page = _signed_in_context(browser, demo_site, manager, language="en")
    try:
        found = _check_pages(page, demo_site, [
            (reverse("bookings:staff_slot", args=[slot.pk]), False, 200),
            (reverse("bookings:staff_booking", args=[booking.pk]), False, 200),
        ])
        page.goto(demo_site.url + reverse("bookings:staff_slot", args=[slot.pk]))
        assert child.name in page.inner_text("main")
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
