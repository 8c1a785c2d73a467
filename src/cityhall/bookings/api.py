"""API of the bookings engine (mounted at /api/v1/bookings/): the bookable resources and their
live vacancy (public, 取組23), and a signed-in person's own bookings: list, book, cancel.
Errors come in the project's one shape (`cityhall.api`)."""

import datetime
import uuid

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import django_auth

from cityhall.core.errors import NotFoundError

from . import selectors, services
from .models import Booking, Slot
from .permissions import own_booking

router = Router(tags=["bookings"])

MAX_DAYS = 31


class ResourceOut(Schema):
    code: str
    kind: str
    name: str
    name_en: str
    facility: str | None = Field(None, alias="facility.code")
    area: str | None = Field(None, alias="area.code")
    capacity: int
    slot_minutes: int
    max_places_per_booking: int
    fee_yen: int
    checkin_required: bool
    waitlist_enabled: bool
    book_days_ahead: int


class SlotOut(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    free: int
    waiting: int
    is_closed: bool


class AvailabilityQuery(Schema):
    start: datetime.date | None = None
    days: int = Field(7, ge=1, le=MAX_DAYS)


class BookingIn(Schema):
    slot_id: int
    places: int = Field(1, ge=1, le=100)
    waitlist: bool = False
    payment_method: str = Field("", max_length=20)
    items: dict[str, int] = Field(default_factory=dict, max_length=50)


class BookingOut(Schema):
    id: uuid.UUID
    reference: str
    resource: str
    slot_id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    places: int
    status: str
    fee_yen: int
    payment_method: str
    payment_status: str
    items: list[dict]
    created_at: datetime.datetime
    checked_in_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    url: str

    @staticmethod
    def resolve_resource(obj):
        return obj.resource.code

    @staticmethod
    def resolve_starts_at(obj):
        return obj.slot.starts_at

    @staticmethod
    def resolve_ends_at(obj):
        return obj.slot.ends_at

    @staticmethod
    def resolve_items(obj):
        details = obj.details if isinstance(obj.details, dict) else {}
        return [{"code": line.get("code"), "pieces": line.get("pieces"),
                 "fee_yen": line.get("fee_yen")} for line in details.get("items", [])]

    @staticmethod
    def resolve_url(obj):
        return reverse("bookings:booking_detail", args=[obj.pk])


def _resource(code: str):
    resource = selectors.bookable_resources().filter(code=code).first()
    if resource is None:
        raise NotFoundError()
    return resource


@router.get("/resources", response=list[ResourceOut])
def resources(request: HttpRequest):
    """What can be booked, with its rules."""
    return list(selectors.bookable_resources())


@router.get("/resources/{code}/availability", response=list[SlotOut])
def availability(request: HttpRequest, code: str, query: Query[AvailabilityQuery]):
    """The live vacancy of a resource: its slots from `start` (default today) for `days` days
    within its bookable window, with free places and the number of people waiting."""
    resource = _resource(code)
    start = query.start or timezone.localdate()
    if start > services.bookable_window(resource)[1]:
        return []
    return selectors.availability(resource, start=start, days=query.days)


@router.get("/mine", response=list[BookingOut], auth=django_auth)
@paginate
def mine(request: HttpRequest):
    """The caller's bookings, latest slot first."""
    return selectors.bookings_of(request.user).select_related("resource", "slot")


@router.post("/", response={201: BookingOut}, auth=django_auth)
def create(request: HttpRequest, payload: BookingIn):
    """Book a slot for the caller (with `waitlist`, join the waitlist of a full slot). A
    bulky-waste collection is made at the caller's registered address."""
    slot = Slot.objects.select_related("resource").filter(pk=payload.slot_id).first()
    if slot is None:
        raise NotFoundError()
    profile = getattr(request.user, "resident_profile", None)
    booking = services.booking_create(
        slot=slot, user=request.user, actor=request.user, places=payload.places,
        items=payload.items or None, town=profile.town if profile and slot.resource.area_id
        else None, payment_method=payload.payment_method, waitlist=payload.waitlist)
    return Status(201, Booking.objects.select_related("resource", "slot").get(pk=booking.pk))


@router.post("/{booking_id}/cancel", response=BookingOut, auth=django_auth)
def cancel(request: HttpRequest, booking_id: uuid.UUID):
    """Cancel one of the caller's bookings (or leave a waitlist), until the deadline."""
    booking = own_booking(request.user, booking_id)
    booking = services.booking_cancel(booking=booking, actor=request.user)
    return Booking.objects.select_related("resource", "slot").get(pk=booking.pk)
