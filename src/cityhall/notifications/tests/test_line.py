"""The LINE channel against a local fake of api.line.me (取組12, 17): multicast in batches of
at most 500 user ids, a stored X-Line-Retry-Key reused on retry (409 counts as sent), 429/5xx
retried with back-off; and the webhook: X-Line-Signature over the raw body (checked against
the SDK's own parser), follow, unfollow, replies, redeliveries handled once."""

import base64
import hashlib
import hmac
import json
import uuid

import pytest
from django.urls import reverse
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

from cityhall.notifications import services
from cityhall.notifications.models import Delivery, Subscription

from .conftest import LINE_SECRET, line_user

TEXTS = {"ja": {"subject": "避難所開設", "body": "芝小学校を開設しました。"},
         "en": {"subject": "Shelter open", "body": "Shiba Elementary School is open."}}


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.NOTIFICATIONS_RATE_LIMITS = {}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default", "notifications"]}}


def line_subscribers(n, topic, language="ja", start=0):
    rows = [Subscription(line_user_id=line_user(start + i), via_line=True, language=language)
            for i in range(n)]
    Subscription.objects.bulk_create(rows)
    made = list(Subscription.objects.filter(line_user_id__in=[r.line_user_id for r in rows]))
    topic.subscriptions.add(*made)
    return made


def publish(key="line:1", urgent=False):
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key=key,
                                       urgent=urgent)
    services.message_expand(message_id=message.pk)
    return message


def test_multicast_to_1234_users_is_three_requests(topics, line_api):
    line_subscribers(1234, topics["disaster"])
    message = publish()
    services.deliveries_send(message_id=message.pk, channel_code="line")
    sizes = [len(body["to"]) for _key, body, status in line_api.requests]
    assert sorted(sizes) == [234, 500, 500]
    keys = [key for key, _body, _status in line_api.requests]
    assert len(set(keys)) == 3 and all(uuid.UUID(key) for key in keys)
    assert len(line_api.delivered) == 1234 == len({user for user, _t in line_api.delivered})
    rows = Delivery.objects.filter(message=message, channel="line")
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    # Each delivery keeps the retry key of its batch.
    assert set(rows.values_list("batch_key", flat=True)) == set(keys)
    text = line_api.requests[0][1]["messages"][0]
    assert text["type"] == "text" and "芝小学校を開設しました。" in text["text"]
    assert "/notifications/s/" in text["text"]  # settings / stop link


def test_each_language_gets_its_own_multicast(topics, line_api):
    line_subscribers(2, topics["disaster"], "ja")
    line_subscribers(3, topics["disaster"], "en", start=10)
    line_subscribers(1, topics["disaster"], "ko", start=20)
    message = publish()
    services.deliveries_send(message_id=message.pk, channel_code="line")
    texts = {len(body["to"]): body["messages"][0]["text"] for _k, body, _s in line_api.requests}
    assert "Shiba Elementary School is open." in texts[3]
    assert "芝小学校を開設しました。" in texts[2] and "芝小学校" in texts[1]  # ko falls back to ja


def test_a_retry_after_an_accepted_request_reuses_the_key_and_is_not_doubled(topics, line_api):
    people = line_subscribers(3, topics["disaster"])
    message = publish()
    line_api.script = ["accept-then-500"]  # LINE took it, but we saw an error
    services.deliveries_send(message_id=message.pk, channel_code="line")
    rows = Delivery.objects.filter(message=message)
    assert set(rows.values_list("status", flat=True)) == {"queued"}
    key = rows.first().batch_key
    rows.update(not_before=None)  # the back-off has passed
    services.deliveries_send(message_id=message.pk, channel_code="line")
    assert [(k, s) for k, _b, s in line_api.requests] == [(key, 500), (key, 409)]
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert len(line_api.delivered) == len(people)  # nobody got it twice


