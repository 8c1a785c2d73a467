"""Booking, cancelling, the waitlist, and closing slots. Capacity is protected by the
database (see the package docstring)."""

import datetime
import secrets

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..models import Booking, BookingEvent, Closure, PricedItem, Resource, Slot
from ..subjects import kind_claiming, kind_of
from .calendar import bookable_window, local_zone, slot_times

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
MAX_ITEMS_PER_COLLECTION = 10


class BookingRefused(ValidationFailed):
    code = "booking_refused"


class SlotFull(ConflictError):
    code = "slot_full"
    default_message = _("This slot has just been fully booked. Choose another time or join "
                        "the waitlist.")


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


def fee_quote(resource: Resource, places: int, items: dict[str, int] | None) -> tuple[int, list]:
    """The fee of a booking and its item lines; refuses unknown or too many items."""
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


def _check_subject(*, resource: Resource, slot: Slot, user, actor, subject: str,
                   now) -> None:
    """A resource claimed by a domain app (`subjects`) is booked for a subject it accepts."""
    kind = kind_claiming(resource)
    if kind is None:
        if subject:
            raise BookingRefused(_("This is booked for yourself, not for someone else."))
        return
    if not subject:
        raise BookingRefused(kind.hint or _("This cannot be booked here."))
    if kind_of(subject) is not kind:
        raise BookingRefused(_("This booking is not for this resource."))
    kind.check(subject=subject, resource=resource, slot=slot, user=user, actor=actor, now=now)


def _already_booked(*, slot: Slot, user, subject: str) -> ConflictError | None:
    """The conflict when this person (or this subject) already holds a live booking."""
    if subject:
        held = Booking.objects.filter(subject=subject, status__in=Booking.LIVE_STATUSES) \
            .select_related("slot").first()
        if held is None:
            return None
        return ConflictError(_("This is already booked for %(when)s (booking number "
                               "%(reference)s). Cancel that booking to choose another time.")
                             % {"when": timezone.localtime(held.slot.starts_at).strftime(
                                 "%Y-%m-%d %H:%M"), "reference": held.reference},
                             code="already_booked")
    if Booking.objects.filter(slot=slot, user=user, subject="",
                              status__in=Booking.LIVE_STATUSES).exists():
        return ConflictError(_("You already have a booking for this slot."),
                             code="already_booked")
    return None


def booking_create(*, slot: Slot, user, actor, places: int = 1, details: dict | None = None,
                   items: dict[str, int] | None = None, town=None, payment_method: str = "",
                   waitlist: bool = False, subject: str = "", now=None) -> Booking:
    """Book `places` in `slot` for `user`. `actor` is the user themselves, or staff booking
    on their behalf at the counter. With `waitlist=True` a full slot puts the person on its
    waitlist instead of refusing. `subject` names whom the booking is for where a domain app
    claims the resource (see `subjects`: a child at a checkup); it is required there, checked
    by that app, and held once.

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
    _check_subject(resource=resource, slot=slot, user=user, actor=actor, subject=subject,
                   now=now)
    if resource.area_id and (town is None or town.branch_office_id != resource.area_id):
        raise BookingRefused(_("This address is not in the area this collection serves."),
                             field="town")
    fee_yen, lines = fee_quote(resource, places, items)
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
        conflict = _already_booked(slot=slot, user=user, subject=subject)
        if conflict is not None:
            raise conflict
        # The limit per person counts per subject where bookings name one.
        held = Booking.objects.filter(resource=resource, user=user, subject=subject,
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
                        subject=subject,
                        booked_by=actor if on_behalf else None, places=places, status=status,
                        details=details, fee_yen=fee_yen, payment_method=payment_method,
                        payment_status=Booking.PaymentStatus.PENDING if fee_yen
                        else Booking.PaymentStatus.NOT_REQUIRED)
                break
            except IntegrityError:
                # Booked at the same moment in another request (a double click, two tabs).
                conflict = _already_booked(slot=slot, user=user, subject=subject)
                if conflict is not None:
                    raise conflict from None
        if booking is None:
            raise ConflictError()
        _event(booking, BookingEvent.Kind.CONFIRMED if status == Booking.Status.CONFIRMED
               else BookingEvent.Kind.WAITLISTED)
        if on_behalf:
            audit_record(actor=actor, action="booking.create_on_behalf", target=booking,
                         details={"reference": booking.reference, "slot": slot.pk})
    return booking


def _event(booking: Booking, kind: str) -> BookingEvent:
    from ..tasks import notify_booking_event

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
