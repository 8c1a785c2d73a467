"""Background work of the procedures engine."""

import json
import urllib.error
import urllib.request

from django.utils import timezone

from cityhall.core.background import PermanentTaskError, durable_task


class WebhookRefused(Exception):
    """The receiver did not accept the webhook; trying again later may succeed."""


@durable_task(max_attempts=6, backoff_seconds=30, queue_name="default")
def deliver_webhook(delivery_id: str) -> str:
    """Send one stored webhook. Idempotent: a delivered one is not sent again, and the
    receiver can drop repeats by the delivery id."""
    from .integration import sign
    from .models import WebhookDelivery

    delivery = WebhookDelivery.objects.select_related("client").filter(pk=delivery_id).first()
    if delivery is None:
        raise PermanentTaskError("delivery no longer exists")
    if delivery.state == WebhookDelivery.State.DELIVERED:
        return "already delivered"
    if not delivery.client.webhook_url.startswith(("https://", "http://")):
        raise PermanentTaskError("webhook URLs must be http or https")
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(timezone.now().timestamp()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        delivery.client.webhook_url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "X-Cityhall-Delivery": str(delivery.id),
                 "X-Cityhall-Signature": sign(delivery.client.webhook_secret, timestamp, body),
                 "User-Agent": "cityhall-webhooks/1"})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        _failed(delivery, f"{type(error).__name__}: {error}"[:300])
        raise WebhookRefused(str(error)) from error
    if not 200 <= status < 300:
        _failed(delivery, f"HTTP {status}")
        raise WebhookRefused(f"HTTP {status}")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.DELIVERED, delivered_at=timezone.now(), last_error="")
    return "delivered"


def _failed(delivery, message):
    from .models import WebhookDelivery

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.FAILED, last_error=message)


@durable_task(max_attempts=6, backoff_seconds=30)
def notify_applicant(event_id: int) -> str:
    """Tell the applicant about one step of their application (a status change or a comment
    to them), in their language. Idempotent: a step is announced once."""
    from django.conf import settings
    from django.db import transaction
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from cityhall.core.notify import notify_user
    from cityhall.core.selectors import current_municipality

    from .models import ApplicationEvent

    event = ApplicationEvent.objects.select_related(
        "application__procedure", "application__applicant__resident_profile").filter(
        pk=event_id).first()
    if event is None:
        raise PermanentTaskError("the application step no longer exists")
    if event.is_internal or event.notified_at is not None:
        return "nothing to send"
    application = event.application
    applicant = application.applicant
    profile = getattr(applicant, "resident_profile", None)
    language = profile.preferred_language if profile else settings.LANGUAGE_CODE
    with translation.override(language):
        municipality = current_municipality()
        city = (municipality.name if language == "ja" else municipality.name_en) \
            if municipality else ""
        procedure = application.procedure
        name = procedure.name_ja if language == "ja" else procedure.name_en
        status = application.Status(event.status_to).label
        if event.status_from == event.status_to:
            subject = _("[%(city)s] A message about your application %(reference)s") % {
                "city": city, "reference": application.reference}
            lines = [_("There is a message about your application for %(name)s.")
                     % {"name": name}]
        else:
            subject = _("[%(city)s] Your application %(reference)s: %(status)s") % {
                "city": city, "reference": application.reference, "status": status}
            lines = [_("The status of your application for %(name)s is now: %(status)s.")
                     % {"name": name, "status": status}]
        if event.comment:
            lines.append(_("Message from the city:") + "\n" + event.comment)
        lines.append(_("You can see your application and its history here:"))
        url = settings.PORTAL_URL + reverse("procedures:application_detail",
                                            args=[application.pk])
    with transaction.atomic():
        # Claim the step first, so two workers never both send it.
        claimed = ApplicationEvent.objects.filter(pk=event.pk, notified_at__isnull=True) \
            .update(notified_at=timezone.now())
        if not claimed:
            return "already sent"
        notify_user(user=applicant, topic="procedures.application_status",
                    key=f"procedures.application_event:{event.pk}", subject=subject,
                    body="\n\n".join(lines), url=url)
    return "sent"


@durable_task(max_attempts=8, backoff_seconds=30)
def request_fee_payment(application_id: int) -> str:
    """Ask the payments engine to create the payment of an application's fee. The gateway
    gets the same idempotency key on every attempt, so a retry never charges twice."""
    from . import fees
    from .models import Application, PaymentStatus
    from .services import application_payment_requested

    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        raise PermanentTaskError("application no longer exists")
    if application.payment_status != PaymentStatus.PENDING or application.payment_reference:
        return "nothing to request"
    gateway = fees.fee_gateway()
    if gateway is None:
        raise PermanentTaskError("no payments engine is installed")
    reference = gateway.request_payment(application=application,
                                        amount_yen=application.fee_yen,
                                        idempotency_key=fees.idempotency_key(application))
    application_payment_requested(application_id=application.pk, reference=reference)
    return "requested"
