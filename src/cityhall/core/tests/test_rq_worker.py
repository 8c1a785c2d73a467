"""The RQ backend against the real Redis: tasks run on `run_worker`, and a job abandoned by a
worker that was killed mid-task is handed back to its queue and run."""

import os
import time

import pytest
from django.conf import settings
from django.test import override_settings

from cityhall.core.models import AuditEvent
from cityhall.core.tests.test_worker_processes import kill_machine, start_worker, stop, wait_for

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

RQ_SETTINGS = {
    "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend",
                          "QUEUES": settings.TASK_QUEUES}},
    "RQ_QUEUES": {name: {"URL": REDIS_TEST_URL, "DEFAULT_TIMEOUT": 600}
                  for name in settings.TASK_QUEUES},
    "TASK_BACKEND": "rq",
}


@pytest.fixture
def redis_queue():
    import redis

    connection = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}")
    connection.flushdb()
    with override_settings(**RQ_SETTINGS):
        yield connection
    connection.flushdb()


def rq_worker():
    return start_worker({"REDIS_URL": REDIS_TEST_URL})


def test_rq_worker_runs_a_task(redis_queue):
    from cityhall.core.tests.worker_tasks import slow_marker

    slow_marker.enqueue("rq-ok", 0)
    worker = rq_worker()
    try:
        wait_for(lambda: AuditEvent.objects.filter(target_id="rq-ok").exists(), seconds=90,
                 what="the RQ worker to run the task")
    finally:
        stop(worker)
    assert AuditEvent.objects.filter(action="test.slow_marker", target_id="rq-ok").count() == 1


def test_rq_job_abandoned_by_a_killed_worker_is_requeued_and_run(redis_queue):
    import django_rq
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    from cityhall.core.background import requeue_abandoned_rq_jobs
    from cityhall.core.tests.worker_tasks import slow_marker

    result = slow_marker.enqueue("rq-crash", 5)
    queue = django_rq.get_queue("default", job_class="django_tasks_rq.Job")
    first = rq_worker()
    try:
        wait_for(lambda: (queue.fetch_job(result.id).get_status() == JobStatus.STARTED),
                 seconds=90, what="the first RQ worker to start the job")
    finally:
        kill_machine(first)
    assert not AuditEvent.objects.filter(target_id="rq-crash").exists()

    # RQ notices a dead worker when the job's heartbeat expires (a minute or more); a
    # timestamp in the future makes it look now, as it would later.
    StartedJobRegistry(queue=queue, job_class=queue.job_class).cleanup(
        timestamp=time.time() + 3600)
    assert queue.fetch_job(result.id).get_status() == JobStatus.FAILED
    assert requeue_abandoned_rq_jobs(["default"]) == 1
    assert queue.fetch_job(result.id).get_status() == JobStatus.QUEUED
    assert requeue_abandoned_rq_jobs(["default"]) == 0  # nothing twice

    second = rq_worker()
    try:
        wait_for(lambda: AuditEvent.objects.filter(target_id="rq-crash").exists(),
                 seconds=90, what="the second RQ worker to run the requeued job")
    finally:
        stop(second)
    assert AuditEvent.objects.filter(action="test.slow_marker", target_id="rq-crash").count() == 1


def test_a_job_that_failed_by_itself_is_not_requeued(redis_queue):
    import django_rq
    from rq.registry import FailedJobRegistry

    from cityhall.core.background import requeue_abandoned_rq_jobs

    queue = django_rq.get_queue("default", job_class="django_tasks_rq.Job")
    job = queue.enqueue("cityhall.core.tests.worker_tasks.no_such_function")
    worker = django_rq.get_worker("default", job_class="django_tasks_rq.Job",
                                  worker_class="rq.worker.SimpleWorker")
    worker.work(burst=True)
    assert job.id in FailedJobRegistry(queue=queue).get_job_ids()
    assert requeue_abandoned_rq_jobs(["default"]) == 0
