"""The pages of the infant health checkups (取組23): a guardian's page of their child's
checkups and booking a session (anonymous → login, another resident or staff → "not found"
with nothing changed, refusals as a 400 that changes nothing), the bookings engine's pages of
a checkup resource, and the health centre's staff screen of a session with the child's name
and age, audited. The pages run on the real clock: the child is born about 100 days ago and
the sessions are from tomorrow on."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from cityhall.bookings.models import Booking, Slot
from cityhall.childcare.services import checkups
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .checkup_fixtures import make_child, session

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def today():
    return timezone.localdate()


@pytest.fixture
def child(hanako):
    return make_child(hanako, born=today() - datetime.timedelta(days=100))


def page_url(child):
    return reverse("childcare:child_checkups", args=[child.pk])


def book_url(child, kind, slot):
    return reverse("childcare:child_checkup_book", args=[child.pk, kind.code, slot.pk])


def snapshot():
    return (sorted(Booking.objects.values_list("reference", "status", "subject")),
            sorted(Slot.objects.filter(booked__gt=0).values_list("pk", "booked")))


def health_centre_staff(**kwargs):
    user = StaffFactory(roles=("counter_clerk",), branch_office="main", **kwargs)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="childcare",
                                                     codename="view_all_children"))
    return user


def test_anonymous_people_are_sent_to_log_in(client, child, kind, sessions):
    slot = session(sessions, today() + datetime.timedelta(days=1))
    for url in (page_url(child), book_url(child, kind, slot)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(book_url(child, kind, slot))
    assert response.status_code == 302 and not Booking.objects.exists()


@pytest.mark.parametrize(("headers", "texts"), [
    ({}, ["乳幼児健康診査", "3～4か月児健康診査", "6～7か月児健康診査", "3歳児健康診査"]),
    (EN, ["Infant health checkups", "Checkup at 3–4 months", "Sessions you can book",
          "Checkup at 6–7 months", "contracted clinic", "has yet to confirm it"]),
])
def test_the_guardian_sees_the_checkups_of_the_child(client, hanako, child, kind,
                                                     sessions, headers, texts):
    client.force_login(hanako.user)
    response = client.get(page_url(child), **headers)
    assert response.status_code == 200
    body = response.content.decode()
    assert child.name in body
    for text in texts if headers else ["港 さくら"]:
        assert text in body
    # The sessions of the test checkup inside the period, from tomorrow on.
    tomorrow_slot = session(sessions, today() + datetime.timedelta(days=1))
    assert book_url(child, kind, tomorrow_slot) in body
    _starts_on, ends_on = kind.window(child.date_of_birth)
    too_late = session(sessions, ends_on + datetime.timedelta(days=1))
    assert book_url(child, kind, too_late) not in body


def test_nobody_else_sees_the_page(client, taro, child, kind, sessions):
    slot = session(sessions, today() + datetime.timedelta(days=1))
    before = snapshot()
    client.force_login(taro.user)
    assert client.get(page_url(child)).status_code == 404
    assert client.get(book_url(child, kind, slot)).status_code == 404
    assert client.post(book_url(child, kind, slot)).status_code == 404
    assert client.get(reverse("childcare:child_checkups", args=[999999])).status_code == 404
    client.force_login(health_centre_staff())
    assert client.get(page_url(child)).status_code == 404
    assert client.post(book_url(child, kind, slot)).status_code == 404
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action="childcare.child.read").exists()


def test_the_guardian_books_a_session_and_sees_it(client, hanako, child, kind,
                                                  sessions):
    slot = session(sessions, today() + datetime.timedelta(days=2))
    client.force_login(hanako.user)
    confirm = client.get(book_url(child, kind, slot), **EN)
    assert confirm.status_code == 200
    assert "Book this session" in confirm.content.decode()
    response = client.post(book_url(child, kind, slot), **EN)
    assert response.status_code == 302 and response["Location"] == page_url(child)
    booking = Booking.objects.get()
    assert booking.subject == checkups.subject_key(child, kind)
    assert str(child.pk) in booking.subject and child.name not in response["Location"]
    body = client.get(page_url(child), **EN).content.decode()
    assert "The checkup is booked" in body and booking.reference in body
    assert reverse("bookings:booking_detail", args=[booking.pk]) in body
    # The engine's page of the booking says whom it is for.
    detail = client.get(reverse("bookings:booking_detail", args=[booking.pk]), **EN)
    assert "Booked for" in detail.content.decode() and child.name in detail.content.decode()
    # Booking it again (another session) is refused: one booking per child and checkup.
    other = session(sessions, today() + datetime.timedelta(days=3))
    before = snapshot()
    again = client.post(book_url(child, kind, other), **EN)
    assert again.status_code == 400
    assert booking.reference in again.content.decode()
    assert snapshot() == before


def test_a_session_outside_the_period_is_refused(client, hanako, child, kind,
                                                 sessions):
    _starts_on, ends_on = kind.window(child.date_of_birth)
    slot = session(sessions, ends_on + datetime.timedelta(days=1))
    client.force_login(hanako.user)
    page = client.get(book_url(child, kind, slot), **EN)
    assert page.status_code == 200
    assert "outside the child's period" in page.content.decode()
    before = snapshot()
    response = client.post(book_url(child, kind, slot), **EN)
    assert response.status_code == 400
    assert "outside your child" in response.content.decode()
    assert snapshot() == before
    # A session of another resource, or an unknown checkup: not found.
    assert client.post(reverse("childcare:child_checkup_book",
                               args=[child.pk, "6-7m", slot.pk])).status_code == 404
    assert client.post(reverse("childcare:child_checkup_book",
                               args=[child.pk, "3-4m", slot.pk])).status_code == 404
    assert snapshot() == before


def test_the_engine_pages_of_a_checkup_send_residents_to_the_child_page(client, hanako,
                                                                         kind, sessions):
    slot = session(sessions, today() + datetime.timedelta(days=1))
    client.force_login(hanako.user)
    detail = client.get(reverse("bookings:resource_detail", args=[sessions.code]), **EN)
    body = detail.content.decode()
    assert detail.status_code == 200 and "booked for a child" in body
    assert reverse("bookings:booking_new", args=[sessions.code, slot.pk]) not in body
    form = client.get(reverse("bookings:booking_new", args=[sessions.code, slot.pk]), **EN)
    assert "booked for a child" in form.content.decode()
    response = client.post(reverse("bookings:booking_new", args=[sessions.code, slot.pk]),
                           {"child_name": "港 さくら", "child_date_of_birth": "2031-01-01"},
                           **EN)
    assert response.status_code == 400 and not Booking.objects.exists()


def test_the_health_centre_sees_who_is_booked_with_the_child_age(client, hanako, child,
                                                                 kind, sessions):
    slot = session(sessions, today() + datetime.timedelta(days=2))
    booking = checkups.checkup_book(child=child, kind=kind, slot=slot, actor=hanako.user)
    staff = health_centre_staff()
    client.force_login(staff)
    page = client.get(reverse("bookings:staff_slot", args=[slot.pk]), **EN)
    body = page.content.decode()
    age = checkups.age_in_months(child.date_of_birth, today() + datetime.timedelta(days=2))
    assert page.status_code == 200 and child.name in body
    assert f"{age} months" in body and hanako.full_name in body
    read = AuditEvent.objects.get(action="childcare.child.read", actor=staff)
    assert (read.target_id, read.purpose) == (str(child.pk), "infant checkup session")
    assert AuditEvent.objects.filter(action="booking.list", actor=staff).exists()
    # The booking and the check-in page say it too (and are audited the same way).
    for url in (reverse("bookings:staff_booking", args=[booking.pk]),
                reverse("bookings:staff_checkin", args=[booking.checkin_token])):
        assert child.name in client.get(url, **EN).content.decode()
    assert AuditEvent.objects.filter(action="childcare.child.read", actor=staff).count() == 3


def test_staff_who_may_not_read_the_child_see_only_that_it_is_a_child(client, hanako,
                                                                      child, kind, sessions,
                                                                      shiba_clerk):
    slot = session(sessions, today() + datetime.timedelta(days=2))
    checkups.checkup_book(child=child, kind=kind, slot=slot, actor=hanako.user)
    client.force_login(shiba_clerk)
    body = client.get(reverse("bookings:staff_slot", args=[slot.pk]), **EN).content.decode()
    assert "A child (you may not read" in body and child.name not in body
    assert not AuditEvent.objects.filter(action="childcare.child.read").exists()
