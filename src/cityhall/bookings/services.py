"""Every write of the bookings engine (取組7, 8, 15, 23 and facility bookings).

Capacity is protected by the database, not by Python: taking places is one conditional UPDATE
(`booked = booked + n WHERE booked + n <= capacity AND NOT is_closed`), and the check
constraint `slot_booked_within_capacity` refuses any write that would overbook. Promoting from
the waitlist takes the place the same way and moves the booking with a conditional UPDATE on
its status, so two cancellations at once can never promote one person twice or two people
into one place. A person's own bookings are serialised by a row lock on their user row (on
SQLite every write transaction is already serial: `transaction_mode=IMMEDIATE`), so the limit
of bookings per person also holds under double clicks and two tabs.

Residents' own actions are recorded on the booking; actions of staff (booking on behalf,
cancelling, closing slots, checking in) go to the audit log in the same transaction.
"""

import datetime
import secrets
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.calendar import is_new_year_break, is_public_holiday
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from .models import Booking, BookingEvent, Closure, PricedItem, Resource, Slot

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
MAX_ITEMS_PER_COLLECTION = 10


class BookingRefused(ValidationFailed):
    code = "booking_refused"


class SlotFull(ConflictError):
    code = "slot_full"
    default_message = _("This slot has just been fully booked. Choose another time or join "
                        "the waitlist.")


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- slots --------------------------------------------------------------------------------

def is_closed_day(resource: Resource, day: datetime.date, closures=None) -> bool:
    if resource.closed_new_year and is_new_year_break(day):
        return True
    if resource.closed_on_public_holidays and is_public_holiday(day):
        return True
    if closures is None:
        closures = list(resource.closures.all())
    return any(closure.starts_on <= day <= closure.ends_on for closure in closures)


def slot_times(resource: Resource, day: datetime.date, hours=None, closures=None):
    """The (start, end) of every slot of `resource` on `day`, as aware datetimes."""
    if is_closed_day(resource, day, closures):
        return []
    if hours is None:
        hours = list(resource.opening_hours.all())
    zone = local_zone()
    length = datetime.timedelta(minutes=resource.slot_minutes)
    times = []
    for window in hours:
        if window.weekday != day.weekday():
            continue
        start = datetime.datetime.combine(day, window.opens, tzinfo=zone)
        closes = datetime.datetime.combine(day, window.closes, tzinfo=zone)
        if start + length > closes:  # a window shorter than one slot is one slot
            times.append((start, closes))
            continue
        while start + length <= closes:
            times.append((start, start + length))
            start += length
    return times


def slots_ensure(*, resource: Resource, start: datetime.date, end: datetime.date) -> int:
    """Create the slots of `resource` from `start` to `end` (inclusive) that its opening
    calendar gives and that do not exist yet. Idempotent and safe to run concurrently; an
    existing slot is never changed here (closing one is `slot_close`)."""
    hours = list(resource.opening_hours.all())
    closures = list(resource.closures.filter(ends_on__gte=start, starts_on__lte=end))
    wanted = []
    day = start
    while day <= end:
        wanted.extend(slot_times(resource, day, hours, closures))
        day += datetime.timedelta(days=1)
    if not wanted:
        return 0
    existing = set(Slot.objects.filter(
        resource=resource, starts_at__gte=wanted[0][0], starts_at__lte=wanted[-1][0],
    ).values_list("starts_at", flat=True))
    new = [Slot(resource=resource, starts_at=s, ends_at=e, capacity=resource.capacity)
           for s, e in wanted if s not in existing]
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def bookable_window(resource: Resource, now=None) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate(now or timezone.now())
    return today, today + datetime.timedelta(days=resource.book_days_ahead)


