"""Named queries of the bookings engine: availability for residents (live vacancy, 取組23),
a person's bookings, and the staff calendar."""

import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Booking, Resource, Slot
from .services import bookable_window, local_zone, slots_ensure


def bookable_resources():
    return Resource.objects.filter(is_active=True).select_related("facility", "area")


def availability(resource: Resource, *, start: datetime.date, days: int = 7, now=None):
    """The slots of `resource` from `start` for `days` days, within its bookable window,
    made if missing; each with `free` places and `waiting` (people on the waitlist)."""
    now = now or timezone.now()
    first, last = bookable_window(resource, now)
    start = max(start, first)
    end = min(start + datetime.timedelta(days=days - 1), last)
    if end < start:
        return []
    slots_ensure(resource=resource, start=start, end=end)
    zone = local_zone()
    return list(Slot.objects.filter(
        resource=resource,
        starts_at__gte=datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        starts_at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                datetime.time.min, tzinfo=zone),
        ends_at__gt=now,
    ).annotate(waiting=Count("bookings", filter=Q(bookings__status="waitlisted")))
        .order_by("starts_at"))


def free_places_today(resources, now=None) -> dict[int, int]:
    """Free places left today per resource (for the list page's live vacancy)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    zone = local_zone()
    end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min,
                                    tzinfo=zone)
    rows = Slot.objects.filter(resource__in=resources, ends_at__gt=now, starts_at__lt=end,
                               is_closed=False).values("resource").annotate(
        capacity=Sum("capacity"), booked=Sum("booked"))
    return {row["resource"]: row["capacity"] - row["booked"] for row in rows}


def bookings_of(user):
    return Booking.objects.filter(user=user).select_related(
        "resource__facility", "slot").order_by("-slot__starts_at")


def upcoming_bookings_of(user, now=None):
    return bookings_of(user).filter(status__in=Booking.LIVE_STATUSES,
                                    slot__ends_at__gt=now or timezone.now()) \
        .order_by("slot__starts_at")


def day_slots(resource: Resource, day: datetime.date):
    """A day of the staff calendar: every slot with its counts (names come through
    `permissions.access_slot_bookings`)."""
    slots_ensure(resource=resource, start=day, end=day)
    zone = local_zone()
    return list(Slot.objects.filter(
        resource=resource,
        starts_at__gte=datetime.datetime.combine(day, datetime.time.min, tzinfo=zone),
        starts_at__lt=datetime.datetime.combine(day + datetime.timedelta(days=1),
                                                datetime.time.min, tzinfo=zone),
    ).annotate(waiting=Count("bookings", filter=Q(bookings__status="waitlisted")),
               checked_in=Count("bookings", filter=Q(bookings__status="checked_in")))
        .order_by("starts_at"))


def bookings_for_export(resource: Resource, start: datetime.date, end: datetime.date):
    zone = local_zone()
    return Booking.objects.filter(
        resource=resource,
        slot__starts_at__gte=datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        slot__starts_at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                      datetime.time.min, tzinfo=zone),
    ).select_related("slot", "user__resident_profile", "booked_by").order_by(
        "slot__starts_at", "created_at")


def refunds_due():
    return Booking.objects.filter(payment_status=Booking.PaymentStatus.REFUND_DUE) \
        .select_related("resource", "slot").order_by("cancelled_at")
