"""The API of the bookings engine at /api/v1/bookings/: the public list of resources and their
live vacancy, and a signed-in person's own bookings (list, book, cancel), with errors in the
project's one shape. Bad input is a 400 or 422, never a 500; someone else's booking is not
found."""

import datetime
import uuid

import pytest
from django.utils import timezone

from cityhall.bookings import services
from cityhall.bookings.models import Booking, Resource, Slot
from cityhall.core.models import AuditEvent, BranchOffice

from .conftest import make_resource, slot_at

pytestmark = pytest.mark.django_db

API = "/api/v1/bookings"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def snapshot():
    return (list(Booking.objects.order_by("reference").values_list("reference", "status")),
            list(Slot.objects.order_by("pk").values_list("pk", "booked")),
            AuditEvent.objects.count())


def post(client, path, data=None, **extra):
    return client.post(f"{API}{path}", data if data is not None else {},
                       content_type="application/json", **extra)


def test_the_openapi_document_lists_the_bookings_paths(client):
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert {f"{API}/resources", f"{API}/resources/{{code}}/availability", f"{API}/mine",
            f"{API}/", f"{API}/{{booking_id}}/cancel"} <= paths


def test_the_resources_are_public(client, seats):
    Resource.objects.filter(code="azabu-kumin-room-a").update(is_active=False)
    response = client.get(f"{API}/resources")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["test-seats"] == {
        "code": "test-seats", "kind": "library_seat", "name": "テスト学習席",
        "name_en": "Test seats", "facility": None, "area": None, "capacity": 2,
        "slot_minutes": 60, "max_places_per_booking": 1, "fee_yen": 0,
        "checkin_required": False, "waitlist_enabled": True, "book_days_ahead": 30}
    assert rows["mita-library-study-seats"]["facility"] == "minato-lib-mita"
    assert rows["bulky-waste-shiba"]["area"] == "shiba"
    assert "azabu-kumin-room-a" not in rows


def test_the_availability_is_the_live_vacancy(client, seats, hanako, taro, shiba_manager):
    day = tomorrow()
    ten = slot_at(seats, day, 10)
    services.booking_create(slot=ten, user=hanako, actor=hanako)
    services.booking_create(slot=ten, user=taro, actor=taro)
    services.slot_close(slot=slot_at(seats, day, 11), reason="点検", actor=shiba_manager)
    response = client.get(f"{API}/resources/test-seats/availability",
                          {"start": day.isoformat(), "days": 1})
    assert response.status_code == 200
    slots = response.json()
    assert len(slots) == 8
    assert set(slots[0]) == {"id", "starts_at", "ends_at", "capacity", "free", "waiting",
                             "is_closed"}
    by_start = {datetime.datetime.fromisoformat(slot["starts_at"]).astimezone(
        services.local_zone()).hour: slot for slot in slots}
    assert by_start[9] == {**by_start[9], "capacity": 2, "free": 2, "waiting": 0,
                           "is_closed": False}
    assert (by_start[10]["id"], by_start[10]["free"]) == (ten.pk, 0)
    assert (by_start[11]["free"], by_start[11]["is_closed"]) == (0, True)
    # Seven days by default; days past the bookable window are not shown.
    week = client.get(f"{API}/resources/test-seats/availability",
                      {"start": day.isoformat()}).json()
    assert len(week) == 7 * 8
    far = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    assert client.get(f"{API}/resources/test-seats/availability",
                      {"start": far}).json() == []
    assert client.get(f"{API}/resources/test-seats/availability",
                      {"start": "9999-12-31"}).json() == []


@pytest.mark.parametrize("query", [{"days": 0}, {"days": 32}, {"days": "many"},
                                   {"start": "2026-02-30"}, {"start": "tomorrow"}])
def test_a_bad_availability_query_is_a_422_in_the_error_shape(client, seats, query):
    response = client.get(f"{API}/resources/test-seats/availability", query, **EN)
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"] == "Some of the information given is not valid."
    assert not seats.slots.exists()


def test_an_unknown_resource_is_a_404_in_the_error_shape(client, seats):
    response = client.get(f"{API}/resources/no-such-thing/availability", **EN)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found",
                                         "message": "The requested record does not exist."}}


def test_own_bookings_need_a_signed_in_person(client, seats, hanako):
    booking = services.booking_create(slot=slot_at(seats, tomorrow(), 10), user=hanako,
                                      actor=hanako)
    before = snapshot()
    unauthorized = {"error": {"code": "unauthorized", "message": "Please sign in."}}
    for response in (client.get(f"{API}/mine", **EN),
                     post(client, "/", {"slot_id": booking.slot_id}, **EN),
                     post(client, f"/{booking.pk}/cancel", **EN)):
        assert response.status_code == 401
        assert response.json() == unauthorized
    assert snapshot() == before


