"""The engine's contract and fan-out (取組12, 17): topics, publishing once per dedupe key,
deliveries exactly once per recipient and channel (also when a worker is killed and the task
runs again), quiet hours, retries with back-off, and core.notify notices."""

import datetime
import itertools

import pytest
from django.core import mail
from django.utils import timezone

from cityhall.core.errors import CityhallError
from cityhall.notifications import services
from cityhall.notifications.channels import (
    RETRY,
    SENT,
    Channel,
    Outcome,
    get_channel,
    register_channel,
)
from cityhall.notifications.models import Delivery, Message, Subscription, Topic
from cityhall.notifications.tasks import message_fan_out

TEXTS = {"ja": {"subject": "避難指示", "body": "芝地区に避難指示を発令しました。"},
         "en": {"subject": "Evacuation order", "body": "An evacuation order for Shiba."}}


@pytest.fixture(autouse=True)
def _tasks_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default", "notifications"]}}
    settings.NOTIFICATIONS_RATE_LIMITS = {}


class Recorder(Channel):
    """A channel that records what it was handed; optionally dies after some batches."""

    def __init__(self, code, batch_size=3, die_after_batches=None, answer=SENT):
        self.code, self.batch_size = code, batch_size
        self.handed = []
        self.batches = 0
        self.die_after_batches = die_after_batches
        self.answer = answer

    def send(self, message, deliveries):
        self.batches += 1
        for delivery in deliveries:
            self.handed.append((message.pk, delivery.subscription_id))
        if self.die_after_batches is not None and self.batches >= self.die_after_batches:
            self.die_after_batches = None
            raise WorkerKilled  # after handing the batch over, before recording it
        return [Outcome(d.pk, self.answer(d) if callable(self.answer) else self.answer)
                for d in deliveries]


class WorkerKilled(BaseException):
    pass


@pytest.fixture
def recorder():
    channel = Recorder("email")
    previous = register_channel(channel)
    yield channel
    register_channel(previous)


SEQUENCE = itertools.count()


def subscribers(n, topic, **fields):
    made = []
    for _index in range(n):
        subscription = Subscription.objects.create(
            email=f"person{next(SEQUENCE)}@example.jp", via_email=True, **fields)
        subscription.topics.add(topic)
        made.append(subscription)
    return made


# --- the contract ----------------------------------------------------------------------------

def test_reference_topics_are_loaded(topics):
    assert {"disaster", "childcare", "events"} <= set(topics)
    areas = {key for key in topics if key.startswith("area:")}
    assert areas == {"area:shiba", "area:azabu", "area:akasaka", "area:takanawa",
                     "area:shibaura-konan"} or len(areas) == 5
    assert topics["area:shiba"].area_code == "shiba"
    assert topics["disaster"].name_in("en") == "Disaster information"


def test_topic_ensure_is_idempotent_and_updates(minato):
    first = services.topic_ensure(key="shelter:S1", names={"ja": "芝小学校"}, kind="shelter")
    again = services.topic_ensure(key="shelter:S1", names={"ja": "芝小学校", "en": "Shiba ES"},
                                  kind="shelter", area_code="shiba")
    assert first.pk == again.pk and Topic.objects.filter(key="shelter:S1").count() == 1
    again.refresh_from_db()
    assert again.names == {"ja": "芝小学校", "en": "Shiba ES"} and again.area_code == "shiba"


@pytest.mark.parametrize(("key", "names", "kind"), [
    ("", {"ja": "x"}, "general"), ("k", {"en": "only English"}, "general"),
    ("k", {"ja": "x"}, "unknown"), ("x" * 101, {"ja": "x"}, "general")])
def test_topic_ensure_refuses_bad_input(minato, key, names, kind):
    before = Topic.objects.count()
    with pytest.raises(CityhallError):
        services.topic_ensure(key=key, names=names, kind=kind)
    assert Topic.objects.count() == before


