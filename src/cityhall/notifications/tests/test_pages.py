"""The pages of the notifications engine (取組12, 17): residents choose topics, language,
format needs, quiet hours and channels (signed in or by email with a confirmation link);
settings and unsubscribing by the link in every message without signing in; the inbox; the
signage feed and its override; the staff composer with preview, send (once) and the live
progress page; the API. Who may open what, bad input is a 400 that changes nothing."""

import datetime
import json

import pytest
from django.core import mail
from django.urls import reverse

from cityhall.notifications import services
from cityhall.notifications.models import Delivery, Message, Subscription
from cityhall.notifications.signage import (
    SignageItem,
    register_signage_override,
    unregister_signage_override,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEXTS = {"ja": {"subject": "防災訓練のお知らせ", "body": "10月1日に防災訓練を行います。"},
         "en": {"subject": "Disaster drill", "body": "A disaster drill on 1 October."}}


@pytest.fixture(autouse=True)
def _tasks_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default", "notifications"]}}
    settings.NOTIFICATIONS_RATE_LIMITS = {}


@pytest.fixture
def users(request, minato):
    def get(name):
        if name == "anonymous":
            return None
        user = request.getfixturevalue(name)
        return getattr(user, "user", user)
    return get


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


# --- residents ---------------------------------------------------------------------------------

def test_a_resident_chooses_topics_language_format_and_quiet_hours(client, hanako, topics):
    client.force_login(hanako.user)
    page = client.get(reverse("notifications:subscribe"))
    assert page.status_code == 200 and "防災・災害情報" in page.content.decode()
    response = client.post(reverse("notifications:subscribe"), {
        "topics": [topics["disaster"].pk, topics["area:shiba"].pk], "language": "en",
        "large_text": "on", "easy_japanese": "", "quiet_start": "22:00", "quiet_end": "07:00",
        "via_email": "on"})
    assert response.status_code == 302
    subscription = Subscription.objects.get(user=hanako.user)
    assert sorted(subscription.topics.values_list("key", flat=True)) == ["area:shiba",
                                                                         "disaster"]
    assert subscription.language == "en" and subscription.large_text
    assert subscription.quiet_start == datetime.time(22) and subscription.via_email
    assert subscription.channels() == ["inbox", "email"]


@pytest.mark.parametrize("data", [
    {"language": "fr"}, {"quiet_start": "22:00"}, {"quiet_start": "25:00", "quiet_end": "1"},
    {"topics": ["999999"]}, {"topics": ["x"]}])
def test_bad_choices_are_refused_and_change_nothing(client, hanako, topics, data):
    client.force_login(hanako.user)
    subscription = services.subscription_for_user(hanako.user)
    subscription.topics.set([topics["events"]])
    form = {"topics": [topics["disaster"].pk], "language": "ja", **data}
    response = client.post(reverse("notifications:subscribe"), form, **EN)
    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()
    subscription.refresh_from_db()
    assert list(subscription.topics.values_list("key", flat=True)) == ["events"]
    assert subscription.language == "ja" and subscription.quiet_start is None


def test_anonymous_email_subscription_needs_confirmation(client, topics,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:subscribe"), {
            "email": "neighbour@example.jp", "topics": [topics["events"].pk],
            "language": "ja"}, **EN)
    assert response.status_code == 200
    subscription = Subscription.objects.get(email="neighbour@example.jp")
    assert not subscription.confirmed and subscription.channels() == []
    assert len(mail.outbox) == 1 and subscription.token in mail.outbox[0].body
    confirm = reverse("notifications:confirm", args=[subscription.token])
    assert client.get(confirm).status_code == 200  # a mail scanner's GET confirms nothing
    subscription.refresh_from_db()
    assert not subscription.confirmed
    assert client.post(confirm).status_code == 302
    subscription.refresh_from_db()
    assert subscription.confirmed and subscription.channels() == ["email"]


def test_bad_email_subscription_is_refused(client, topics):
    response = client.post(reverse("notifications:subscribe"),
                           {"email": "not-an-address", "topics": [], "language": "ja"})
    assert response.status_code == 400 and not Subscription.objects.exists()
    assert mail.outbox == []


