"""Background work on Django's tasks API, made dependable.

`durable_task` wraps `django.tasks.task`: a failing task is enqueued again with exponential
back-off until `max_attempts`, and a task that fails on its last attempt leaves a
`TaskFailure` row that staff see (and can retry) in the back office. The same code runs on the
database backend and on RQ.

A worker that is killed mid-task must lose nothing. Workers started by `manage.py run_worker`
write a heartbeat; `recover_abandoned_tasks` hands the tasks of a worker that has been silent
for TASK_WORKER_DEAD_AFTER_SECONDS back to the queue. Tasks are therefore run at least once,
and each task must be idempotent (DESIGN.md, "side effects after commit").
"""

import datetime
import functools
import logging
import os
import socket
import threading
import uuid

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, Task
from django.utils import timezone

from .models import TaskFailure, WorkerHeartbeat

logger = logging.getLogger(__name__)

RETRY_KWARG = "_attempt"


class PermanentTaskError(Exception):
    """Raised by a task when trying again cannot help (bad input, a record that is gone)."""


def durable_task(*, max_attempts: int = 5, backoff_seconds: int = 15,
                 queue_name: str = "default", priority: int = 0):
    """Declare a background task that retries and records its final failure.

    The wrapped function must be idempotent: it may run again after a crash or a retry.
    """

    def decorate(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            attempt = int(kwargs.pop(RETRY_KWARG, 1))
            try:
                return func(*args, **kwargs)
            except PermanentTaskError as exc:
                _record_failure(durable, args, kwargs, attempt, exc)
                raise
            except Exception as exc:
                if attempt >= max_attempts:
                    _record_failure(durable, args, kwargs, attempt, exc)
                    raise
                delay = backoff_seconds * (2 ** (attempt - 1))
                logger.warning("Task %s failed on attempt %s (%s); retrying in %ss",
                               durable.module_path, attempt, type(exc).__name__, delay)
                durable.using(
                    run_after=timezone.now() + datetime.timedelta(seconds=delay)
                ).enqueue(*args, **{**kwargs, RETRY_KWARG: attempt + 1})
                return {"retried": True, "attempt": attempt}

        # Always Django's own Task class (not the configured backend's): the database worker
        # accepts only that one, and django-tasks-rq accepts it too, so a task defined once
        # runs on either backend.
        durable = Task(func=run, priority=priority, queue_name=queue_name,
                       backend=DEFAULT_TASK_BACKEND_ALIAS, takes_context=False)
        return durable

    return decorate


def _record_failure(durable, args, kwargs, attempt, exc):
    logger.error("Task %s failed for good after %s attempt(s): %s", durable.module_path,
                 attempt, type(exc).__name__)
    TaskFailure.objects.create(
        task_path=durable.module_path,
        arguments={"args": list(args), "kwargs": kwargs},
        attempts=attempt,
        error_class=f"{type(exc).__module__}.{type(exc).__qualname__}",
        error_message=str(exc)[:2000],
    )


def enqueue_on_commit(durable, *args, **kwargs):
    """Enqueue after the surrounding transaction commits, so a task never sees data that was
    rolled back and is never lost for data that was committed."""
    transaction.on_commit(lambda: durable.enqueue(*args, **kwargs))


def task_failure_retry(*, failure: TaskFailure, actor) -> None:
    """Enqueue a failed task again with fresh attempts and mark the failure resolved."""
    from django.utils.module_loading import import_string

    from .audit import audit_record

    durable = import_string(failure.task_path)
    with transaction.atomic():
        failure.resolved_at = timezone.now()
        failure.save(update_fields=["resolved_at"])
        audit_record(actor=actor, action="task.retry", target=failure,
                     details={"task": failure.task_path})
        enqueue_on_commit(durable, *failure.arguments.get("args", []),
                          **failure.arguments.get("kwargs", {}))


# --- workers -------------------------------------------------------------------------------

WORKER_ID_PREFIX = "cityhall:"


def new_worker_id() -> str:
    return f"{WORKER_ID_PREFIX}{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def worker_heartbeat(worker_id: str) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.create(worker_id=worker_id, hostname=socket.gethostname()[:200],
                                       pid=os.getpid(), started_at=now, last_seen=now)


def live_workers():
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.TASK_WORKER_DEAD_AFTER_SECONDS)
    return WorkerHeartbeat.objects.filter(last_seen__gte=cutoff)


def recover_abandoned_tasks() -> int:
    """Put back on the queue the database-backend tasks whose worker stopped beating, and
    return how many were handed back."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(seconds=settings.TASK_WORKER_DEAD_AFTER_SECONDS)
    alive = set(live_workers().values_list("worker_id", flat=True))
    recovered = 0
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status=TaskResultStatus.RUNNING)
        for result in running:
            holder = result.worker_ids[-1] if result.worker_ids else ""
            # Only our own workers beat; a task held by another kind of worker is left alone.
            if not holder.startswith(WORKER_ID_PREFIX) or holder in alive:
                continue
            result.status = TaskResultStatus.READY
            result.started_at = None
            result.save(update_fields=["status", "started_at"])
            logger.warning("Handed task %s back to the queue: worker %s stopped", result.id,
                           holder)
            recovered += 1
    WorkerHeartbeat.objects.filter(last_seen__lt=cutoff - datetime.timedelta(days=1)).delete()
    return recovered


class HeartbeatThread(threading.Thread):
    """Beats for the worker while it runs tasks, and recovers other workers' abandoned tasks."""

    def __init__(self, worker_id: str, interval: float):
        super().__init__(name="cityhall-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopped = threading.Event()

    def beat(self):
        close_old_connections()
        worker_heartbeat(self.worker_id)
        if settings.TASK_BACKEND == "database":
            recover_abandoned_tasks()
        elif settings.TASK_BACKEND == "rq":
            requeue_abandoned_rq_jobs(settings.TASK_QUEUES)
        from .periodic import enqueue_due_periodic_tasks

        enqueue_due_periodic_tasks()

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                self.beat()
            except Exception:
                logger.exception("Worker heartbeat failed; will try again")

    def stop(self):
        self.stopped.set()
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


ABANDONED_MARK = "AbandonedJobError"
MAX_ABANDON_RECOVERIES = 3


def requeue_abandoned_rq_jobs(queue_names) -> int:
    """Requeue RQ jobs that RQ moved to the failed registry because their worker died.

    RQ marks such jobs with AbandonedJobError; a job that crashed its worker more than
    MAX_ABANDON_RECOVERIES times stays failed, so a poison job cannot loop forever.
    """
    import django_rq
    from django_tasks_rq import Job
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    requeued = 0
    for name in queue_names:
        queue = django_rq.get_queue(name, job_class=Job)
        # Moves jobs whose worker stopped beating to the failed registry, marked abandoned.
        StartedJobRegistry(queue=queue, job_class=Job).cleanup()
        failed = FailedJobRegistry(queue=queue, job_class=Job)
        for job_id in failed.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is None:
                continue
            reason = job.latest_result().exc_string if job.latest_result() else ""
            if ABANDONED_MARK not in (reason or ""):
                continue
            recoveries = int(job.meta.get("cityhall_abandon_recoveries", 0))
            if recoveries >= MAX_ABANDON_RECOVERIES:
                continue
            job.meta["cityhall_abandon_recoveries"] = recoveries + 1
            job.save_meta()
            failed.requeue(job_id)
            logger.warning("Requeued job %s abandoned by a dead worker", job_id)
            requeued += 1
    return requeued
