"""Background tasks used by test_tasks.py. They live at module level because a task is
found again by its dotted path when a worker runs it."""

from django.core.cache import cache

from cityhall.core.background import PermanentTaskError, durable_task


def calls(key: str) -> int:
    return cache.get(f"tasks_for_tests:{key}", 0)


@durable_task(max_attempts=3, backoff_seconds=0)
def flaky(key: str, failures: int):
    """Fail the first `failures` calls for `key`, then succeed."""
    cache.add(f"tasks_for_tests:{key}", 0, timeout=None)
    count = cache.incr(f"tasks_for_tests:{key}")
    if count <= failures:
        raise RuntimeError(f"failure number {count}")
    return {"calls": count}


@durable_task(max_attempts=3, backoff_seconds=0)
def hopeless(key: str):
    """Fail for a reason that a retry cannot help."""
    cache.add(f"tasks_for_tests:{key}", 0, timeout=None)
    cache.incr(f"tasks_for_tests:{key}")
    raise PermanentTaskError("the record is gone")


@durable_task(max_attempts=1)
def tick():
    """A periodic task of test_periodic.py; the tests count its enqueued runs."""
    return "tick"