def test_settings_and_unsubscribe_by_token_without_signing_in(client, topics):
    subscription = Subscription.objects.create(email="a@example.jp", via_email=True)
    subscription.topics.add(topics["disaster"])
    manage = reverse("notifications:manage", args=[subscription.token])
    assert client.get(manage).status_code == 200
    response = client.post(manage, {"topics": [topics["events"].pk], "language": "ko",
                                    "via_email": "on"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.language == "ko"
    assert list(subscription.topics.values_list("key", flat=True)) == ["events"]
    unsubscribe = reverse("notifications:unsubscribe", args=[subscription.token])
    assert client.get(unsubscribe).status_code == 200
    subscription.refresh_from_db()
    assert subscription.active  # GET changes nothing
    assert client.post(unsubscribe).status_code == 200
    subscription.refresh_from_db()
    assert not subscription.active and subscription.channels() == []
    assert not subscription.topics.exists()


@pytest.mark.parametrize("name", ["manage", "unsubscribe", "confirm"])
def test_an_unknown_token_is_404(client, minato, name):
    assert client.get(reverse(f"notifications:{name}", args=["nope"])).status_code == 404
    assert client.post(reverse(f"notifications:{name}", args=["nope"])).status_code == 404


def test_the_inbox_shows_and_marks_read(client, hanako, taro, topics):
    subscription = services.subscription_for_user(hanako.user)
    subscription.topics.add(topics["disaster"])
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="i1")
    services.message_expand(message_id=message.pk)
    row = Delivery.objects.get(message=message, channel="inbox")
    client.force_login(hanako.user)
    assert "防災訓練のお知らせ" in client.get(reverse("notifications:inbox")).content.decode()
    item = reverse("notifications:inbox_item", args=[row.pk])
    assert client.get(item).status_code == 200
    row.refresh_from_db()
    assert row.status == "read" and row.read_at is not None
    client.force_login(taro.user)  # someone else's message
    assert client.get(item).status_code == 404


def test_the_inbox_needs_signing_in(client, minato):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- signage ---------------------------------------------------------------------------------

def test_signage_shows_recent_messages_then_the_override(client, topics):
    services.message_publish(topic_keys=["events"], texts=TEXTS, dedupe_key="s1")
    data = client.get(reverse("notifications:signage_json") + "?lang=en").json()
    assert not data["overridden"] and data["items"][0]["title"] == "Disaster drill"

    def alert():
        return [SignageItem(key="alert:1", severity="emergency",
                            texts={"ja": {"title": "避難指示", "body": "芝地区"},
                                   "en": {"title": "Evacuation order", "body": "Shiba"}},
                            updated_at=datetime.datetime(2031, 6, 2, tzinfo=datetime.UTC))]

    register_signage_override(alert)
    try:
        data = client.get(reverse("notifications:signage_json") + "?lang=en").json()
        screen = client.get(reverse("notifications:signage"))
        page = screen.content.decode()
    finally:
        unregister_signage_override(alert)
    assert data["overridden"] and [item["key"] for item in data["items"]] == ["alert:1"]
    assert data["items"][0]["severity"] == "emergency"
    assert "避難指示" in page and "防災訓練" not in page
    assert screen["Refresh"] == "30"  # reloads itself without JavaScript


def test_an_empty_or_broken_override_keeps_the_normal_content(client, topics):
    services.message_publish(topic_keys=["events"], texts=TEXTS, dedupe_key="s2")

    def broken():
        raise RuntimeError("provider down")

    def empty():
        return []

    register_signage_override(broken)
    register_signage_override(empty)
    try:
        data = client.get(reverse("notifications:signage_json") + "?lang=xx&area=zz").json()
    finally:
        unregister_signage_override(broken)
        unregister_signage_override(empty)
    assert not data["overridden"] and data["language"] == "ja"
    assert data["items"][0]["title"] == "防災訓練のお知らせ"


# --- staff -------------------------------------------------------------------------------------

STAFF_PAGES = ["staff_home", "staff_compose"]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 302), ("hanako", 403), ("shiba_clerk", 403), ("shiba_manager", 200)])
def test_who_may_open_the_staff_pages(client, users, topics, page, who, status):
    response = as_user(client, users(who)).get(reverse(f"notifications:{page}"))
    assert response.status_code == status


def compose_form(reference, **overrides):
    return {"topics": [reference["disaster"].pk], "subject_ja": "断水のお知らせ",
            "body_ja": "芝三丁目で断水します。", "subject_en": "Water outage",
            "body_en": "Water outage in Shiba 3-chome.", "url": "/",
            "send_key": "6b0c3c2e-7f0a-4a53-9d0e-0d9d1e1b2a3c", **overrides}


