"""Background work of the notifications engine, on the "notifications" queue (取組12, 17).

`message_fan_out` expands a message into deliveries and starts the senders: one task per
channel and worker slot (NOTIFICATIONS_SEND_WORKERS), which claim batches side by side.
Deferred deliveries (quiet hours, back-off after a transient error) are picked up by a send
task scheduled for when they fall due. Every task is idempotent (claims, unique rows).
"""

import logging

from django.conf import settings
from django.utils import timezone

from cityhall.core.background import durable_task

logger = logging.getLogger(__name__)

QUEUE = "notifications"


def _senders(message_id: int) -> None:
    from .models import Delivery

    channels = set(Delivery.objects.filter(message_id=message_id, status="queued")
                   .values_list("channel", flat=True).distinct())
    for channel in sorted(channels):
        for worker in range(max(1, settings.NOTIFICATIONS_SEND_WORKERS)):
            deliveries_send_task.enqueue(message_id, channel, worker)


@durable_task(queue_name=QUEUE, max_attempts=8, backoff_seconds=10)
def message_fan_out(message_id: int) -> int:
    from . import services

    inserted = services.message_expand(message_id=message_id)
    _senders(message_id)
    return inserted


@durable_task(queue_name=QUEUE, max_attempts=8, backoff_seconds=10)
def deliveries_send_task(message_id: int, channel: str, worker: int = 0) -> dict:
    from . import services

    counts = services.deliveries_send(message_id=message_id, channel_code=channel)
    due = counts.pop("next_due")
    # One follow-up per channel (worker 0 schedules it) for deliveries deferred by quiet
    # hours, back-off or the rate limit.
    if due is not None and worker == 0:
        enqueue_send_later(message_id, channel, due)
    counts["next_due"] = due.isoformat() if due else None
    return counts


def enqueue_send_later(message_id: int, channel: str, due) -> None:
    """Schedule a send task for `due`. A backend that cannot defer (the immediate one in
    tests) gets nothing: housekeeping restarts the senders of messages still open."""
    if not deliveries_send_task.get_backend().supports_defer:
        logger.info("Task backend cannot defer; message %s waits for housekeeping", message_id)
        return
    deliveries_send_task.using(run_after=max(due, timezone.now())).enqueue(
        message_id, channel, 0)


@durable_task(queue_name=QUEUE, max_attempts=3, backoff_seconds=30)
def notifications_housekeeping() -> dict:
    """Every minute: settle deliveries a killed worker left in "sending" and restart the
    senders of their messages."""
    from . import services

    result = services.deliveries_recover_stale()
    # Also messages whose deferred deliveries (quiet hours, back-off) fell due but whose
    # scheduled send task was lost: another sender is harmless, claims keep it to one send.
    due = set(services.messages_with_due_deliveries())
    for message_id in sorted(set(result["messages"]) | due):
        _senders(message_id)
    return {key: value for key, value in result.items() if key != "messages"}
