"""Tasks used by the worker tests: they record each run in the database so that a test can
see what happened in another process."""

import time

from cityhall.core.background import durable_task


@durable_task(max_attempts=3, backoff_seconds=0)
def slow_marker(marker: str, seconds: float) -> str:
    """Sleeps (so a test can kill the worker mid-task), then leaves a mark in the audit log."""
    from cityhall.core.audit import audit_record

    time.sleep(seconds)
    audit_record(actor=None, action="test.slow_marker", target_type="test", target_id=marker)
    return marker