def slot_close(*, slot: Slot, reason: str, actor) -> int:
    """Close a slot to bookings; its bookings and waitlist are cancelled and their holders
    told. Returns how many bookings were cancelled."""
    if not can(actor, "bookings.manage_slots"):
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for closing, so the people booked are told "
                                 "why."), field="reason")
    with transaction.atomic():
        slot = Slot.objects.select_for_update().get(pk=slot.pk)
        if slot.is_closed:
            raise ConflictError(_("This slot is already closed."))
        slot.is_closed, slot.closed_reason = True, reason[:200]
        slot.save(update_fields=["is_closed", "closed_reason"])
        cancelled = 0
        for booking in Booking.objects.filter(slot=slot, status__in=Booking.LIVE_STATUSES):
            if _cancel(booking, reason=reason, kind=BookingEvent.Kind.CANCELLED_BY_CITY):
                cancelled += 1
        audit_record(actor=actor, action="booking.slot_close", target=slot,
                     details={"reason": reason[:200], "cancelled": cancelled})
    return cancelled


def slot_reopen(*, slot: Slot, actor) -> Slot:
    if not can(actor, "bookings.manage_slots"):
        raise PermissionDeniedError()
    with transaction.atomic():
        updated = Slot.objects.filter(pk=slot.pk, is_closed=True).update(
            is_closed=False, closed_reason="")
        if not updated:
            raise ConflictError(_("This slot is open already."))
        audit_record(actor=actor, action="booking.slot_reopen", target=slot)
    slot.refresh_from_db()
    return slot


def closure_add(*, resource: Resource, starts_on: datetime.date, ends_on: datetime.date,
                reason: str, actor) -> Closure:
    """Close a resource for whole days: slots not yet made are never made, existing ones are
    closed and their bookings cancelled with notice."""
    if not can(actor, "bookings.manage_slots"):
        raise PermissionDeniedError()
    if ends_on < starts_on:
        raise ValidationFailed(_("The last day of a closure cannot be before its first day."),
                               field="ends_on")
    if starts_on < timezone.localdate():
        raise ValidationFailed(_("A closure cannot start in the past."), field="starts_on")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for closing, so the people booked are told "
                                 "why."), field="reason")
    with transaction.atomic():
        closure = Closure.objects.create(resource=resource, starts_on=starts_on,
                                         ends_on=ends_on, reason=reason[:200])
        zone = local_zone()
        first = datetime.datetime.combine(starts_on, datetime.time.min, tzinfo=zone)
        last = datetime.datetime.combine(ends_on + datetime.timedelta(days=1),
                                         datetime.time.min, tzinfo=zone)
        for slot in Slot.objects.filter(resource=resource, starts_at__gte=first,
                                        starts_at__lt=last, is_closed=False):
            Slot.objects.filter(pk=slot.pk).update(is_closed=True, closed_reason=reason[:200])
            for booking in Booking.objects.filter(slot=slot, status__in=Booking.LIVE_STATUSES):
                _cancel(booking, reason=reason, kind=BookingEvent.Kind.CANCELLED_BY_CITY)
        audit_record(actor=actor, action="booking.closure_add", target=resource,
                     details={"from": starts_on.isoformat(), "until": ends_on.isoformat()})
    return closure


# --- booking ------------------------------------------------------------------------------

def _new_reference() -> str:
    return "B" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(8))


def _check_rules(*, resource: Resource, slot: Slot, user, places: int, on_behalf: bool,
                 now) -> None:
    if not resource.is_active:
        raise BookingRefused(_("This is not open for booking at the moment."))
    if slot.resource_id != resource.pk:
        raise BookingRefused(_("This slot does not belong to this resource."))
    if slot.is_closed:
        raise BookingRefused(_("This slot is closed: %(reason)s")
                             % {"reason": slot.closed_reason or "-"})
    if slot.ends_at <= now:
        raise BookingRefused(_("This slot is in the past."))
    notice = datetime.timedelta(minutes=resource.min_notice_minutes)
    # Seats with check-in may be taken while the slot runs (a released seat is reused).
    if slot.starts_at - notice < now and not (resource.checkin_required and slot.starts_at <= now):
        if slot.starts_at <= now:
            raise BookingRefused(_("This slot has already started."))
        raise BookingRefused(_("This slot can be booked until %(minutes)s minutes before it "
                               "starts.") % {"minutes": resource.min_notice_minutes})
    last_day = bookable_window(resource, now)[1]
    if timezone.localdate(slot.starts_at) > last_day:
        raise BookingRefused(_("Bookings open %(days)s days ahead; this slot cannot be booked "
                               "yet.") % {"days": resource.book_days_ahead})
    # The opening calendar may have changed since the slot was made.
    if (slot.starts_at, slot.ends_at) not in slot_times(resource, timezone.localdate(
            slot.starts_at)):
        raise BookingRefused(_("This time is outside the opening hours."))
    if not 1 <= places <= resource.max_places_per_booking:
        raise BookingRefused(_("One booking can take between 1 and %(max)s places.")
                             % {"max": resource.max_places_per_booking}, field="places")
    if resource.audience == Resource.Audience.STAFF_ONLY and not on_behalf:
        raise BookingRefused(_("This is booked at the counter or by phone only."))
    if resource.audience == Resource.Audience.RESIDENTS and \
            not hasattr(user, "resident_profile"):
        raise BookingRefused(_("Only registered residents of the city can book this. Complete "
                               "your resident profile first."))


