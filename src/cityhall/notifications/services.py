"""Every write of the notifications engine (取組12, 17, 20, 21; the notices of 取組1).

The contract with the domain apps: `topic_ensure` and `message_publish`. A message is stored,
then fan-out runs in background tasks (queue "notifications"):

1. `message_expand` walks the subscribers of the message's topics in id order, in batches,
   and inserts one Delivery per recipient and channel with `bulk_create(ignore_conflicts)`;
   the UNIQUE (message, subscription, channel) makes a re-run insert nothing twice, and the
   cursor stored on the message lets a re-run resume where it stopped.
2. `deliveries_send` claims a batch (queued -> sending with a conditional UPDATE, row locks
   skipped by other workers on PostgreSQL) and commits the claim BEFORE calling the channel,
   then records each outcome. A row is handed to a channel only by the worker that moved it
   out of "queued", so a re-run after a killed worker never sends it again. A row left in
   "sending" by a killed worker is settled by `deliveries_recover_stale` (see there).
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import CityhallError, ValidationFailed

from . import ratelimit
from .channels import BOUNCED, FAILED, GONE, RETRY, SENT, Outcome, get_channel
from .models import (
    EASY_JAPANESE,
    LANGUAGE_CODES,
    Delivery,
    LineWebhookEvent,
    Message,
    Subscription,
    Topic,
)

__all__ = [
    "deliveries_recover_stale",
    "deliveries_send",
    "inbox_mark_read",
    "line_event_first_time",
    "line_follow",
    "line_unfollow",
    "message_expand",
    "message_progress",
    "message_publish",
    "messages_with_due_deliveries",
    "notice_deliver",
    "push_subscribe",
    "subscription_email_confirm",
    "subscription_email_start",
    "subscription_for_user",
    "subscription_unsubscribe",
    "subscription_update",
    "topic_ensure",
]

logger = logging.getLogger(__name__)

Status = Delivery.Status
TOPIC_KINDS = {choice.value for choice in Topic.Kind}
SUBJECT_MAX, BODY_MAX = 200, 5000


# --- topics and messages (the contract) -------------------------------------------------------

def topic_ensure(*, key: str, names: dict[str, str], kind: str, area_code: str = "") -> Topic:
    """Create or update the topic `key` (idempotent). `names` needs "ja"."""
    key = (key or "").strip()
    if not key or len(key) > 100:
        raise ValidationFailed(_("A topic needs a key of at most 100 characters."),
                               code="invalid_topic", field="key")
    if kind not in TOPIC_KINDS:
        raise ValidationFailed(_("Unknown kind of topic."), code="invalid_topic", field="kind")
    if not isinstance(names, dict) or not str(names.get("ja", "")).strip():
        raise ValidationFailed(_("A topic needs a Japanese name."), code="invalid_topic",
                               field="names")
    clean = {lang: str(value).strip()[:200] for lang, value in names.items()
             if lang in LANGUAGE_CODES and str(value).strip()}
    with transaction.atomic():
        topic, created = Topic.objects.select_for_update().get_or_create(
            key=key, defaults={"kind": kind, "names": clean, "area_code": area_code})
        if not created and (topic.kind, topic.names, topic.area_code) != (kind, clean,
                                                                          area_code):
            topic.kind, topic.names, topic.area_code = kind, clean, area_code
            topic.save(update_fields=["kind", "names", "area_code"])
    return topic


def _clean_texts(texts) -> dict:
    if not isinstance(texts, dict) or not isinstance(texts.get("ja"), dict):
        raise ValidationFailed(_("A message needs a Japanese subject and text."),
                               code="invalid_message", field="texts")
    clean = {}
    for lang, text in texts.items():
        if lang not in (*LANGUAGE_CODES, EASY_JAPANESE) or not isinstance(text, dict):
            raise ValidationFailed(_("Unknown language of a message text."),
                                   code="invalid_message", field="texts")
        subject = str(text.get("subject", "")).strip()
        body = str(text.get("body", "")).strip()
        if not subject and not body:
            continue
        if not subject or not body:
            raise ValidationFailed(_("Each language needs both a subject and a text."),
                                   code="invalid_message", field="texts")
        if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
            raise ValidationFailed(_("The subject or the text is too long."),
                                   code="invalid_message", field="texts")
        clean[lang] = {"subject": subject, "body": body}
    if "ja" not in clean:
        raise ValidationFailed(_("A message needs a Japanese subject and text."),
                               code="invalid_message", field="texts")
    return clean


def message_publish(*, topic_keys: list[str], texts: dict[str, dict[str, str]],
                    urgent: bool = False, dedupe_key: str, url: str = "", actor=None,
                    source: str = "") -> Message:
    """Store a message to the subscribers of `topic_keys` and enqueue its fan-out on commit.
    The same `dedupe_key` returns the message stored first and sends nothing again."""
    dedupe_key = (dedupe_key or "").strip()
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValidationFailed(_("A message needs a dedupe key of at most 200 characters."),
                               code="invalid_message", field="dedupe_key")
    existing = Message.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    keys = list(dict.fromkeys(k for k in (topic_keys or []) if isinstance(k, str)))
    if not keys:
        raise ValidationFailed(_("Choose at least one topic."), code="invalid_message",
                               field="topic_keys")
    topics = list(Topic.objects.filter(key__in=keys))
    if len(topics) != len(keys):
        missing = sorted(set(keys) - {topic.key for topic in topics})
        raise CityhallError(_("Unknown topic: %(keys)s") % {"keys": ", ".join(missing)},
                            code="unknown_topic", field="topic_keys")
    clean = _clean_texts(texts)
    url = (url or "").strip()
    if len(url) > 500 or (url and not url.startswith(("/", "https://", "http://"))):
        raise ValidationFailed(_("The link must be a web address."), code="invalid_message",
                               field="url")
    try:
        with transaction.atomic():
            message = Message.objects.create(
                texts=clean, urgent=bool(urgent), dedupe_key=dedupe_key, url=url,
                source=(source or "")[:100], actor=actor if getattr(actor, "pk", None) else None)
            message.topics.set(topics)
            audit_record(actor=message.actor, action="notifications.message_publish",
                         target=message, details={"topics": keys, "urgent": bool(urgent),
                                                  "source": message.source})
            from .tasks import message_fan_out

            transaction.on_commit(lambda: message_fan_out.enqueue(message.pk))
    except IntegrityError:
        # Published at the same moment by another caller with the same key.
        return Message.objects.get(dedupe_key=dedupe_key)
    return message


# --- fan-out ---------------------------------------------------------------------------------

def quiet_until(subscription, now) -> datetime.datetime | None:
    """The end of the subscriber's quiet hours when `now` falls within them, else None."""
    start, end = subscription.quiet_start, subscription.quiet_end
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    moment = local.time()
    inside = (start <= moment < end) if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


