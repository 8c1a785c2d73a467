"""The channels of the notifications engine behind one small interface (取組12, 17, 20, 21).

A channel receives a batch of claimed deliveries of one message and says, for each, what
happened: sent, retry later (a transient error: timeout, 429, 5xx), failed for good, or gone
(the address no longer exists: the subscription stops using that channel). The engine does
the bookkeeping (claims, retries with back-off, rate limits); a channel only talks to its
provider. Channels are registered by code, so tests and the bench plug in their own.
"""

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, GONE, BOUNCED = "sent", "retry", "failed", "gone", "bounced"


@dataclass
class Outcome:
    delivery_id: int
    result: str  # SENT, RETRY, FAILED, GONE or BOUNCED
    provider_id: str = ""
    error: str = ""


class Channel:
    """One way of reaching people. `send` must not raise for a single recipient's problem;
    an exception means the whole batch is to be tried again later."""

    code = ""
    batch_size = 100

    def variants(self, message) -> list[dict]:
        """Filters that split a message's deliveries into groups sent with one request
        (LINE multicast sends one text to many people, so one group per language)."""
        return [{}]

    def send(self, message, deliveries) -> list[Outcome]:
        raise NotImplementedError


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> Channel | None:
    """Register (or replace) a channel; returns the one it replaced (tests restore it)."""
    previous = _channels.get(channel.code)
    _channels[channel.code] = channel
    return previous


def get_channel(code: str) -> Channel:
    return _channels[code]


# --- what a recipient reads -------------------------------------------------------------------

def settings_url(subscription) -> str:
    return settings.PORTAL_URL + reverse("notifications:manage", args=[subscription.token])


def absolute(url: str) -> str:
    if url.startswith("/"):
        return settings.PORTAL_URL + url
    return url


def rendered(message, subscription) -> dict:
    """Subject, body and links of `message` for one subscriber: their language (else
    Japanese), やさしい日本語 when they asked for it and the message has it."""
    language = subscription.language or "ja"
    text = message.text_for(language, easy=subscription.easy_japanese)
    if language not in message.texts:
        language = "ja"
    return {"language": language, "subject": text.get("subject", ""),
            "body": text.get("body", ""), "url": absolute(message.url),
            "settings_url": settings_url(subscription), "urgent": message.urgent,
            "large_text": subscription.large_text}


def render_plain(message, subscription) -> tuple[str, str]:
    """(subject, text) with the settings/unsubscribe link, in the subscriber's language."""
    context = rendered(message, subscription)
    with translation.override(context["language"]):
        text = render_to_string("notifications/email/message.txt", context)
    return context["subject"], text


# --- email ------------------------------------------------------------------------------------

class EmailChannel(Channel):
    """Django's email backend: the console in development, SMTP in production (settings)."""

    code = "email"
    batch_size = 50

    def build(self, message, delivery) -> EmailMultiAlternatives:
        subscription = delivery.subscription
        context = rendered(message, subscription)
        with translation.override(context["language"]):
            text = render_to_string("notifications/email/message.txt", context)
            html = (None if subscription.plain_text else
                    render_to_string("notifications/email/message.html", context))
        email = EmailMultiAlternatives(
            subject=context["subject"].replace("\n", " ")[:200], body=text,
            from_email=settings.DEFAULT_FROM_EMAIL, to=[subscription.email],
            headers={"List-Unsubscribe": f"<{context['settings_url']}>",
                     "X-Cityhall-Delivery": str(delivery.pk)})
        if html:
            email.attach_alternative(html, "text/html")
        return email

    def send(self, message, deliveries) -> list[Outcome]:
        outcomes = []
        connection = mailers.default
        connection.open()
        try:
            for delivery in deliveries:
                try:
                    connection.send_messages([self.build(message, delivery)])
                except smtplib.SMTPRecipientsRefused as exc:
                    outcomes.append(Outcome(delivery.pk, BOUNCED, error=str(exc)[:300]))
                except (smtplib.SMTPException, OSError) as exc:
                    outcomes.append(Outcome(delivery.pk, RETRY, error=type(exc).__name__))
                else:
                    outcomes.append(Outcome(delivery.pk, SENT))
        finally:
            connection.close()
        return outcomes


class InboxChannel(Channel):
    """The in-portal inbox: the delivery row is the inbox item, so handing it over is
    marking it sent (the resident reading it marks it read)."""

    code = "inbox"
    batch_size = 1000

    def send(self, message, deliveries) -> list[Outcome]:
        return [Outcome(delivery.pk, SENT) for delivery in deliveries]


def register_default_channels():
    from .line import LineChannel
    from .webpush import WebPushChannel

    for channel in (EmailChannel(), InboxChannel(), LineChannel(), WebPushChannel()):
        register_channel(channel)