def _fee(resource: Resource, places: int, items: dict[str, int] | None) -> tuple[int, list]:
    priced = list(PricedItem.objects.filter(kind=resource.kind, is_active=True))
    if not priced:
        return resource.fee_yen * places, []
    items = {code: count for code, count in (items or {}).items() if count}
    known = {item.code: item for item in priced}
    unknown = set(items) - set(known)
    if unknown:
        raise BookingRefused(_("Choose items from the list."), field="items")
    if any(not isinstance(c, int) or isinstance(c, bool) or c < 0 for c in items.values()):
        raise BookingRefused(_("Give each item as a whole number of pieces."), field="items")
    total_pieces = sum(items.values())
    if total_pieces == 0:
        raise BookingRefused(_("Choose at least one item."), field="items")
    if total_pieces > MAX_ITEMS_PER_COLLECTION:
        raise BookingRefused(_("One collection takes at most %(max)s pieces; book another day "
                               "for the rest.") % {"max": MAX_ITEMS_PER_COLLECTION},
                             field="items")
    lines = [{"code": code, "name": known[code].name, "name_en": known[code].name_en,
              "pieces": count, "fee_yen": known[code].fee_yen}
             for code, count in sorted(items.items(), key=lambda kv: known[kv[0]].sort_order)]
    return sum(line["pieces"] * line["fee_yen"] for line in lines), lines


def payment_methods(resource: Resource) -> list[str]:
    """How the fee of this resource may be paid, best first."""
    methods = []
    if apps.is_installed("cityhall.payments"):
        from cityhall.payments.providers import online_providers

        if online_providers():
            methods.append(Booking.PaymentMethod.ONLINE)
    if resource.allow_sticker:
        methods.append(Booking.PaymentMethod.STICKER)
    if resource.facility_id:
        methods.append(Booking.PaymentMethod.AT_FACILITY)
    return methods


