"""Fees of bookings: paid online through the payments engine (purpose
`bookings.booking:<reference>`), by sticker, or at the facility and recorded by staff; an
unpaid online fee does not hold a place for ever."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..models import Booking, BookingEvent
from .booking import _cancel


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