SUBSCRIPTION_FIELDS = ("pk", "user_id", "email", "via_email", "confirmed", "line_user_id",
                       "via_line", "push_endpoint", "via_push", "quiet_start", "quiet_end")


def message_expand(*, message_id: int, batch_size: int | None = None) -> int:
    """Insert the deliveries of a topic message; returns how many rows were inserted
    (re-runs and resumed runs insert only what is missing)."""
    batch_size = batch_size or settings.NOTIFICATIONS_FANOUT_BATCH
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.recipient_id:
        return 0
    if message.fanout_state in (Message.FanOut.EXPANDED, Message.FanOut.DONE):
        return 0
    Message.objects.filter(pk=message.pk, fanout_state=Message.FanOut.PENDING).update(
        fanout_state=Message.FanOut.EXPANDING)
    topic_ids = list(message.topics.values_list("pk", flat=True))
    members = Subscription.topics.through.objects.filter(topic_id__in=topic_ids)
    cursor, inserted = message.fanout_cursor, 0
    while True:
        now = timezone.now()
        # Walk the topic memberships in subscriber order (an index range scan), then read
        # those subscribers: a semi-join per batch would rescan every membership each time.
        ids = list(members.filter(subscription_id__gt=cursor).order_by("subscription_id")
                   .values_list("subscription_id", flat=True).distinct()[:batch_size])
        if not ids:
            break
        batch = list(Subscription.objects.filter(pk__in=ids, active=True).order_by("pk")
                     .only(*SUBSCRIPTION_FIELDS))
        if not batch:
            with transaction.atomic():
                Message.objects.filter(pk=message.pk).update(fanout_cursor=ids[-1])
            cursor = ids[-1]
            continue
        rows = []
        for subscription in batch:
            later = None if message.urgent else quiet_until(subscription, now)
            for channel in subscription.channels():
                inbox = channel == Delivery.Channel.INBOX
                rows.append(Delivery(
                    message_id=message.pk, subscription_id=subscription.pk, channel=channel,
                    status=Status.SENT if inbox else Status.QUEUED,
                    sent_at=now if inbox else None, not_before=None if inbox else later))
        with transaction.atomic():
            created = Delivery.objects.bulk_create(rows, ignore_conflicts=True,
                                                   batch_size=1000)
            Message.objects.filter(pk=message.pk).update(fanout_cursor=ids[-1])
        inserted += len(created)
        cursor = ids[-1]
    Message.objects.filter(pk=message.pk).exclude(fanout_state=Message.FanOut.DONE).update(
        fanout_state=Message.FanOut.EXPANDED)
    _finish_if_done(message)  # nothing to send (no subscribers, inbox only): done now
    return inserted