def booking_create(*, slot: Slot, user, actor, places: int = 1, details: dict | None = None,
                   items: dict[str, int] | None = None, town=None, payment_method: str = "",
                   waitlist: bool = False, now=None) -> Booking:
    """Book `places` in `slot` for `user`. `actor` is the user themselves, or staff booking
    on their behalf at the counter. With `waitlist=True` a full slot puts the person on its
    waitlist instead of refusing.

    Refused with a clear message (and nothing changed): inactive resource, closed or past
    slot, too late or too early, outside opening hours, too many places or bookings, the
    wrong audience, an address outside the area, unknown items, a payment method the resource
    does not take. A full slot raises `SlotFull` unless `waitlist`.
    """
    now = now or timezone.now()
    resource = slot.resource
    on_behalf = actor is not None and actor.pk != user.pk
    if on_behalf and not can(actor, "bookings.book_on_behalf"):
        raise PermissionDeniedError()
    _check_rules(resource=resource, slot=slot, user=user, places=places, on_behalf=on_behalf,
                 now=now)
    if resource.area_id and (town is None or town.branch_office_id != resource.area_id):
        raise BookingRefused(_("This address is not in the area this collection serves."),
                             field="town")
    fee_yen, lines = _fee(resource, places, items)
    details = dict(details or {})
    if lines:
        details["items"] = lines
    if town is not None:
        details["town_id"] = town.pk
    if fee_yen:
        methods = payment_methods(resource)
        if payment_method not in methods:
            raise BookingRefused(_("Choose how to pay the fee."), field="payment_method")
    else:
        payment_method = Booking.PaymentMethod.NONE
    with transaction.atomic():
        # Serialise one person's bookings so the per-person limit holds under double clicks.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if Booking.objects.filter(slot=slot, user=user,
                                  status__in=Booking.LIVE_STATUSES).exists():
            raise ConflictError(_("You already have a booking for this slot."),
                                code="already_booked")
        held = Booking.objects.filter(resource=resource, user=user,
                                      status__in=Booking.LIVE_STATUSES,
                                      slot__ends_at__gt=now).count()
        if held >= resource.max_active_bookings:
            raise BookingRefused(_("You can hold at most %(max)s upcoming bookings here. Cancel "
                                   "one to book another.")
                                 % {"max": resource.max_active_bookings})
        has_room = Slot.objects.filter(pk=slot.pk, is_closed=False,
                                       booked__lte=F("capacity") - places)
        taken = has_room.update(booked=F("booked") + places)
        if not taken:
            # Full (or closed): lock the slot and look again before joining the waitlist, so
            # a place freed by a cancellation committing meanwhile is either taken here or
            # given to this booking by that cancellation's promotion (which waits for us).
            Slot.objects.select_for_update().get(pk=slot.pk)
            taken = has_room.update(booked=F("booked") + places)
        if taken:
            status = Booking.Status.CONFIRMED
        elif Slot.objects.filter(pk=slot.pk, is_closed=True).exists():
            # Closed by staff while this request was on its way.
            raise BookingRefused(_("This slot is closed: %(reason)s")
                                 % {"reason": Slot.objects.get(pk=slot.pk).closed_reason})
        elif waitlist and resource.waitlist_enabled:
            status = Booking.Status.WAITLISTED
        else:
            raise SlotFull()
        booking = None
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    booking = Booking.objects.create(
                        reference=_new_reference(), resource=resource, slot=slot, user=user,
                        booked_by=actor if on_behalf else None, places=places, status=status,
                        details=details, fee_yen=fee_yen, payment_method=payment_method,
                        payment_status=Booking.PaymentStatus.PENDING if fee_yen
                        else Booking.PaymentStatus.NOT_REQUIRED)
                break
            except IntegrityError:
                if Booking.objects.filter(slot=slot, user=user,
                                          status__in=Booking.LIVE_STATUSES).exists():
                    raise ConflictError(_("You already have a booking for this slot."),
                                        code="already_booked") from None
        if booking is None:
            raise ConflictError()
        _event(booking, BookingEvent.Kind.CONFIRMED if status == Booking.Status.CONFIRMED
               else BookingEvent.Kind.WAITLISTED)
        if on_behalf:
            audit_record(actor=actor, action="booking.create_on_behalf", target=booking,
                         details={"reference": booking.reference, "slot": slot.pk})
    return booking


def _event(booking: Booking, kind: str) -> BookingEvent:
    from .tasks import notify_booking_event

    event = BookingEvent.objects.create(booking=booking, kind=kind)
    enqueue_on_commit(notify_booking_event, event.pk)
    return event


def _release(booking: Booking, status: str, **fields) -> bool:
    """Move a live booking to a final status and give back its places; False if someone else
    moved it first. Call inside a transaction."""
    was_holding = booking.status in Booking.HOLDING_STATUSES
    moved = Booking.objects.filter(pk=booking.pk, status=booking.status).update(
        status=status, **fields)
    if not moved:
        return False
    if was_holding:
        Slot.objects.filter(pk=booking.slot_id).update(booked=F("booked") - booking.places)
    booking.status = status
    for name, value in fields.items():
        setattr(booking, name, value)
    return True


