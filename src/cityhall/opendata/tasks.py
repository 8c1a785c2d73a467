"""Background work of the open data catalogue (取組27): keeping live datasets current."""

from cityhall.core.background import durable_task


@durable_task(max_attempts=3, backoff_seconds=60, queue_name="default")
def opendata_live_refresh() -> str:
    """Regenerate every live dataset whose source changed. Idempotent: a dataset whose
    version has not moved is left alone."""
    from .live import live_datasets_refresh_all

    return f"refreshed {live_datasets_refresh_all()}"