def _claim(message, channel, variant: dict, size: int) -> list[Delivery]:
    """Move up to `size` due queued deliveries to "sending" and return them. The claim is
    committed before the caller sends anything."""
    now = timezone.now()
    due = (Delivery.objects.filter(message=message, channel=channel.code, status=Status.QUEUED)
           .filter(Q(not_before__isnull=True) | Q(not_before__lte=now)).filter(**variant))
    with transaction.atomic():
        key = ""
        if channel.code == Delivery.Channel.LINE:
            # A batch that was tried before keeps its retry key and its members: send it
            # again as it was, so LINE recognises the key.
            earlier = due.exclude(batch_key="").order_by("pk").values_list(
                "batch_key", flat=True).first()
            if earlier:
                key = earlier
                due = due.filter(batch_key=earlier)
            else:
                key = str(uuid.uuid4())
                due = due.filter(batch_key="")
        ids = list(due.order_by("pk").select_for_update(skip_locked=True, of=("self",))
                   .values_list("pk", flat=True)[:size])
        if not ids:
            return []
        changes = {"status": Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
        if key:
            changes["batch_key"] = key
        Delivery.objects.filter(pk__in=ids, status=Status.QUEUED).update(**changes)
    return list(Delivery.objects.filter(pk__in=ids, status=Status.SENDING)
                .select_related("subscription").order_by("pk"))


def _backoff(attempts: int) -> datetime.timedelta:
    base = settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 6 * 3600))