def _cancel(booking: Booking, *, reason: str, kind: str, now=None) -> bool:
    fields = {"cancelled_at": now or timezone.now(), "cancel_reason": reason[:200]}
    if booking.payment_status == Booking.PaymentStatus.PAID:
        fields["payment_status"] = Booking.PaymentStatus.REFUND_DUE
    elif booking.payment_status == Booking.PaymentStatus.PENDING:
        fields["payment_status"] = Booking.PaymentStatus.NOT_REQUIRED
    was_holding = booking.status in Booking.HOLDING_STATUSES
    if not _release(booking, Booking.Status.CANCELLED, **fields):
        return False
    _event(booking, kind)
    if was_holding:
        promote_waitlist(slot_id=booking.slot_id, now=now)
    return True


def booking_cancel(*, booking: Booking, actor, reason: str = "", now=None) -> Booking:
    """Cancel a booking or leave a waitlist. The holder may cancel until the resource's
    deadline; staff with `bookings.change_booking` at any time before the end of the slot.
    A freed place goes to the first person on the waitlist in the same transaction."""
    now = now or timezone.now()
    is_holder = actor is not None and actor.pk == booking.user_id
    is_staff = can(actor, "bookings.change_booking")
    if not is_holder and not is_staff:
        raise PermissionDeniedError()
    with transaction.atomic():
        booking = Booking.objects.select_related("slot", "resource").get(pk=booking.pk)
        if booking.status not in Booking.LIVE_STATUSES:
            raise ConflictError(_("This booking is no longer active."))
        if booking.slot.ends_at <= now:
            raise BookingRefused(_("This slot is over and can no longer be cancelled."))
        deadline = booking.slot.starts_at - datetime.timedelta(
            minutes=booking.resource.cancel_deadline_minutes)
        if not is_staff and booking.status != Booking.Status.WAITLISTED and now > deadline:
            raise BookingRefused(_("The deadline to cancel online has passed (%(deadline)s). "
                                   "Please call the facility.")
                                 % {"deadline": timezone.localtime(deadline).strftime(
                                     "%Y-%m-%d %H:%M")})
        kind = BookingEvent.Kind.CANCELLED if is_holder else \
            BookingEvent.Kind.CANCELLED_BY_CITY
        if not _cancel(booking, reason=reason, kind=kind, now=now):
            raise ConflictError()
        if not is_holder:
            audit_record(actor=actor, action="booking.cancel", target=booking,
                         details={"reference": booking.reference, "reason": reason[:200]})
    return booking


def promote_waitlist(*, slot_id: int, now=None) -> list[Booking]:
    """Give the free places of a slot to the people on its waitlist, first come first served,
    skipping a request for more places than are free. Each promotion takes the place with a
    conditional UPDATE and moves the booking with another, so whatever runs at the same time,
    no place is given twice and no person is promoted twice."""
    now = now or timezone.now()
    promoted = []
    with transaction.atomic():
        slot = Slot.objects.select_for_update().select_related("resource").get(pk=slot_id)
        if slot.is_closed or slot.ends_at <= now or not slot.resource.waitlist_enabled:
            return promoted
        for booking in Booking.objects.filter(slot=slot, status=Booking.Status.WAITLISTED) \
                .order_by("created_at", "id"):
            with transaction.atomic():
                taken = Slot.objects.filter(
                    pk=slot.pk, is_closed=False, booked__lte=F("capacity") - booking.places,
                ).update(booked=F("booked") + booking.places)
                if not taken:
                    continue
                moved = Booking.objects.filter(pk=booking.pk,
                                               status=Booking.Status.WAITLISTED).update(
                    status=Booking.Status.CONFIRMED, promoted_at=now)
                if not moved:  # cancelled or promoted meanwhile: give the place back
                    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - booking.places)
                    continue
            booking.status, booking.promoted_at = Booking.Status.CONFIRMED, now
            _event(booking, BookingEvent.Kind.PROMOTED)
            promoted.append(booking)
    return promoted


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


