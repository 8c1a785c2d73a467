"""Background work of the bookings engine: notices to the holder of a booking, and the
housekeeping that runs every minute (make the slots of the bookable window, send reminders,
release seats not checked in, cancel bookings whose online fee was never paid)."""

import datetime

from django.utils import timezone

from cityhall.core.background import PermanentTaskError, durable_task


def _notice_text(event, language: str) -> tuple[str, str]:
    from django.utils import translation
    from django.utils.translation import gettext as _

    from cityhall.core.selectors import current_municipality

    from .models import BookingEvent

    booking = event.booking
    resource, slot = booking.resource, booking.slot
    with translation.override(language):
        municipality = current_municipality()
        city = (municipality.name if language == "ja" else municipality.name_en) \
            if municipality else ""
        name = resource.name if language == "ja" else resource.name_en
        start = timezone.localtime(slot.starts_at)
        when = start.strftime("%Y-%m-%d %H:%M")
        if slot.ends_at - slot.starts_at >= datetime.timedelta(hours=6):
            when = start.strftime("%Y-%m-%d")
        kind = BookingEvent.Kind(event.kind)
        subject = _("[%(city)s] %(what)s: %(name)s, %(when)s (%(reference)s)") % {
            "city": city, "what": kind.label, "name": name, "when": when,
            "reference": booking.reference}
        lines = {
            "confirmed": _("Your booking of %(name)s on %(when)s is confirmed."),
            "waitlisted": _("You are on the waitlist of %(name)s on %(when)s. If a place "
                            "becomes free, it is booked for you and you are told at once."),
            "promoted": _("A place became free: your booking of %(name)s on %(when)s is now "
                          "confirmed. If you no longer need it, please cancel it."),
            "cancelled": _("Your booking of %(name)s on %(when)s is cancelled."),
            "cancelled_by_city": _("The city had to cancel your booking of %(name)s on "
                                   "%(when)s. We are sorry for the inconvenience."),
            "reminder": _("A reminder: you have booked %(name)s on %(when)s."),
            "released": _("Your booking of %(name)s on %(when)s was released because it was "
                          "not checked in in time."),
        }[event.kind] % {"name": name, "when": when}
        body = [lines]
        if event.kind in ("cancelled_by_city",) and booking.cancel_reason:
            body.append(_("Reason: %(reason)s") % {"reason": booking.cancel_reason})
        if booking.payment_status == "refund_due":
            body.append(_("The fee you paid will be refunded; the city will contact you."))
        if event.kind in ("confirmed", "promoted", "reminder") and \
                booking.payment_status == "pending" and booking.payment_method == "online":
            body.append(_("Please pay the fee of %(fee)s yen online from your booking's page.")
                        % {"fee": f"{booking.fee_yen:,}"})
        body.append(_("Your booking number is %(reference)s. See or cancel it here:")
                    % {"reference": booking.reference})
    return subject, "\n\n".join(body)


@durable_task(max_attempts=6, backoff_seconds=30)
def notify_booking_event(event_id: int) -> str:
    """Tell the holder about one step of their booking, in their language. Idempotent: the
    step is claimed before it is sent, so it is sent once."""
    from django.conf import settings
    from django.db import transaction
    from django.urls import reverse

    from cityhall.core.notify import notify_user

    from .models import BookingEvent

    event = BookingEvent.objects.select_related(
        "booking__resource", "booking__slot", "booking__user__resident_profile").filter(
        pk=event_id).first()
    if event is None:
        raise PermanentTaskError("the booking step no longer exists")
    if event.notified_at is not None:
        return "already sent"
    user = event.booking.user
    profile = getattr(user, "resident_profile", None)
    language = profile.preferred_language if profile else settings.LANGUAGE_CODE
    subject, body = _notice_text(event, language)
    url = settings.PORTAL_URL + reverse("bookings:booking_detail", args=[event.booking.pk])
    with transaction.atomic():
        claimed = BookingEvent.objects.filter(pk=event.pk, notified_at__isnull=True) \
            .update(notified_at=timezone.now())
        if not claimed:
            return "already sent"
        notify_user(user=user, topic=f"bookings.{event.kind}",
                    key=f"bookings.booking_event:{event.pk}", subject=subject, body=body,
                    url=url)
    return "sent"


@durable_task(max_attempts=3, backoff_seconds=20)
def bookings_housekeeping() -> dict:
    """Run every minute by the workers (core.periodic). Each step is idempotent."""
    from .models import Resource
    from .services import (
        bookable_window,
        expire_unpaid_bookings,
        release_no_shows,
        send_due_reminders,
        slots_ensure,
    )

    made = 0
    for resource in Resource.objects.filter(is_active=True):
        first, last = bookable_window(resource)
        made += slots_ensure(resource=resource, start=first, end=last)
    return {"slots_made": made, "released": release_no_shows(),
            "reminded": send_due_reminders(), "expired_unpaid": expire_unpaid_bookings()}
