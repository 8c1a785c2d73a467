"""The one door to bookings: a booking names who booked, so staff reads are audited and a
resident sees only their own bookings (anyone else's is "not found")."""

from django.db import transaction

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can

from .models import Booking, Slot


def _get(booking_id) -> Booking:
    try:
        return Booking.objects.select_related(
            "resource__facility", "slot", "user__resident_profile", "booked_by").get(
            pk=booking_id)
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def own_booking(user, booking_id) -> Booking:
    booking = _get(booking_id)
    if not user.is_authenticated or booking.user_id != user.pk:
        raise NotFoundError()
    return booking


def access_booking(user, booking_id, *, purpose: str = "bookings") -> Booking:
    """A booking for staff with `bookings.view_booking`; the read is audited."""
    booking = _get(booking_id)
    if not can(user, "bookings.view_booking"):
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="booking.read", target=booking, purpose=purpose)
    return booking


def access_booking_by_token(user, token: str, *, purpose: str = "check-in") -> Booking:
    """The booking a check-in QR code names, for staff who check bookings in."""
    if not can(user, "bookings.check_in_booking"):
        raise PermissionDeniedError()
    booking = Booking.objects.select_related("resource", "slot", "user__resident_profile") \
        .filter(checkin_token=token or "-").first()
    if booking is None:
        raise NotFoundError()
    with transaction.atomic():
        audit_record(actor=user, action="booking.read", target=booking, purpose=purpose)
    return booking


def access_slot_bookings(user, slot: Slot, *, purpose: str = "bookings calendar"):
    """The bookings of a slot (who booked) for staff; the read is audited as one event that
    records how many bookings were shown."""
    if not can(user, "bookings.view_booking"):
        raise PermissionDeniedError()
    bookings = list(Booking.objects.filter(slot=slot).select_related(
        "user__resident_profile", "booked_by").order_by("status", "created_at"))
    with transaction.atomic():
        audit_record(actor=user, action="booking.list", target=slot, purpose=purpose,
                     details={"shown": len(bookings)})
    return bookings