def expire_unpaid_bookings(*, now=None) -> int:
    """Cancel bookings whose online fee was not paid within BOOKING_PAYMENT_HOLD_MINUTES, so
    an abandoned payment does not hold a place; the waitlist moves up."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.BOOKING_PAYMENT_HOLD_MINUTES)
    expired = 0
    # The hold runs from when the place was given: at booking, or at promotion from the
    # waitlist (a person waiting has nothing to pay yet).
    for booking in Booking.objects.filter(
            Q(promoted_at__isnull=True, created_at__lt=cutoff) | Q(promoted_at__lt=cutoff),
            status__in=Booking.HOLDING_STATUSES, payment_method=Booking.PaymentMethod.ONLINE,
            payment_status=Booking.PaymentStatus.PENDING):
        with transaction.atomic():
            if _cancel(booking, reason=str(_("The fee was not paid in time.")),
                       kind=BookingEvent.Kind.CANCELLED_BY_CITY, now=now):
                expired += 1
    return expired


# --- fees ---------------------------------------------------------------------------------

def purpose_of(booking: Booking) -> str:
    return f"bookings.booking:{booking.reference}"


def booking_pay_online(*, booking: Booking, actor):
    """The payments engine's payment for the booking's fee: the live one, or a new one after
    a declined or expired attempt (never two live ones: the engine refuses)."""
    from cityhall.payments import services as payments
    from cityhall.payments.models import Fee, Payment
    from cityhall.payments.providers import online_providers

    if actor is None or actor.pk != booking.user_id:
        raise PermissionDeniedError()
    if booking.payment_method != Booking.PaymentMethod.ONLINE or \
            booking.payment_status != Booking.PaymentStatus.PENDING or \
            booking.status not in Booking.HOLDING_STATUSES:
        raise ConflictError(_("There is nothing to pay online for this booking."))
    providers = online_providers()
    if not providers:
        raise ConflictError(_("Online payment is not available at the moment."))
    purpose = purpose_of(booking)
    live = Payment.objects.filter(purpose=purpose, status__in=Payment.LIVE_STATUSES).first()
    if live is not None:
        return live
    attempts = Payment.objects.filter(purpose=purpose).count()
    key = purpose if attempts == 0 else f"{purpose}:{attempts + 1}"
    resource = booking.resource
    from django.urls import reverse

    return payments.payment_create(
        purpose=purpose, purpose_label=f"{resource.name}（{booking.reference}）",
        amount_yen=booking.fee_yen, provider=providers[0], idempotency_key=key,
        payer=booking.user,
        fee=Fee.objects.filter(code=resource.fee_code).first() if resource.fee_code else None,
        department=resource.department,
        purpose_url=reverse("bookings:booking_detail", args=[booking.pk]), actor=actor)


def booking_payment_record(*, booking: Booking, status: str, reference: str = "",
                           actor=None) -> Booking:
    """Record what happened to a booking's fee (from the payments engine, or staff taking the
    fee at the facility). A paid booking that was cancelled meanwhile becomes "refund due"."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if status == Booking.PaymentStatus.PAID:
            new = Booking.PaymentStatus.PAID if booking.status in Booking.LIVE_STATUSES \
                or booking.status == Booking.Status.NO_SHOW else Booking.PaymentStatus.REFUND_DUE
        elif status == Booking.PaymentStatus.REFUNDED:
            new = Booking.PaymentStatus.REFUNDED
        else:
            raise ValidationFailed()
        if booking.payment_status == new and booking.payment_reference == reference:
            return booking
        booking.payment_status = new
        booking.payment_reference = reference[:40] or booking.payment_reference
        booking.save(update_fields=["payment_status", "payment_reference"])
        if actor is not None:
            audit_record(actor=actor, action="booking.payment_record", target=booking,
                         details={"status": new, "reference": reference[:40]})
    return booking


def on_payment_change(*, payment, status_from) -> None:
    """Payments listener: a paid or refunded fee is recorded on its booking."""
    prefix = "bookings.booking:"
    if not payment.purpose.startswith(prefix):
        return
    booking = Booking.objects.filter(reference=payment.purpose.removeprefix(prefix)).first()
    if booking is None:
        return
    if payment.status == "captured":
        booking_payment_record(booking=booking, status=Booking.PaymentStatus.PAID,
                               reference=payment.reference)
    elif payment.status == "refunded":
        booking_payment_record(booking=booking, status=Booking.PaymentStatus.REFUNDED,
                               reference=payment.reference)


# --- configuration ------------------------------------------------------------------------

