"""The Web Push channel against a local fake push service (取組12, 17): the request carries a
TTL, aes128gcm content and a VAPID JWT that verifies with the public key (aud = the push
service's origin, exp within 24 hours, sub mailto:); the payload decrypts to the message in
the subscriber's language with its settings link; 404/410 stop the subscription's Web Push,
429 is retried later; the subscription endpoint and the VAPID key command."""

import base64
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from cityhall.notifications import services
from cityhall.notifications.models import Delivery, Subscription

TEXTS = {"ja": {"subject": "大雨警報", "body": "港区に大雨警報が発表されました。"},
         "en": {"subject": "Heavy rain warning", "body": "A heavy rain warning for Minato."}}


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.NOTIFICATIONS_RATE_LIMITS = {}


def subscribe(browser, topic, language="ja"):
    subscription, _created = services.push_subscribe(
        endpoint=browser["endpoint"], p256dh=browser["keys"]["p256dh"],
        auth=browser["keys"]["auth"], topics=[topic], language=language)
    return subscription


def send(urgent=False, key="push:1", texts=TEXTS):
    message = services.message_publish(topic_keys=["disaster"], texts=texts, dedupe_key=key,
                                       urgent=urgent, url="/alerts/1", source="alert-42")
    services.message_expand(message_id=message.pk)
    services.deliveries_send(message_id=message.pk, channel_code="webpush")
    return message


def test_a_push_is_encrypted_signed_and_delivered(topics, push_service):
    subscription = subscribe(push_service.browser(), topics["disaster"], language="en")
    message = send(urgent=True)
    assert push_service.refused == []
    [(_ident, headers, data)] = push_service.received
    assert data["title"] == "Heavy rain warning"
    assert data["body"] == "A heavy rain warning for Minato."
    assert data["url"].endswith("/alerts/1") and subscription.token in data["settings"]
    assert headers["ttl"].isdigit() and headers["content-encoding"] == "aes128gcm"
    assert headers["urgency"] == "high" and headers["topic"] == "alert-42"
    row = Delivery.objects.get(message=message, channel="webpush")
    assert row.status == "sent" and row.provider_id.startswith(push_service.url)


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_stops_web_push(topics, push_service, status):
    subscription = subscribe(push_service.browser(answer=status), topics["disaster"])
    message = send()
    row = Delivery.objects.get(message=message)
    assert row.status == "failed" and str(status) in row.last_error
    subscription.refresh_from_db()
    assert not subscription.via_push and subscription.push_endpoint == ""
    assert not subscription.active  # nothing else was left on this anonymous subscription


def test_429_is_retried_later_not_dropped(topics, push_service):
    browser = push_service.browser(answer=429)
    subscribe(browser, topics["disaster"])
    message = send()
    row = Delivery.objects.get(message=message)
    assert row.status == "queued" and row.not_before is not None and row.attempts == 1
    push_service.answers[browser["endpoint"].rsplit("/", 1)[-1]] = 201
    Delivery.objects.filter(pk=row.pk).update(not_before=None)
    services.deliveries_send(message_id=message.pk, channel_code="webpush")
    row.refresh_from_db()
    assert row.status == "sent" and len(push_service.received) == 1


def test_a_long_message_is_shortened_to_fit_one_record(topics, push_service):
    subscribe(push_service.browser(), topics["disaster"])
    long_texts = {"ja": {"subject": "長文", "body": "あ" * 4900}}
    send(texts=long_texts)
    [(_ident, _headers, data)] = push_service.received
    assert data["body"].endswith("…") and len(json.dumps(data, ensure_ascii=False).encode()) \
        <= 3800


def test_a_wrong_vapid_key_is_refused_by_the_push_service(topics, push_service, settings):
    from cityhall.notifications.keys import vapid_key_pair

    subscribe(push_service.browser(), topics["disaster"])
    settings.VAPID_PRIVATE_KEY = vapid_key_pair()[0]  # not the key the browser was given
    message = send()
    assert push_service.received == [] and push_service.refused[0][1] == 403
    assert Delivery.objects.get(message=message).status == "failed"


# --- the browser's side -------------------------------------------------------------------

def test_vapid_public_key_is_87_base64url_characters(client, push_service):
    response = client.get(reverse("notifications:vapid_public_key"))
    key = response.content.decode()
    assert response.status_code == 200 and len(key) == 87 and "=" not in key
    raw = base64.urlsafe_b64decode(key + "=")
    assert len(raw) == 65 and raw[0] == 4


def test_subscribing_a_browser(client, topics, push_service):
    browser = push_service.browser()
    url = reverse("notifications:push_subscription")
    body = {**browser, "topics": ["disaster", "area:shiba"], "language": "ko"}
    first = client.post(url, data=json.dumps(body), content_type="application/json")
    assert first.status_code == 201
    again = client.post(url, data=json.dumps(body), content_type="application/json")
    assert again.status_code == 200
    subscription = Subscription.objects.get(push_endpoint=browser["endpoint"])
    assert subscription.language == "ko" and subscription.via_push
    assert sorted(subscription.topics.values_list("key", flat=True)) == ["area:shiba",
                                                                         "disaster"]
    assert first.json()["settings_url"].endswith(f"/s/{subscription.token}/")


@pytest.mark.parametrize("mutate", [
    lambda b: b["keys"].pop("auth"), lambda b: b["keys"].pop("p256dh"),
    lambda b: b.pop("endpoint"), lambda b: b["keys"].update(auth="short"),
    lambda b: b.update(endpoint="https://evil.example/push/1"),
    lambda b: b["keys"].update(p256dh=12)])
def test_a_bad_browser_subscription_is_refused(client, topics, push_service, mutate):
    browser = push_service.browser()
    mutate(browser)
    response = client.post(reverse("notifications:push_subscription"),
                           data=json.dumps(browser), content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()
    assert not Subscription.objects.exists()


def test_not_json_is_refused(client, push_service):
    response = client.post(reverse("notifications:push_subscription"), data=b"\xff{",
                           content_type="application/json")
    assert response.status_code == 400


def test_the_vapid_keys_command_prints_a_usable_pair():
    out = io.StringIO()
    call_command("notifications_vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert len(lines["VAPID_PUBLIC_KEY"]) == 87
    from py_vapid import Vapid

    assert Vapid.from_string(lines["VAPID_PRIVATE_KEY"]).public_key is not None