def test_publish_stores_then_fans_out_once(topics, recorder, django_capture_on_commit_callbacks):
    people = subscribers(5, topics["disaster"])
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_publish(topic_keys=["disaster"], texts=TEXTS,
                                           dedupe_key="alert:1", source="disaster.alert")
    assert sorted(s for _m, s in recorder.handed) == sorted(p.pk for p in people)
    assert set(Delivery.objects.filter(message=message).values_list("status", flat=True)) == {
        "sent"}
    message.refresh_from_db()
    assert message.fanout_state == Message.FanOut.DONE
    # The same dedupe key returns the stored message and sends nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.message_publish(topic_keys=["disaster"], texts=TEXTS,
                                         dedupe_key="alert:1")
    assert again.pk == message.pk and len(recorder.handed) == 5
    assert Message.objects.filter(dedupe_key="alert:1").count() == 1


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"topic_keys": ["no-such-topic"]}, "unknown_topic"),
    ({"topic_keys": ["disaster", "nope"]}, "unknown_topic"),
    ({"topic_keys": []}, "invalid_message"),
    ({"texts": {"en": {"subject": "a", "body": "b"}}}, "invalid_message"),
    ({"texts": {"ja": {"subject": "a", "body": ""}}}, "invalid_message"),
    ({"texts": {"fr": {"subject": "a", "body": "b"}, **TEXTS}}, "invalid_message"),
    ({"dedupe_key": ""}, "invalid_message"),
    ({"url": "javascript:alert(1)"}, "invalid_message"),
])
def test_publish_refuses_bad_input_and_stores_nothing(topics, kwargs, code):
    arguments = {"topic_keys": ["disaster"], "texts": TEXTS, "dedupe_key": "k", **kwargs}
    with pytest.raises(CityhallError) as caught:
        services.message_publish(**arguments)
    assert caught.value.code == code
    assert not Message.objects.exists()


def test_a_recipient_gets_their_language_else_japanese(topics, settings):
    english = Subscription.objects.create(email="a@example.jp", via_email=True, language="en")
    korean = Subscription.objects.create(email="b@example.jp", via_email=True, language="ko")
    easy = Subscription.objects.create(email="c@example.jp", via_email=True, language="ja",
                                       easy_japanese=True, plain_text=True)
    for subscription in (english, korean, easy):
        subscription.topics.add(topics["disaster"])
    texts = {**TEXTS, "ja-easy": {"subject": "にげてください", "body": "しばに いる ひとは にげて"}}
    message = services.message_publish(topic_keys=["disaster"], texts=texts, dedupe_key="k2",
                                       url="/alerts/x")
    message_fan_out.call(message.pk)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["a@example.jp"].subject == "Evacuation order"
    assert "To change what you receive" in by_address["a@example.jp"].body
    assert korean.token in by_address["b@example.jp"].body  # Japanese text, settings link
    assert by_address["b@example.jp"].subject == "避難指示"
    assert by_address["c@example.jp"].subject == "にげてください"
    assert by_address["c@example.jp"].alternatives == []  # plain text only
    assert settings.PORTAL_URL + "/alerts/x" in by_address["a@example.jp"].body
    assert by_address["a@example.jp"].extra_headers["List-Unsubscribe"].endswith(
        f"/notifications/s/{english.token}/>")


# --- exactly once ----------------------------------------------------------------------------

def test_killed_sender_rerun_sends_each_recipient_once(topics, recorder, settings):
    settings.NOTIFICATIONS_SEND_WORKERS = 1
    people = subscribers(10, topics["disaster"])
    recorder.die_after_batches = 2  # killed after handing its 2nd batch, before recording
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="k3")
    # The sender task dies (the task backend records it as failed).
    message_fan_out.call(message.pk)
    assert len(recorder.handed) == 6
    # The task runs again (the worker's task was handed back to the queue).
    message_fan_out.call(message.pk)
    services.deliveries_send(message_id=message.pk, channel_code="email")
    handed = [s for _m, s in recorder.handed]
    assert sorted(handed) == sorted(p.pk for p in people)  # nobody twice, nobody missed
    stuck = Delivery.objects.filter(message=message, status="sending")
    assert stuck.count() == 3
    # Later, housekeeping settles the interrupted batch without sending it again.
    result = services.deliveries_recover_stale(older_than_seconds=0)
    assert result["failed"] == 3 and result["requeued"] == 0
    services.deliveries_send(message_id=message.pk, channel_code="email")
    assert len(recorder.handed) == 10
    assert Delivery.objects.filter(message=message).count() == 10


def test_killed_expansion_resumes_without_duplicates(topics, recorder, monkeypatch):
    people = subscribers(7, topics["disaster"])
    other = subscribers(1, topics["events"])
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="k4")
    original = Delivery.objects.bulk_create
    calls = []

    def dying(rows, **kwargs):
        calls.append(len(rows))
        if len(calls) == 2:
            raise WorkerKilled
        return original(rows, **kwargs)

    monkeypatch.setattr(Delivery.objects, "bulk_create", dying)
    with pytest.raises(WorkerKilled):
        services.message_expand(message_id=message.pk, batch_size=3)
    monkeypatch.setattr(Delivery.objects, "bulk_create", original)
    message.refresh_from_db()
    assert message.fanout_cursor == people[2].pk and message.fanout_state == "expanding"
    message_fan_out.call(message.pk)
    message_fan_out.call(message.pk)  # and once more: nothing new
    assert sorted(s for _m, s in recorder.handed) == sorted(p.pk for p in people)
    assert not Delivery.objects.filter(subscription=other[0]).exists()