def _record(deliveries: list[Delivery], outcomes: list[Outcome]) -> None:
    """Write what the channel said about each delivery (only rows still "sending")."""
    by_id = {delivery.pk: delivery for delivery in deliveries}
    now = timezone.now()
    groups: dict[tuple, list[int]] = {}
    gone: list[int] = []
    bounced: list[int] = []
    for outcome in outcomes:
        delivery = by_id.get(outcome.delivery_id)
        if delivery is None:
            continue
        result = outcome.result
        if result == RETRY and delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            result = FAILED
        if result == RETRY:
            groups.setdefault((RETRY, "", outcome.error[:500], delivery.attempts), []).append(
                delivery.pk)
            continue
        if result == GONE:
            gone.append(delivery.subscription_id)
        if result == BOUNCED:
            bounced.append(delivery.subscription_id)
        groups.setdefault((result, outcome.provider_id[:200], outcome.error[:500], 0),
                          []).append(delivery.pk)
    with transaction.atomic():
        for (result, provider_id, error, attempts), ids in groups.items():
            rows = Delivery.objects.filter(pk__in=ids, status=Status.SENDING)
            if result == SENT:
                rows.update(status=Status.SENT, sent_at=now, provider_id=provider_id,
                            last_error="")
            elif result == RETRY:
                rows.update(status=Status.QUEUED, not_before=now + _backoff(attempts),
                            last_error=error)
            elif result == BOUNCED:
                rows.update(status=Status.BOUNCED, last_error=error)
            else:
                rows.update(status=Status.FAILED, last_error=error)
        if gone:
            # The push service forgot the browser's subscription (404/410): stop using it;
            # a subscription with nothing else left is switched off.
            Subscription.objects.filter(pk__in=gone).update(
                via_push=False, push_endpoint="", push_p256dh="", push_auth="")
            Subscription.objects.filter(pk__in=gone, user__isnull=True, via_line=False,
                                        via_email=False).update(active=False)
        if bounced:
            Subscription.objects.filter(pk__in=bounced).update(via_email=False)


def deliveries_send(*, message_id: int, channel_code: str, max_batches: int | None = None
                    ) -> dict:
    """Hand the due deliveries of one message and channel to the channel, batch by batch.
    Returns counts and `next_due`: when deferred deliveries (quiet hours, back-off) are due."""
    message = Message.objects.filter(pk=message_id).first()
    counts = {"handed": 0, "batches": 0, "next_due": None, "rate_limited": False}
    if message is None:
        return counts
    channel = get_channel(channel_code)
    for variant in channel.variants(message):
        while max_batches is None or counts["batches"] < max_batches:
            batch = _claim(message, channel, variant, channel.batch_size)
            if not batch:
                break
            # One token per request: a LINE multicast is one request, an email one each.
            tokens = 1 if channel_code == Delivery.Channel.LINE else len(batch)
            if not ratelimit.acquire(channel_code, tokens, max_wait_seconds=10):
                Delivery.objects.filter(pk__in=[d.pk for d in batch],
                                        status=Status.SENDING).update(
                    status=Status.QUEUED, attempts=F("attempts") - 1)
                counts["rate_limited"] = True
                break
            try:
                outcomes = channel.send(message, batch)
            except Exception as exc:
                logger.exception("Channel %s failed a whole batch", channel_code)
                outcomes = [Outcome(d.pk, RETRY, error=type(exc).__name__) for d in batch]
            _record(batch, outcomes)
            counts["handed"] += len(batch)
            counts["batches"] += 1
    counts["next_due"] = Delivery.objects.filter(
        message_id=message_id, channel=channel_code, status=Status.QUEUED).aggregate(
        due=Min("not_before"))["due"]
    if counts["next_due"] is None and counts["rate_limited"]:
        counts["next_due"] = timezone.now() + datetime.timedelta(seconds=1)
    _finish_if_done(message)
    return counts


def _finish_if_done(message) -> None:
    # Only once every recipient has a row (notices have theirs from the start).
    if not Message.objects.filter(pk=message.pk, fanout_state=Message.FanOut.EXPANDED).exists():
        return
    open_rows = Delivery.objects.filter(message=message,
                                        status__in=[Status.QUEUED, Status.SENDING]).exists()
    if not open_rows:
        Message.objects.filter(pk=message.pk).exclude(fanout_state=Message.FanOut.DONE).update(
            fanout_state=Message.FanOut.DONE, fanout_done_at=timezone.now())


