"""The Web Push channel (RFC 8030 / 8291 / 8292 through pywebpush) (取組12, 17).

Each request carries a `TTL`, the body encrypted as `aes128gcm` and a VAPID `Authorization`
(an ES256 JWT whose `aud` is the push service's origin, `exp` within 24 hours, `sub` the
city's contact). A 404 or 410 from the push service means the browser's subscription is gone:
the subscription stops using Web Push. 429 and 5xx are tried again later with back-off.
Keys come from `manage.py notifications_vapid_keys`.
"""

import base64
import json
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from pywebpush import WebPushException, webpush

from .channels import FAILED, GONE, RETRY, SENT, Channel, Outcome, rendered

logger = logging.getLogger(__name__)

# RFC 8291 aes128gcm leaves about 3,993 bytes of a 4,096-byte record for the payload; keep
# below it so the push service never answers 413.
PAYLOAD_MAX = 3800
TOPIC_MAX = 32


def endpoint_allowed(endpoint: str) -> bool:
    """Only endpoints of known push services are accepted (never an arbitrary URL the server
    would then POST to); WEBPUSH_ALLOWED_HOSTS lists them (tests add their fake server)."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        return False
    if parts.scheme == "http" and not settings.WEBPUSH_ALLOW_HTTP:
        return False
    return any(host == allowed or host.endswith("." + allowed)
               for allowed in settings.WEBPUSH_ALLOWED_HOSTS)


def valid_key(value: str, length: int) -> bool:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return False
    return len(raw) == length and (length != 65 or raw[0] == 4)


def payload(message, subscription) -> str:
    context = rendered(message, subscription)
    data = {"title": context["subject"], "body": context["body"],
            "url": context["url"] or context["settings_url"],
            "settings": context["settings_url"], "urgent": message.urgent}
    encoded = json.dumps(data, ensure_ascii=False)
    # Shorten the body (never the links) until the encrypted record fits.
    while len(encoded.encode("utf-8")) > PAYLOAD_MAX and data["body"]:
        data["body"] = data["body"][: max(0, len(data["body"]) - 200)] + "…"
        if len(data["body"]) <= 1:
            data["body"] = ""
        encoded = json.dumps(data, ensure_ascii=False)
    return encoded


class WebPushChannel(Channel):
    code = "webpush"
    batch_size = 100

    def send(self, message, deliveries) -> list[Outcome]:
        outcomes = []
        for delivery in deliveries:
            outcomes.append(self.send_one(message, delivery))
        return outcomes

    def send_one(self, message, delivery) -> Outcome:
        subscription = delivery.subscription
        if not settings.VAPID_PRIVATE_KEY:
            return Outcome(delivery.pk, FAILED, error="Web Push is not configured")
        if not endpoint_allowed(subscription.push_endpoint):
            return Outcome(delivery.pk, GONE, error="endpoint not allowed")
        headers = {"Urgency": "high" if message.urgent else "normal"}
        if message.urgent:
            # A newer alert replaces an older one still waiting on the device.
            headers["Topic"] = f"m{message.pk}"[:TOPIC_MAX] if not message.source else (
                "".join(c for c in message.source if c.isalnum() or c in "-_")[:TOPIC_MAX]
                or f"m{message.pk}")
        try:
            response = webpush(
                subscription_info={"endpoint": subscription.push_endpoint,
                                   "keys": {"p256dh": subscription.push_p256dh,
                                            "auth": subscription.push_auth}},
                data=payload(message, subscription),
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                # A fresh dict each time: pywebpush fills in aud and exp.
                vapid_claims={"sub": settings.VAPID_SUBJECT,
                              "exp": int(time.time()) + 12 * 3600},
                ttl=settings.WEBPUSH_TTL_SECONDS, content_encoding="aes128gcm",
                headers=headers, timeout=10)
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in (404, 410):
                return Outcome(delivery.pk, GONE, error=f"push service {status}")
            if status == 429 or status >= 500 or status == 0:
                return Outcome(delivery.pk, RETRY, error=f"push service {status}")
            return Outcome(delivery.pk, FAILED, error=f"push service {status}")
        except OSError as exc:  # requests' connection errors derive from OSError
            return Outcome(delivery.pk, RETRY, error=type(exc).__name__)
        return Outcome(delivery.pk, SENT,
                       provider_id=(response.headers.get("Location") or "")[:200])
