"""Check-in (staff scanning the booking's code, or the holder scanning the code posted at
the facility), the release of seats not checked in, and reminders."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError
from cityhall.core.permissions import can

from ..models import Booking, BookingEvent, Resource
from .booking import BookingRefused, _event, _release, promote_waitlist

# --- check-in and no-shows ----------------------------------------------------------------

def _checkin_window(booking: Booking):
    """Check-in opens `checkin_opens_minutes` before the start and closes
    `no_show_after_minutes` after the place was given: the start, or later for a seat booked
    or promoted from the waitlist while the slot runs; never after the end."""
    resource, slot = booking.resource, booking.slot
    given = max(slot.starts_at, booking.promoted_at or slot.starts_at,
                booking.created_at or slot.starts_at)
    return (slot.starts_at - datetime.timedelta(minutes=resource.checkin_opens_minutes),
            min(slot.ends_at,
                given + datetime.timedelta(minutes=resource.no_show_after_minutes)))


def booking_check_in(*, booking: Booking, actor, now=None) -> Booking:
    """Check a booking in: staff scanning the holder's QR code, or the holder scanning the
    code posted at the facility (`booking_self_check_in`)."""
    now = now or timezone.now()
    is_holder = actor is not None and actor.pk == booking.user_id
    if not is_holder and not can(actor, "bookings.check_in_booking"):
        raise PermissionDeniedError()
    with transaction.atomic():
        booking = Booking.objects.select_related("slot", "resource").get(pk=booking.pk)
        if booking.status == Booking.Status.CHECKED_IN:
            return booking
        if booking.status != Booking.Status.CONFIRMED:
            raise ConflictError(_("This booking is not active (%(status)s).")
                                % {"status": booking.get_status_display()})
        opens, closes = _checkin_window(booking)
        if now < opens:
            raise BookingRefused(_("Check-in opens at %(time)s.")
                                 % {"time": timezone.localtime(opens).strftime("%H:%M")})
        if now > closes:
            raise BookingRefused(_("The time to check in has passed."))
        moved = Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).update(
            status=Booking.Status.CHECKED_IN, checked_in_at=now)
        if not moved:
            raise ConflictError()
        if not is_holder:
            audit_record(actor=actor, action="booking.check_in", target=booking,
                         details={"reference": booking.reference})
    booking.refresh_from_db()
    return booking


def booking_self_check_in(*, resource: Resource, secret: str, user, now=None) -> Booking:
    """The holder scans the QR code posted at the facility: their booking running now (or
    about to start) is checked in."""
    now = now or timezone.now()
    if not secrets.compare_digest(secret or "", resource.checkin_secret):
        raise BookingRefused(_("This check-in code is not valid. Scan the code at the "
                               "facility again."))
    window_end = now + datetime.timedelta(minutes=resource.checkin_opens_minutes)
    running_or_next = Booking.objects.filter(
        resource=resource, user=user, status__in=Booking.HOLDING_STATUSES,
        slot__ends_at__gt=now, slot__starts_at__lte=window_end,
    ).select_related("slot", "resource").order_by("slot__starts_at")
    # One still to check in comes first; else one already checked in (scanning twice is fine).
    booking = running_or_next.filter(status=Booking.Status.CONFIRMED).first() or \
        running_or_next.first()
    if booking is None:
        raise BookingRefused(_("You have no booking here to check in now."))
    return booking_check_in(booking=booking, actor=user, now=now)


def release_no_shows(*, now=None) -> int:
    """Release the places of bookings that needed a check-in and did not get one in time;
    the waitlist is promoted and the freed seat is bookable for the rest of the slot."""
    now = now or timezone.now()
    released = 0
    candidates = Booking.objects.filter(
        status=Booking.Status.CONFIRMED, resource__checkin_required=True,
        slot__starts_at__lte=now).select_related("slot", "resource")
    for booking in candidates:
        if now <= _checkin_window(booking)[1] and now < booking.slot.ends_at:
            continue
        with transaction.atomic():
            if _release(booking, Booking.Status.NO_SHOW):
                _event(booking, BookingEvent.Kind.RELEASED)
                released += 1
                promote_waitlist(slot_id=booking.slot_id, now=now)
    return released


def send_due_reminders(*, now=None) -> int:
    """Record a reminder for each confirmed booking whose slot starts within its resource's
    reminder time; each booking is reminded once (claimed by a conditional UPDATE)."""
    now = now or timezone.now()
    sent = 0
    due = Booking.objects.filter(
        status=Booking.Status.CONFIRMED, reminded_at__isnull=True, slot__starts_at__gt=now,
        resource__reminder_hours__gt=0,
    ).select_related("resource", "slot")
    for booking in due:
        if booking.slot.starts_at - datetime.timedelta(
                hours=booking.resource.reminder_hours) > now:
            continue
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                    reminded_at=now):
                _event(booking, BookingEvent.Kind.REMINDER)
                sent += 1
    return sent