def deliveries_recover_stale(*, older_than_seconds: int | None = None) -> dict:
    """Settle deliveries left in "sending" by a worker that was killed mid-batch.

    We cannot know whether the provider got such a request, so we are conservative:
    - LINE rows go back to "queued" with their stored retry key: LINE recognises the key
      (409, counted as sent) if the first request got through, so nobody gets it twice;
    - the inbox row is the delivery itself: it is marked sent;
    - email and Web Push have no such key: the rows are marked failed ("outcome unknown")
      and NOT sent again, because a second copy of an alert is worse than a visible failure
      that staff see on the progress page.
    """
    seconds = older_than_seconds if older_than_seconds is not None else \
        settings.NOTIFICATIONS_STALE_SENDING_SECONDS
    cutoff = timezone.now() - datetime.timedelta(seconds=seconds)
    stale = Delivery.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    key_valid_after = timezone.now() - datetime.timedelta(hours=23)
    with transaction.atomic():
        messages = set(stale.values_list("message_id", flat=True))
        line = stale.filter(channel=Delivery.Channel.LINE).exclude(batch_key="")
        requeued = line.filter(claimed_at__gte=key_valid_after).update(status=Status.QUEUED)
        inbox = stale.filter(channel=Delivery.Channel.INBOX).update(
            status=Status.SENT, sent_at=timezone.now())
        failed = stale.update(status=Status.FAILED,
                              last_error="interrupted: outcome unknown, not sent again")
    return {"requeued": requeued, "inbox": inbox, "failed": failed,
            "messages": sorted(messages)}


def messages_with_due_deliveries(*, grace_seconds: int = 60) -> list[int]:
    """Messages with queued deliveries due for over `grace_seconds` (no sender took them)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=grace_seconds)
    return list(Delivery.objects.filter(status=Status.QUEUED, created_at__lt=cutoff)
                .filter(Q(not_before__isnull=True) | Q(not_before__lt=cutoff))
                .values_list("message_id", flat=True).distinct()[:1000])


def message_progress(message) -> dict:
    """Counts per channel and status, for the staff progress page and the API."""
    from django.db.models import Count

    table: dict[str, dict[str, int]] = {}
    for row in (Delivery.objects.filter(message=message).values("channel", "status")
                .annotate(n=Count("pk"))):
        table.setdefault(row["channel"], {})[row["status"]] = row["n"]
    channels = []
    for code, label in Delivery.Channel.choices:
        statuses = table.get(code, {})
        if not statuses:
            continue
        channels.append({
            "channel": code, "label": str(label),
            "queued": statuses.get("queued", 0) + statuses.get("sending", 0),
            "sent": statuses.get("sent", 0) + statuses.get("read", 0),
            "failed": statuses.get("failed", 0) + statuses.get("bounced", 0),
            "read": statuses.get("read", 0),
            "total": sum(statuses.values())})
    done = message.fanout_state == Message.FanOut.DONE
    return {"state": message.fanout_state, "done": done, "channels": channels}


# --- core.notify notices ----------------------------------------------------------------------

def subscription_for_user(user) -> Subscription:
    """The one subscription of a signed-in resident (made on first use)."""
    found = Subscription.objects.filter(user=user).first()
    if found:
        return found
    profile = getattr(user, "resident_profile", None)
    language = profile.preferred_language if profile else "ja"
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                user=user, email=user.email or "", language=language,
                via_email=bool(user.email))
    except IntegrityError:
        return Subscription.objects.get(user=user)


def notice_deliver(notice) -> Message:
    """The engine's `core.notify` sender: store the notice as a Message addressed to one
    person and deliver it to their inbox and by email, once per notice key."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=notice.recipient_id)
    subscription = subscription_for_user(user)
    if notice.email and subscription.email != notice.email:
        Subscription.objects.filter(pk=subscription.pk).update(email=notice.email)
        subscription.email = notice.email
    text = {"subject": notice.subject[:SUBJECT_MAX], "body": notice.body}
    # The notice is written in the recipient's language already.
    texts = {"ja": text, subscription.language: text}
    now = timezone.now()
    with transaction.atomic():
        message, _created = Message.objects.get_or_create(
            dedupe_key=f"notice:{notice.key}"[:200],
            defaults={"texts": texts, "url": notice.url[:500], "source": notice.topic[:100],
                      "recipient": user, "fanout_state": Message.FanOut.EXPANDED})
        rows = [Delivery(message=message, subscription=subscription, channel="inbox",
                         status=Status.SENT, sent_at=now)]
        if notice.email:
            rows.append(Delivery(message=message, subscription=subscription, channel="email"))
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        # Sent now (we are in a background task already); a row sent before is not claimed.
        result = deliveries_send(message_id=message.pk, channel_code="email")
        if result["next_due"]:
            from .tasks import enqueue_send_later

            transaction.on_commit(lambda: enqueue_send_later(message.pk, "email",
                                                             result["next_due"]))
    return message


