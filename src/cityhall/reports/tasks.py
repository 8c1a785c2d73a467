"""Background work of the reports app (取組13): telling followers that a report changed."""

from cityhall.core.background import PermanentTaskError, durable_task


@durable_task(max_attempts=5, backoff_seconds=60, queue_name="default")
def tell_followers(update_id: int) -> str:
    """Tell everyone who follows the report about one public update. Idempotent: the update
    is claimed (`notified_at`) before anyone is told, so a re-run tells nobody twice."""
    from .models import ReportUpdate
    from .services.following import followers_tell

    if not ReportUpdate.objects.filter(pk=update_id).exists():
        raise PermanentTaskError("update no longer exists")
    told = followers_tell(update_id=update_id)
    return f"told {told}"


@durable_task(max_attempts=3, backoff_seconds=300, queue_name="default")
def reports_pending_photos_purge() -> str:
    """Delete photos kept for a report form that was never sent (older than a day)."""
    from .services.public import pending_photos_purge

    return f"removed {pending_photos_purge()}"
