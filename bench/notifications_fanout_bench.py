"""Fan-out of one alert to many subscribers (取組12, 17), beside a same-run baseline.

    uv run python bench/notifications_fanout_bench.py                # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/notifications_fanout_bench.py            # PostgreSQL (flushed)

BENCH_SUBSCRIBERS subscribers (default 300,000) of one topic each receive one urgent
message on one channel: a fake, in-process channel that accepts every delivery and does
nothing (so the figure is the engine's own cost, not a provider's). Timed from
`message_publish` until every delivery has been handed to the channel and recorded as sent:
(1) `message_expand` inserts the Delivery rows in batches of NOTIFICATIONS_FANOUT_BATCH
(bulk_create, ignore_conflicts); (2) BENCH_WORKERS worker processes (default: the machine's
cores) run `deliveries_send` side by side: claim a batch (conditional UPDATE queued ->
sending, committed), hand it to the channel, record the outcome.

Baseline in the same run: inserting the same number of rows into the same table in one go
(COPY on PostgreSQL, bulk_create in batches of 1,000 on SQLite): the floor of "write one row
per recipient". Printed: both times, rows per second and the ratio. At the end, each
subscriber is checked to have exactly one delivery, sent.
"""

import multiprocessing
import os
import time

from benchsetup import setup_django

os.environ["TASK_BACKEND"] = "database"  # enqueued tasks are only stored, never run here
setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "300000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))


def noop_channel():
    from cityhall.notifications.channels import SENT, Channel, Outcome

    class Noop(Channel):
        code = "email"
        batch_size = BATCH

        def send(self, message, deliveries):
            return [Outcome(d.pk, SENT) for d in deliveries]

    return Noop()


def make_subscribers(topic):
    from cityhall.notifications.models import Subscription

    Through = Subscription.topics.through
    started = time.perf_counter()
    step = 10000
    for start in range(0, SUBSCRIBERS, step):
        rows = [Subscription(email=f"bench{n}@example.invalid", via_email=True,
                             token=f"bench-{n}")
                for n in range(start, min(SUBSCRIBERS, start + step))]
        with transaction.atomic():
            Subscription.objects.bulk_create(rows, batch_size=2000)
    ids = list(Subscription.objects.filter(token__startswith="bench-")
               .values_list("pk", flat=True))
    for start in range(0, len(ids), step):
        with transaction.atomic():
            Through.objects.bulk_create(
                [Through(subscription_id=pk, topic_id=topic.pk)
                 for pk in ids[start:start + step]], batch_size=2000)
    return time.perf_counter() - started


def send_worker(message_id):
    from cityhall.notifications.channels import register_channel
    from cityhall.notifications.services import deliveries_send

    connections.close_all()  # a fresh connection in this process
    register_channel(noop_channel())
    settings.NOTIFICATIONS_RATE_LIMITS = {}
    return deliveries_send(message_id=message_id, channel_code="email")["handed"]


def baseline(message):
    """Insert SUBSCRIBERS delivery rows for another message, the cheapest way."""
    from django.utils import timezone

    from cityhall.notifications.models import Delivery, Subscription

    ids = list(Subscription.objects.filter(token__startswith="bench-")
               .values_list("pk", flat=True))
    now = timezone.now()
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            columns = ("message_id, subscription_id, channel, status, attempts, batch_key, "
                       "last_error, provider_id, created_at")
            with cursor.copy(f"COPY notifications_delivery ({columns}) FROM STDIN") as copy:
                for pk in ids:
                    copy.write_row((message.pk, pk, "email", "queued", 0, "", "", "", now))
    else:
        for start in range(0, len(ids), 10000):
            with transaction.atomic():
                Delivery.objects.bulk_create(
                    [Delivery(message_id=message.pk, subscription_id=pk, channel="email")
                     for pk in ids[start:start + 10000]], batch_size=1000)
    return time.perf_counter() - started


def main():
    from cityhall.notifications import services
    from cityhall.notifications.channels import register_channel
    from cityhall.notifications.models import Delivery, Message

    settings.NOTIFICATIONS_RATE_LIMITS = {}
    settings.NOTIFICATIONS_FANOUT_BATCH = BATCH
    register_channel(noop_channel())
    topic = services.topic_ensure(key="bench", names={"ja": "ベンチ"}, kind="general")
    setup_seconds = make_subscribers(topic)
    print(f"database: {connection.vendor}; subscribers: {SUBSCRIBERS:,} "
          f"(made in {setup_seconds:.1f} s); send workers: {WORKERS}; batch: {BATCH}")

    texts = {"ja": {"subject": "避難指示", "body": "ベンチマークの警報です。"}}
    started = time.perf_counter()
    message = services.message_publish(topic_keys=["bench"], texts=texts, urgent=True,
                                       dedupe_key="bench:alert", source="bench")
    inserted = services.message_expand(message_id=message.pk)
    expanded = time.perf_counter()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS) as pool:
        handed = sum(pool.map(send_worker, [message.pk] * WORKERS))
    finished = time.perf_counter()

    total = finished - started
    print(f"fan-out: {inserted:,} deliveries inserted in {expanded - started:.1f} s, "
          f"handed to the channel by {WORKERS} workers in {finished - expanded:.1f} s; "
          f"total {total:.1f} s = {SUBSCRIBERS / total:,.0f} recipients/s")

    sent = Delivery.objects.filter(message=message, status="sent").count()
    per_subscriber = Delivery.objects.filter(message=message).values("subscription_id") \
        .distinct().count()
    assert handed == sent == per_subscriber == SUBSCRIBERS, (handed, sent, per_subscriber)
    print(f"check: {sent:,} sent, one per subscriber, none twice")

    other = Message.objects.create(texts=texts, dedupe_key="bench:baseline")
    base = baseline(other)
    how = "COPY" if connection.vendor == "postgresql" else "bulk_create"
    print(f"baseline: {SUBSCRIBERS:,} rows inserted with {how} in {base:.1f} s = "
          f"{SUBSCRIBERS / base:,.0f} rows/s")
    print(f"ratio: fan-out takes {total / base:.1f}x the time of inserting the rows")


if __name__ == "__main__":
    main()
