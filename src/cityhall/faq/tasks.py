"""Background work of the FAQ (取組6, 8): the question logs are kept for a limited time."""

from cityhall.core.background import durable_task

from . import services

RETENTION_DAYS = 180


@durable_task(queue_name="default", max_attempts=3, backoff_seconds=60)
def faq_housekeeping() -> None:
    """Delete questions older than the retention period (idempotent, cheap when none)."""
    services.question_logs_purge(older_than_days=RETENTION_DAYS)
