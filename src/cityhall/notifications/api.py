"""API of the notifications engine (mounted at /api/v1/notifications/) (取組12, 17): the
topics (public), the signed-in person's subscription and inbox, and for staff with the
permission: publish a message to topics and follow its delivery progress. Errors come in the
project's one shape (`cityhall.api`)."""

import datetime
import uuid

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can

from . import services
from .models import LANGUAGE_CODES, Delivery, Message, Topic

router = Router(tags=["notifications"])


class TopicOut(Schema):
    key: str
    kind: str
    name: str
    names: dict[str, str]
    area_code: str


class SubscriptionOut(Schema):
    topics: list[str]
    language: str
    plain_text: bool
    large_text: bool
    easy_japanese: bool
    quiet_start: datetime.time | None
    quiet_end: datetime.time | None
    channels: list[str]


class SubscriptionIn(Schema):
    topics: list[str] = Field(default_factory=list, max_length=200)
    language: str = Field("ja", max_length=10)
    plain_text: bool = False
    large_text: bool = False
    easy_japanese: bool = False
    quiet_start: datetime.time | None = None
    quiet_end: datetime.time | None = None
    email: bool | None = None


class InboxOut(Schema):
    id: int
    subject: str
    body: str
    url: str
    urgent: bool
    received_at: datetime.datetime
    read: bool


class TextIn(Schema):
    subject: str = Field(..., max_length=200)
    body: str = Field(..., max_length=5000)


class MessageIn(Schema):
    topics: list[str] = Field(..., min_length=1, max_length=100)
    texts: dict[str, TextIn]
    urgent: bool = False
    url: str = Field("", max_length=500)
    dedupe_key: str = Field(default_factory=lambda: f"api:{uuid.uuid4()}", max_length=200)


class ChannelProgress(Schema):
    channel: str
    queued: int
    sent: int
    failed: int
    read: int
    total: int


class ProgressOut(Schema):
    id: int
    state: str
    done: bool
    channels: list[ChannelProgress]


def _language() -> str:
    language = (get_language() or "ja").lower()
    return language if language in LANGUAGE_CODES else "ja"


@router.get("/topics", response=list[TopicOut])
def topics(request: HttpRequest):
    language = _language()
    return [{"key": t.key, "kind": t.kind, "name": t.name_in(language), "names": t.names,
             "area_code": t.area_code} for t in Topic.objects.in_display_order()]


def _subscription_out(subscription) -> dict:
    return {"topics": sorted(subscription.topics.values_list("key", flat=True)),
            "language": subscription.language, "plain_text": subscription.plain_text,
            "large_text": subscription.large_text,
            "easy_japanese": subscription.easy_japanese,
            "quiet_start": subscription.quiet_start, "quiet_end": subscription.quiet_end,
            "channels": subscription.channels()}


@router.get("/subscription", response=SubscriptionOut, auth=django_auth)
def my_subscription(request: HttpRequest):
    return _subscription_out(services.subscription_for_user(request.user))


@router.put("/subscription", response=SubscriptionOut, auth=django_auth)
def update_subscription(request: HttpRequest, payload: SubscriptionIn):
    subscription = services.subscription_for_user(request.user)
    chosen = list(Topic.objects.filter(key__in=payload.topics))
    if len(chosen) != len(set(payload.topics)):
        from cityhall.core.errors import CityhallError

        raise CityhallError(code="unknown_topic", field="topics")
    services.subscription_update(
        subscription=subscription, topics=chosen, language=payload.language,
        plain_text=payload.plain_text, large_text=payload.large_text,
        easy_japanese=payload.easy_japanese, quiet_start=payload.quiet_start,
        quiet_end=payload.quiet_end, via_email=payload.email, actor=request.user)
    subscription.refresh_from_db()
    return _subscription_out(subscription)


@router.get("/inbox", response=list[InboxOut], auth=django_auth)
def inbox(request: HttpRequest):
    language = _language()
    rows = (Delivery.objects.filter(subscription__user=request.user, channel="inbox")
            .select_related("message").order_by("-created_at")[:100])
    result = []
    for row in rows:
        text = row.message.text_for(language)
        result.append({"id": row.pk, "subject": text.get("subject", ""),
                       "body": text.get("body", ""), "url": row.message.url,
                       "urgent": row.message.urgent, "received_at": row.created_at,
                       "read": row.read_at is not None})
    return result


def _progress(message) -> dict:
    return {"id": message.pk, **services.message_progress(message)}


@router.post("/messages", response={201: ProgressOut, 200: ProgressOut}, auth=django_auth)
def publish(request: HttpRequest, payload: MessageIn):
    if not can(request.user, "notifications.send_message"):
        raise PermissionDeniedError()
    existed = Message.objects.filter(dedupe_key=payload.dedupe_key).exists()
    message = services.message_publish(
        topic_keys=payload.topics,
        texts={lang: text.dict() for lang, text in payload.texts.items()},
        urgent=payload.urgent, dedupe_key=payload.dedupe_key, url=payload.url,
        actor=request.user, source="api")
    return Status(200 if existed else 201, _progress(message))


@router.get("/messages/{message_id}/progress", response=ProgressOut, auth=django_auth)
def progress(request: HttpRequest, message_id: int):
    if not can(request.user, "notifications.view_message"):
        raise PermissionDeniedError()
    message = Message.objects.filter(pk=message_id, recipient__isnull=True).first()
    if message is None:
        raise NotFoundError()
    return _progress(message)