def test_staff_preview_then_send_once_and_follow_progress(client, shiba_manager, topics,
                                                         django_capture_on_commit_callbacks):
    people = [Subscription.objects.create(email=f"p{i}@example.jp", via_email=True)
              for i in range(3)]
    for person in people:
        person.topics.add(topics["disaster"])
    client.force_login(shiba_manager)
    url = reverse("notifications:staff_compose")
    preview = client.post(url, {**compose_form(topics), "action": "preview"})
    assert preview.status_code == 200 and not Message.objects.exists()
    body = preview.content.decode()
    assert "Water outage in Shiba 3-chome." in body and "/notifications/s/example/" in body
    with_send = {**compose_form(topics), "action": "send"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, with_send)
    assert response.status_code == 302
    again = client.post(url, with_send)  # pressed twice
    assert again["Location"] == response["Location"]
    message = Message.objects.get()
    assert message.actor == shiba_manager and len(mail.outbox) == 3
    page = client.get(response["Location"])
    assert page.status_code == 200
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="progress"' in partial and "<html" not in partial
    progress = services.message_progress(message)
    assert progress["done"] and progress["channels"][0]["sent"] == 3


@pytest.mark.parametrize("overrides", [
    {"subject_ja": ""}, {"topics": []}, {"subject_en": "only a subject", "body_en": ""},
    {"url": "javascript:alert(1)"}, {"send_key": "not-a-uuid"}, {"topics": ["abc"]}])
def test_bad_compositions_are_refused_and_send_nothing(client, shiba_manager, topics,
                                                       overrides):
    client.force_login(shiba_manager)
    response = client.post(reverse("notifications:staff_compose"),
                           {**compose_form(topics, **overrides), "action": "send"}, **EN)
    assert response.status_code == 400 and not Message.objects.exists()


def test_staff_without_permission_cannot_send(client, shiba_clerk, topics):
    client.force_login(shiba_clerk)
    response = client.post(reverse("notifications:staff_compose"),
                           {**compose_form(topics), "action": "send"})
    assert response.status_code == 403 and not Message.objects.exists()


# --- API -----------------------------------------------------------------------------------------

def test_api_topics_subscription_and_inbox(client, hanako, topics):
    topics_list = client.get("/api/v1/notifications/topics").json()
    assert {"disaster", "area:shiba"} <= {topic["key"] for topic in topics_list}
    assert client.get("/api/v1/notifications/subscription").status_code == 401
    client.force_login(hanako.user)
    response = client.put("/api/v1/notifications/subscription", data=json.dumps(
        {"topics": ["disaster"], "language": "en", "quiet_start": "22:00",
         "quiet_end": "06:00"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["topics"] == ["disaster"]
    bad = client.put("/api/v1/notifications/subscription", data=json.dumps(
        {"topics": ["nope"]}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_topic"
    assert client.get("/api/v1/notifications/subscription").json()["language"] == "en"
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="a1")
    services.message_expand(message_id=message.pk)
    inbox = client.get("/api/v1/notifications/inbox", HTTP_ACCEPT_LANGUAGE="en").json()
    assert inbox[0]["subject"] == "Disaster drill" and inbox[0]["read"] is False


def test_api_publish_and_progress_for_staff_only(client, hanako, shiba_manager, topics,
                                                 django_capture_on_commit_callbacks):
    body = json.dumps({"topics": ["disaster"], "texts": TEXTS, "dedupe_key": "api-1"})
    assert client.post("/api/v1/notifications/messages", data=body,
                       content_type="application/json").status_code == 401
    client.force_login(hanako.user)
    assert client.post("/api/v1/notifications/messages", data=body,
                       content_type="application/json").status_code == 403
    assert not Message.objects.exists()
    client.force_login(shiba_manager)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/notifications/messages", data=body,
                              content_type="application/json")
    assert created.status_code == 201
    again = client.post("/api/v1/notifications/messages", data=body,
                        content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    progress = client.get(f"/api/v1/notifications/messages/{created.json()['id']}/progress")
    assert progress.status_code == 200 and progress.json()["done"] is True
    unknown = client.post("/api/v1/notifications/messages", content_type="application/json",
                          data=json.dumps({"topics": ["nope"], "texts": TEXTS}))
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_topic"
    assert client.get("/api/v1/notifications/messages/999999/progress").status_code == 404
