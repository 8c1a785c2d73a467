"""Tasks that run every few minutes (reminders, releasing no-shows, making slots), without a
separate scheduler process to deploy.

An app registers a durable task and its period in `AppConfig.ready()`:
`register_periodic_task(housekeeping, every_seconds=60)`. Every worker started by
`manage.py run_worker` calls `enqueue_due_periodic_tasks()` on each heartbeat; a due period is
claimed with one conditional UPDATE of its `PeriodicTaskRun` row, so with many workers on many
machines each period is enqueued once. The task itself must be idempotent, as every task is.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import PeriodicTaskRun

logger = logging.getLogger(__name__)

_periodic: dict[str, tuple[object, int]] = {}


def register_periodic_task(task, *, every_seconds: int) -> None:
    _periodic[task.module_path] = (task, every_seconds)


def registered_periodic_tasks() -> dict[str, tuple[object, int]]:
    return dict(_periodic)


def _claim(name: str, every_seconds: int, now) -> bool:
    due_before = now - datetime.timedelta(seconds=every_seconds)
    if PeriodicTaskRun.objects.filter(name=name, last_enqueued_at__lte=due_before).update(
            last_enqueued_at=now):
        return True
    if PeriodicTaskRun.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            PeriodicTaskRun.objects.create(name=name, last_enqueued_at=now)
    except IntegrityError:  # another worker created it first: its run stands
        return False
    return True


def enqueue_due_periodic_tasks(now=None) -> list[str]:
    """Enqueue each registered periodic task whose period has passed; returns their names."""
    now = now or timezone.now()
    enqueued = []
    for name, (task, every_seconds) in sorted(_periodic.items()):
        try:
            with transaction.atomic():
                if _claim(name, every_seconds, now):
                    task.enqueue()
                    enqueued.append(name)
        except Exception:
            logger.exception("Could not enqueue the periodic task %s; will try again", name)
    return enqueued