# --- subscriptions ------------------------------------------------------------------------------

def _apply_preferences(subscription, *, topics, language, plain_text, large_text,
                       easy_japanese, quiet_start, quiet_end):
    if language not in LANGUAGE_CODES:
        raise ValidationFailed(_("Choose a language from the list."), field="language")
    if (quiet_start is None) != (quiet_end is None):
        raise ValidationFailed(_("Give both the start and the end of quiet hours, or "
                                 "neither."), field="quiet_start")
    subscription.language = language
    subscription.plain_text = bool(plain_text)
    subscription.large_text = bool(large_text)
    subscription.easy_japanese = bool(easy_japanese)
    subscription.quiet_start, subscription.quiet_end = quiet_start, quiet_end
    subscription.save()
    subscription.topics.set(topics)


def subscription_update(*, subscription, topics, language: str, plain_text=False,
                        large_text=False, easy_japanese=False, quiet_start=None,
                        quiet_end=None, via_email=None, via_line=None, via_push=None,
                        actor=None) -> Subscription:
    """Save what a subscriber chose (signed in, or through their settings link)."""
    with transaction.atomic():
        if via_email is not None:
            subscription.via_email = bool(via_email) and bool(subscription.email)
        if via_line is not None:
            subscription.via_line = bool(via_line) and bool(subscription.line_user_id)
        if via_push is not None:
            subscription.via_push = bool(via_push) and bool(subscription.push_endpoint)
        subscription.active = True
        _apply_preferences(subscription, topics=topics, language=language,
                           plain_text=plain_text, large_text=large_text,
                           easy_japanese=easy_japanese, quiet_start=quiet_start,
                           quiet_end=quiet_end)
        audit_record(actor=actor if getattr(actor, "pk", None) else None,
                     action="notifications.subscription_update", target=subscription,
                     details={"topics": sorted(t.key for t in topics),
                              "channels": subscription.channels()})
    return subscription


def subscription_unsubscribe(*, subscription) -> Subscription:
    """Stop everything for this subscription (the one-click link in every message)."""
    with transaction.atomic():
        subscription.active = False
        subscription.via_email = subscription.via_line = subscription.via_push = False
        subscription.save(update_fields=["active", "via_email", "via_line", "via_push",
                                         "updated_at"])
        subscription.topics.clear()
        audit_record(actor=None, action="notifications.unsubscribe", target=subscription)
    return subscription