def resource_save(*, resource: Resource, actor) -> Resource:
    """Save a resource's settings (admin); audited. Slots already made keep their capacity:
    a new capacity applies to slots made from now on."""
    if not can(actor, "bookings.change_resource" if resource.pk else "bookings.add_resource"):
        raise PermissionDeniedError()
    if resource.area_id and resource.facility_id:
        raise ValidationFailed(_("A resource is either at a facility or serves an area, not "
                                 "both."), field="area")
    with transaction.atomic():
        resource.save()
        audit_record(actor=actor, action="booking.resource_save", target=resource,
                     details={"code": resource.code})
    return resource


# --- reference data -----------------------------------------------------------------------

def resources_import(*, data: dict, actor=None) -> dict:
    """Create or update bookable resources, their hours and priced items from a data file
    (`data/minato_resources.json`); idempotent. Staff-made changes to a resource's rules in
    the admin are overwritten only for resources named in the file."""
    from cityhall.core.models import BranchOffice, Department, Facility, Town

    counts = {"resources": 0, "items": 0, "facilities": 0}
    with transaction.atomic():
        for row in data.get("facilities", []):
            fields = {k: v for k, v in row.items() if k not in ("code", "town")}
            town_name, chome = row["town"]
            fields["town"] = Town.objects.select_related("branch_office").get(
                name=town_name, chome=chome)
            fields["branch_office"] = fields["town"].branch_office
            fields["municipality"] = fields["town"].municipality
            Facility.objects.update_or_create(code=row["code"], defaults=fields)
            counts["facilities"] += 1
        for row in data.get("resources", []):
            row = dict(row)
            hours = row.pop("opening_hours", [])
            for key, model in (("facility", Facility), ("area", BranchOffice),
                               ("department", Department)):
                if row.get(key):
                    row[key] = model.objects.get(code=row[key])
            resource, _created = Resource.objects.update_or_create(
                code=row.pop("code"), defaults=row)
            resource.opening_hours.all().delete()
            for window in hours:
                for weekday in window["weekdays"]:
                    resource.opening_hours.create(
                        weekday=weekday, opens=datetime.time.fromisoformat(window["opens"]),
                        closes=datetime.time.fromisoformat(window["closes"]))
            counts["resources"] += 1
        for row in data.get("priced_items", []):
            PricedItem.objects.update_or_create(
                kind=row["kind"], code=row["code"],
                defaults={k: v for k, v in row.items() if k not in ("kind", "code")})
            counts["items"] += 1
    return counts


def q_upcoming(now=None) -> Q:
    return Q(slot__ends_at__gt=now or timezone.now())


# --- staff --------------------------------------------------------------------------------

def booking_fee_taken(*, booking: Booking, reference: str, actor) -> Booking:
    """Staff record the fee of a booking paid at the facility or counter, or the bulky-waste
    sticker (粗大ごみ処理券) they have seen: `reference` is the receipt or sticker number.
    Only a fee still to be paid by one of those two methods can be recorded here; an online
    fee is recorded by the payments engine."""
    if not can(actor, "bookings.change_booking"):
        raise PermissionDeniedError()
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(_("Enter the receipt number (or the sticker number)."),
                               field="reference")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.payment_method not in (Booking.PaymentMethod.AT_FACILITY,
                                          Booking.PaymentMethod.STICKER) or \
                booking.payment_status != Booking.PaymentStatus.PENDING:
            raise ConflictError(_("This booking has no fee to be paid at the facility."))
        return booking_payment_record(booking=booking, status=Booking.PaymentStatus.PAID,
                                      reference=reference, actor=actor)


def bookings_export_record(*, resource: Resource, rows: int, actor,
                           start: datetime.date | None = None,
                           end: datetime.date | None = None) -> None:
    """Record that staff downloaded the bookings (names of residents) of a resource."""
    if not can(actor, "bookings.view_booking"):
        raise PermissionDeniedError()
    details = {"code": resource.code, "rows": rows}
    if start is not None and end is not None:
        details.update({"from": start.isoformat(), "until": end.isoformat()})
    with transaction.atomic():
        audit_record(actor=actor, action="booking.export", target=resource, details=details)