def test_the_database_refuses_a_second_delivery_on_a_channel(topics):
    from django.db import IntegrityError, transaction

    subscription = subscribers(1, topics["disaster"])[0]
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="k5")
    Delivery.objects.create(message=message, subscription=subscription, channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(message=message, subscription=subscription, channel="email")


# --- quiet hours, retries -----------------------------------------------------------------------

def test_quiet_hours_defer_normal_messages_not_urgent_ones(topics, recorder):
    now = timezone.localtime()
    start = (now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    sleeper = subscribers(1, topics["disaster"], quiet_start=start, quiet_end=end)[0]
    normal = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="q1")
    message_fan_out.call(normal.pk)
    assert recorder.handed == []
    row = Delivery.objects.get(message=normal, subscription=sleeper)
    assert row.status == "queued" and row.not_before > timezone.now()
    urgent = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="q2",
                                      urgent=True)
    message_fan_out.call(urgent.pk)
    assert recorder.handed == [(urgent.pk, sleeper.pk)]


def test_quiet_hours_over_midnight():
    subscription = Subscription(quiet_start=datetime.time(22), quiet_end=datetime.time(7))
    tokyo = timezone.get_current_timezone()
    late = datetime.datetime(2031, 6, 2, 23, 30, tzinfo=tokyo)
    early = datetime.datetime(2031, 6, 3, 6, 0, tzinfo=tokyo)
    noon = datetime.datetime(2031, 6, 3, 12, 0, tzinfo=tokyo)
    assert services.quiet_until(subscription, late) == datetime.datetime(
        2031, 6, 3, 7, 0, tzinfo=tokyo)
    assert services.quiet_until(subscription, early) == datetime.datetime(
        2031, 6, 3, 7, 0, tzinfo=tokyo)
    assert services.quiet_until(subscription, noon) is None


def test_transient_errors_are_retried_with_backoff_then_fail(topics, recorder, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS = 30
    recorder.answer = RETRY
    subscribers(1, topics["disaster"])
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key="r1")
    services.message_expand(message_id=message.pk)
    delays = []
    for _attempt in range(3):
        started = timezone.now()
        services.deliveries_send(message_id=message.pk, channel_code="email")
        row = Delivery.objects.get(message=message)
        if row.status == "queued":
            delays.append(round((row.not_before - started).total_seconds()))
            # Not due yet: a run now sends nothing.
            services.deliveries_send(message_id=message.pk, channel_code="email")
            Delivery.objects.filter(pk=row.pk).update(not_before=timezone.now())
    assert delays == [30, 60]
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 3
    assert len(recorder.handed) == 3


def test_rate_limit_bucket(settings):
    from cityhall.notifications import ratelimit

    settings.NOTIFICATIONS_RATE_LIMITS = {"line": 2}
    assert [ratelimit.take("line", now=1000) for _ in range(3)] == [True, True, False]
    assert ratelimit.take("line", now=1001) is True  # a new second, a full bucket
    assert ratelimit.take("webpush", now=1000) is True  # no limit configured
    clock = [2000.5]

    def sleep(seconds):
        clock[0] += seconds

    settings.NOTIFICATIONS_RATE_LIMITS = {"email": 1}
    ratelimit.take("email", now=clock[0])
    assert ratelimit.acquire("email", sleep=sleep, clock=lambda: clock[0],
                             max_wait_seconds=0.0) is False
    assert ratelimit.acquire("email", sleep=sleep, clock=lambda: clock[0],
                             max_wait_seconds=5) is True
    assert clock[0] > 2001


# --- core.notify ------------------------------------------------------------------------------

def test_core_notices_go_to_inbox_and_email_once(hanako):
    from cityhall.core.notify import notify_user

    for _run in range(2):  # the calling task runs twice after a crash
        notify_user(user=hanako.user, topic="procedures.application_status",
                    key="procedures.application_event:42", subject="申請を受け付けました",
                    body="受付番号 A-1", url="https://example.jp/a")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "申請を受け付けました"
    message = Message.objects.get(dedupe_key="notice:procedures.application_event:42")
    rows = dict(Delivery.objects.filter(message=message).values_list("channel", "status"))
    assert rows == {"inbox": "sent", "email": "sent"}
    assert message.recipient == hanako.user


def test_the_engine_is_the_registered_notice_sender():
    from cityhall.core.notify import registered_notice_sender

    assert registered_notice_sender() is services.notice_deliver
    assert get_channel("line").code == "line"