def subscription_email_start(*, email: str, topics, language: str) -> Subscription:
    """An anonymous email subscription: nothing is sent to the address but the confirmation
    link until its owner follows it (no one can subscribe another person's address)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    email = (email or "").strip()
    if language not in LANGUAGE_CODES:
        language = "ja"
    with transaction.atomic():
        subscription = Subscription.objects.filter(user__isnull=True, email__iexact=email
                                                   ).first()
        if subscription is None:
            subscription = Subscription.objects.create(email=email, language=language,
                                                       via_email=True, confirmed=False)
            subscription.topics.set(topics)
        link = settings.PORTAL_URL + reverse("notifications:confirm",
                                             args=[subscription.token])
        with translation.override(language):
            subject = str(_("Please confirm your subscription"))
            body = render_to_string("notifications/email/confirm.txt", {"link": link})
        transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL,
                                                [email]))
    return subscription


def subscription_email_confirm(*, subscription) -> Subscription:
    with transaction.atomic():
        subscription.confirmed = True
        subscription.active = True
        subscription.via_email = True
        subscription.save(update_fields=["confirmed", "active", "via_email", "updated_at"])
        audit_record(actor=None, action="notifications.email_confirm", target=subscription)
    return subscription


def push_subscribe(*, endpoint: str, p256dh: str, auth: str, topics=None, language="ja",
                   user=None) -> tuple[Subscription, bool]:
    """Record a browser's Web Push subscription (PushSubscription.toJSON()); the same
    endpoint twice is one subscription. Returns (subscription, created)."""
    from .webpush import endpoint_allowed, valid_key

    if not endpoint_allowed(endpoint or ""):
        raise ValidationFailed(_("This push service is not accepted."), field="endpoint")
    if not valid_key(p256dh or "", 65) or not valid_key(auth or "", 16):
        raise ValidationFailed(_("The browser's push keys are not valid."), field="keys")
    if language not in LANGUAGE_CODES:
        language = "ja"
    with transaction.atomic():
        if user is not None and getattr(user, "is_authenticated", False):
            # One browser per account: a new device replaces the old endpoint.
            Subscription.objects.filter(push_endpoint=endpoint).exclude(user=user).update(
                push_endpoint="", via_push=False)
            subscription = subscription_for_user(user)
            created = not subscription.push_endpoint
        else:
            subscription = Subscription.objects.filter(push_endpoint=endpoint).first()
            created = subscription is None
            if created:
                subscription = Subscription(language=language)
        subscription.push_endpoint, subscription.push_p256dh = endpoint, p256dh
        subscription.push_auth, subscription.via_push, subscription.active = auth, True, True
        subscription.save()
        if topics is not None and (created or user is None):
            subscription.topics.set(topics)
        audit_record(actor=user if getattr(user, "pk", None) else None,
                     action="notifications.push_subscribe", target=subscription)
    return subscription, created


def line_follow(*, line_user_id: str) -> Subscription:
    """A LINE user added the official account: subscribe them (disaster information by
    default) and return their subscription, whose settings link is sent as the reply."""
    with transaction.atomic():
        subscription = Subscription.objects.filter(line_user_id=line_user_id).first()
        if subscription is None:
            subscription = Subscription.objects.create(line_user_id=line_user_id,
                                                       via_line=True)
            subscription.topics.set(Topic.objects.filter(key="disaster"))
        else:
            subscription.via_line = subscription.active = True
            subscription.save(update_fields=["via_line", "active", "updated_at"])
        audit_record(actor=None, action="notifications.line_follow", target=subscription)
    return subscription


def line_unfollow(*, line_user_id: str) -> int:
    """The LINE user blocked the account: stop sending (LINE would refuse anyway)."""
    with transaction.atomic():
        changed = Subscription.objects.filter(line_user_id=line_user_id).update(
            via_line=False)
        Subscription.objects.filter(line_user_id=line_user_id, user__isnull=True,
                                    via_push=False, via_email=False).update(active=False)
    return changed


def line_event_first_time(event_id: str) -> bool:
    """True the first time a LINE webhookEventId is seen (redeliveries are handled once)."""
    if not event_id:
        return True
    try:
        with transaction.atomic():
            LineWebhookEvent.objects.create(event_id=event_id[:64])
    except IntegrityError:
        return False
    return True


def inbox_mark_read(*, delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk, channel="inbox", read_at__isnull=True).update(
        status=Status.READ, read_at=timezone.now())
