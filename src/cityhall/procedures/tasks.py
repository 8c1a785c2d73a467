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