def test_a_killed_worker_batch_is_sent_again_with_its_key(topics, line_api):
    line_subscribers(2, topics["disaster"])
    message = publish()
    # A worker claimed the batch and stored its key, then died before (or after) the call.
    services.deliveries_send(message_id=message.pk, channel_code="line")
    rows = Delivery.objects.filter(message=message)
    rows.update(status="sending")
    result = services.deliveries_recover_stale(older_than_seconds=-1)
    assert result["requeued"] == 2
    services.deliveries_send(message_id=message.pk, channel_code="line")
    assert [s for _k, _b, s in line_api.requests] == [200, 409]
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert len(line_api.delivered) == 2


def test_429_is_retried_later_without_a_storm(topics, line_api, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    line_subscribers(2, topics["disaster"])
    message = publish()
    line_api.script = [429, 429, 429, 429]
    services.deliveries_send(message_id=message.pk, channel_code="line")
    assert len(line_api.requests) == 1  # one request, then wait for the back-off
    rows = Delivery.objects.filter(message=message)
    assert set(rows.values_list("status", flat=True)) == {"queued"}
    for _attempt in range(2):
        rows.update(not_before=None)
        services.deliveries_send(message_id=message.pk, channel_code="line")
    assert len(line_api.requests) == 3
    assert len({k for k, _b, _s in line_api.requests}) == 1
    assert set(rows.values_list("status", flat=True)) == {"failed"}


def test_a_bad_token_fails_without_retrying(topics, line_api, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "wrong"
    line_subscribers(1, topics["disaster"])
    message = publish()
    services.deliveries_send(message_id=message.pk, channel_code="line")
    row = Delivery.objects.get(message=message)
    assert row.status == "failed" and "401" in row.last_error
    assert line_api.delivered == []


# --- webhook -----------------------------------------------------------------------------------

def sign(body: bytes, secret=LINE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def event(kind, user, **extra):
    return {"type": kind, "mode": "active", "timestamp": 1700000000000,
            "source": {"type": "user", "userId": user},
            "webhookEventId": extra.pop("event_id", uuid.uuid4().hex.upper()[:26]),
            "deliveryContext": {"isRedelivery": extra.pop("redelivery", False)}, **extra}


def payload(*events) -> bytes:
    return json.dumps({"destination": "U" + "f" * 32, "events": list(events)},
                      ensure_ascii=False).encode("utf-8")


def post(client, body: bytes, signature):
    headers = {"HTTP_X_LINE_SIGNATURE": signature} if signature is not None else {}
    return client.post(reverse("notifications:line_webhook"), data=body,
                       content_type="application/json", **headers)


def test_follow_subscribes_and_replies_with_the_settings_link(client, topics, line_api):
    user = line_user(7)
    body = payload(event("follow", user, replyToken="r" * 32, follow={"isUnblocked": False}))
    response = post(client, body, sign(body))
    assert response.status_code == 200
    subscription = Subscription.objects.get(line_user_id=user)
    assert subscription.via_line and subscription.active
    assert list(subscription.topics.values_list("key", flat=True)) == ["disaster"]
    assert len(line_api.replies) == 1
    assert line_api.replies[0]["replyToken"] == "r" * 32
    assert subscription.token in line_api.replies[0]["messages"][0]["text"]


def test_unfollow_stops_sending(client, topics, line_api):
    user = line_user(8)
    services.line_follow(line_user_id=user)
    body = payload(event("unfollow", user))
    assert post(client, body, sign(body)).status_code == 200
    subscription = Subscription.objects.get(line_user_id=user)
    assert not subscription.via_line and not subscription.active


def test_a_text_message_gets_a_help_reply_in_japanese_text(client, topics, line_api,
                                                           monkeypatch):
    from cityhall.notifications import line

    monkeypatch.setattr(line, "_text_handlers", [])  # no app answers first (feedback, faq)
    user = line_user(9)
    services.line_follow(line_user_id=user)
    body = payload(event("message", user, replyToken="t" * 32,
                         message={"id": "1", "type": "text", "text": "設定を変えたい",
                                  "quoteToken": "q"}))
    assert post(client, body, sign(body)).status_code == 200
    assert "/notifications/s/" in line_api.replies[0]["messages"][0]["text"]


def test_a_redelivered_event_is_handled_once(client, topics, line_api):
    user = line_user(10)
    first = event("follow", user, replyToken="a" * 32, event_id="01HX0000000000000000000001",
                  follow={"isUnblocked": False})
    again = dict(first, deliveryContext={"isRedelivery": True})
    for item in (first, again):
        body = payload(item)
        assert post(client, body, sign(body)).status_code == 200
    assert len(line_api.replies) == 1


def test_empty_events_with_a_valid_signature_is_ok(client, line_api):
    body = payload()
    assert post(client, body, sign(body)).status_code == 200


@pytest.mark.parametrize("case", ["missing", "wrong-secret", "reserialised", "garbage"])
def test_a_bad_signature_is_refused_and_changes_nothing(client, topics, line_api, case):
    user = line_user(11)
    body = payload(event("follow", user, replyToken="x" * 32, follow={"isUnblocked": False}))
    signature = {"missing": None, "wrong-secret": sign(body, "other-secret"),
                 "reserialised": sign(body), "garbage": "not-base64!"}[case]
    if case == "reserialised":  # the same JSON with other whitespace: the old signature fails
        body = json.dumps(json.loads(body), ensure_ascii=False, indent=2).encode("utf-8")
    response = post(client, body, signature)
    assert response.status_code == 400
    assert not Subscription.objects.filter(line_user_id=user).exists()
    assert line_api.replies == []
    # The SDK's own parser agrees.
    if signature is not None:
        with pytest.raises(InvalidSignatureError):
            WebhookParser(LINE_SECRET).parse(body.decode("utf-8"), signature)


def test_our_signature_agrees_with_the_sdk_parser_on_japanese_text():
    body = payload(event("message", line_user(1), replyToken="z" * 32,
                         message={"id": "2", "type": "text", "text": "避難所はどこですか",
                                  "quoteToken": "q"}))
    events = WebhookParser(LINE_SECRET).parse(body.decode("utf-8"), sign(body))
    assert events[0].message.text == "避難所はどこですか"


def test_webhook_refuses_get_and_unconfigured_secret(client, settings):
    assert client.get(reverse("notifications:line_webhook")).status_code == 405
    settings.LINE_CHANNEL_SECRET = ""
    body = payload()
    assert post(client, body, sign(body, "")).status_code == 400


def test_registered_text_handlers_answer_before_the_help_reply(client, topics, line_api,
                                                             monkeypatch):
    from cityhall.notifications import line

    monkeypatch.setattr(line, "_text_handlers", [])
    seen = []

    def broken(user_id, text, language):
        raise RuntimeError("a bug in some app")

    def passes(user_id, text, language):
        seen.append((user_id, text, language))
        return None

    def answers(user_id, text, language):
        return f"受け付けました: {text}" if text.startswith("意見") else None

    for handler in (broken, passes, answers, answers):
        line.register_text_handler(handler)
    assert line.text_handlers() == [broken, passes, answers]
    user = line_user(12)
    for text in ("意見 公園にベンチを", "こんにちは"):
        body = payload(event("message", user, replyToken="h" * 32,
                             message={"id": "3", "type": "text", "text": text,
                                      "quoteToken": "q"}))
        assert post(client, body, sign(body)).status_code == 200
    replies = [reply["messages"][0]["text"] for reply in line_api.replies]
    assert replies[0] == "受け付けました: 意見 公園にベンチを"
    assert "Add this account as a friend" in replies[1] or "友だち" in replies[1]
    assert seen == [(user, "意見 公園にベンチを", "ja"), (user, "こんにちは", "ja")]
