"""Data of the notifications engine (取組12, 17, 20, 21: push delivery of city information).

A `Message` is stored before any channel is called (GOV.UK Notify's rule); fan-out creates one
`Delivery` per recipient and channel, and the database refuses a second one for the same
(message, subscription, channel), so nobody gets the same message twice on one channel.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LANGUAGES = [("ja", "日本語"), ("en", "English"), ("zh-hans", "简体中文"), ("ko", "한국어")]
LANGUAGE_CODES = [code for code, _label in LANGUAGES]
# やさしい日本語: an optional text of a message, used for subscribers who ask for it.
EASY_JAPANESE = "ja-easy"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class TopicQuerySet(models.QuerySet):
    def in_display_order(self):
        """Broad topics first (disaster, the areas, childcare, events), the many shelters
        last, so that a subscriber sees the few that matter most before 144 places."""
        rank = models.Case(*(models.When(kind=kind, then=position)
                             for position, kind in enumerate(TOPIC_KIND_ORDER)),
                           default=len(TOPIC_KIND_ORDER))
        return self.alias(kind_rank=rank).order_by("kind_rank", "sort_order", "key")


TOPIC_KIND_ORDER = ["disaster", "area", "childcare", "events", "general", "shelter"]


class Topic(models.Model):
    class Kind(models.TextChoices):
        DISASTER = "disaster", _("Disaster information")
        CHILDCARE = "childcare", _("Childcare")
        EVENTS = "events", _("Events")
        AREA = "area", _("Area")
        SHELTER = "shelter", _("Shelter")
        GENERAL = "general", _("General")

    key = models.CharField(_("key"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    names = models.JSONField(_("names"), default=dict)  # {"ja": ..., "en": ..., ...}
    area_code = models.CharField(_("area code"), max_length=30, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "key"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("ja") or self.key

    def __str__(self):
        return self.name_in("ja")


class Subscription(models.Model):
    """What one recipient wants: a resident's account, or an anonymous device or address
    (an email address confirmed by a link, a LINE user who added the official account, a
    browser's Web Push endpoint). Managed without signing in through `token`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="notification_subscriptions")
    topics = models.ManyToManyField(Topic, blank=True, related_name="subscriptions")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES, default="ja")
    plain_text = models.BooleanField(_("plain text only"), default=False)
    large_text = models.BooleanField(_("large text"), default=False)
    easy_japanese = models.BooleanField(_("easy Japanese (やさしい日本語)"), default=False)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    # Channels and their addresses.
    email = models.EmailField(_("email address"), blank=True)
    via_email = models.BooleanField(_("email"), default=False)
    line_user_id = models.CharField(max_length=64, blank=True)
    via_line = models.BooleanField(_("LINE"), default=False)
    push_endpoint = models.URLField(max_length=1000, blank=True)
    push_p256dh = models.CharField(max_length=200, blank=True)
    push_auth = models.CharField(max_length=100, blank=True)
    via_push = models.BooleanField(_("Web Push"), default=False)
    active = models.BooleanField(default=True)
    # An anonymous email address receives nothing until its owner follows the link sent to it.
    confirmed = models.BooleanField(default=True)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(user__isnull=False),
                                    name="notifications_one_subscription_per_user"),
            models.UniqueConstraint(fields=["line_user_id"], condition=~Q(line_user_id=""),
                                    name="notifications_unique_line_user"),
            models.UniqueConstraint(fields=["push_endpoint"], condition=~Q(push_endpoint=""),
                                    name="notifications_unique_push_endpoint"),
            models.UniqueConstraint(fields=["email"],
                                    condition=Q(user__isnull=True) & ~Q(email=""),
                                    name="notifications_unique_anonymous_email"),
        ]

    def channels(self) -> list[str]:
        """The channels this subscription receives topic messages on."""
        found = []
        if self.user_id:
            found.append("inbox")
        if self.via_email and self.email and self.confirmed:
            found.append("email")
        if self.via_line and self.line_user_id:
            found.append("line")
        if self.via_push and self.push_endpoint:
            found.append("webpush")
        return found

    def __str__(self):
        return f"subscription {self.pk}"


class Message(models.Model):
    class FanOut(models.TextChoices):
        PENDING = "pending", _("Waiting")
        EXPANDING = "expanding", _("Finding recipients")
        EXPANDED = "expanded", _("Recipients found")
        DONE = "done", _("Handed to every channel")

    topics = models.ManyToManyField(Topic, blank=True, related_name="messages")
    # A direct notice to one person (core.notify) instead of topic subscribers.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="+")
    texts = models.JSONField(_("texts"), default=dict)  # {lang: {"subject", "body"}}
    urgent = models.BooleanField(_("urgent"), default=False)
    dedupe_key = models.CharField(max_length=200, unique=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    source = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    fanout_state = models.CharField(max_length=20, choices=FanOut.choices,
                                    default=FanOut.PENDING)
    fanout_cursor = models.BigIntegerField(default=0)  # last subscription id expanded
    fanout_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("send_message", _("Can send messages to subscribers"))]

    def text_for(self, language: str, *, easy: bool = False) -> dict:
        """The subject and body in `language`, else Japanese (the contract)."""
        if easy and language == "ja" and self.texts.get(EASY_JAPANESE):
            return self.texts[EASY_JAPANESE]
        return self.texts.get(language) or self.texts.get("ja") or {"subject": "", "body": ""}

    @property
    def subject(self) -> str:
        return self.text_for("ja").get("subject", "")

    def __str__(self):
        return self.subject or self.dedupe_key


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        LINE = "line", _("LINE")
        WEBPUSH = "webpush", _("Web Push")
        INBOX = "inbox", _("Inbox")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        READ = "read", _("Read")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)  # quiet hours, back-off
    claimed_at = models.DateTimeField(null=True, blank=True)
    # LINE: the X-Line-Retry-Key of the batch this delivery went out in, stored before the
    # call so that a retry of the same batch carries the same key.
    batch_key = models.CharField(max_length=36, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["message", "subscription", "channel"],
                                    name="notifications_one_delivery_per_channel"),
        ]
        indexes = [models.Index(fields=["message", "channel", "status"],
                                name="notif_delivery_claim")]

    def __str__(self):
        return f"{self.message_id}/{self.subscription_id}/{self.channel}"


class LineWebhookEvent(models.Model):
    """webhookEventId of each LINE event handled, so a redelivered event is handled once."""

    event_id = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.event_id


def new_uuid() -> str:
    return str(uuid.uuid4())