def test_a_person_books_lists_and_cancels(client, seats, hanako, taro, on_commit):
    slot = slot_at(seats, tomorrow(), 10)
    services.booking_create(slot=slot_at(seats, tomorrow(), 11), user=taro, actor=taro)
    client.force_login(hanako)
    with on_commit():
        response = post(client, "/", {"slot_id": slot.pk})
    assert response.status_code == 201
    body = response.json()
    booking = Booking.objects.get(user=hanako)
    assert body["id"] == str(booking.pk) and body["reference"] == booking.reference
    assert (body["resource"], body["slot_id"], body["places"], body["status"]) == (
        "test-seats", slot.pk, 1, "confirmed")
    assert (body["fee_yen"], body["payment_method"], body["payment_status"]) == (
        0, "none", "not_required")
    assert datetime.datetime.fromisoformat(body["starts_at"]) == slot.starts_at
    assert body["url"] == f"/bookings/b/{booking.pk}/"
    assert booking.events.get().kind == "confirmed"
    slot.refresh_from_db()
    assert slot.booked == 1

    mine = client.get(f"{API}/mine").json()
    assert mine["count"] == 1
    assert [row["reference"] for row in mine["items"]] == [booking.reference]

    response = post(client, f"/{booking.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == "cancelled" and slot.booked == 0
    # Cancelling again is a conflict in the error shape.
    response = post(client, f"/{booking.pk}/cancel", **EN)
    assert response.status_code == 409
    assert response.json() == {"error": {"code": "conflict",
                                         "message": "This booking is no longer active."}}


def test_a_full_slot_is_a_409_slot_full_or_a_waitlist_place(client, seats, hanako, taro,
                                                            emily):
    slot = slot_at(seats, tomorrow(), 10)
    services.booking_create(slot=slot, user=taro, actor=taro)
    services.booking_create(slot=slot, user=emily, actor=emily)
    client.force_login(hanako)
    before = snapshot()
    response = post(client, "/", {"slot_id": slot.pk}, **EN)
    assert response.status_code == 409
    assert response.json() == {"error": {
        "code": "slot_full",
        "message": "This slot has just been fully booked. Choose another time or join the "
                   "waitlist."}}
    assert snapshot() == before
    response = post(client, "/", {"slot_id": slot.pk, "waitlist": True})
    assert response.status_code == 201
    assert response.json()["status"] == "waitlisted"


def test_a_bulky_waste_collection_is_booked_with_items_at_home(client, minato, hanako):
    bulky = make_resource("test-bulky-shiba", kind=Resource.Kind.BULKY_WASTE, capacity=5,
                          slot_minutes=480, audience=Resource.Audience.RESIDENTS,
                          allow_sticker=True, area=BranchOffice.objects.get(code="shiba"),
                          waitlist_enabled=False)
    slot = slot_at(bulky, tomorrow(), 9)
    client.force_login(hanako)
    response = post(client, "/", {"slot_id": slot.pk, "items": {"chair": 2, "futon": 1},
                                  "payment_method": "sticker"})
    assert response.status_code == 201
    body = response.json()
    assert (body["fee_yen"], body["payment_method"], body["payment_status"]) == (
        1200, "sticker", "pending")
    assert sorted((item["code"], item["pieces"]) for item in body["items"]) == [
        ("chair", 2), ("futon", 1)]
    booking = Booking.objects.get()
    assert booking.details["town_id"] == hanako.resident_profile.town_id


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({}, 422, "invalid"),
    ({"slot_id": "ten"}, 422, "invalid"),
    ({"slot_id": 10**9}, 404, "not_found"),
    ({"slot_id": "SLOT", "places": 0}, 422, "invalid"),
    ({"slot_id": "SLOT", "places": 2}, 400, "booking_refused"),
    ({"slot_id": "SLOT", "items": {"chair": "many"}}, 422, "invalid"),
    ({"slot_id": "SLOT", "payment_method": "x" * 50}, 422, "invalid"),
])
def test_bad_bookings_are_refused_in_the_error_shape(client, seats, hanako, payload, status,
                                                     code):
    slot = slot_at(seats, tomorrow(), 10)
    payload = {key: slot.pk if value == "SLOT" else value for key, value in payload.items()}
    client.force_login(hanako)
    before = snapshot()
    response = post(client, "/", payload, **EN)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert snapshot() == before


def test_a_resource_closed_for_booking_refuses_in_the_error_shape(client, seats, hanako):
    slot = slot_at(seats, tomorrow(), 10)
    Resource.objects.filter(pk=seats.pk).update(is_active=False)
    client.force_login(hanako)
    before = snapshot()
    response = post(client, "/", {"slot_id": slot.pk}, **EN)
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "booking_refused", "message": "This is not open for booking at the moment."}}
    assert client.get(f"{API}/resources/test-seats/availability").status_code == 404
    assert snapshot() == before


def test_too_many_kinds_of_items_is_a_422(client, seats, hanako):
    slot = slot_at(seats, tomorrow(), 10)
    client.force_login(hanako)
    response = post(client, "/", {"slot_id": slot.pk,
                                  "items": {f"item-{n}": 1 for n in range(51)}})
    assert response.status_code == 422
    assert not Booking.objects.exists()


def test_a_body_that_is_not_json_is_refused(client, seats, hanako):
    client.force_login(hanako)
    response = client.post(f"{API}/", "slot_id=1", content_type="application/json")
    assert response.status_code in (400, 422)
    assert "error" in response.json()


def test_someone_elses_booking_cannot_be_cancelled(client, seats, hanako, taro):
    booking = services.booking_create(slot=slot_at(seats, tomorrow(), 10), user=hanako,
                                      actor=hanako)
    client.force_login(taro)
    before = snapshot()
    for target in (booking.pk, uuid.uuid4()):
        response = post(client, f"/{target}/cancel", **EN)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert post(client, "/not-a-uuid/cancel").status_code == 422
    assert snapshot() == before
    assert client.get(f"{API}/mine").json() == {"items": [], "count": 0}
