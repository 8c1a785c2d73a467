"""Dependable background work: retries with back-off, the final failure kept for staff, retry
from the back office, and tasks of a dead worker handed back to the queue."""

import datetime

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from cityhall.core.background import recover_abandoned_tasks, task_failure_retry, worker_heartbeat
from cityhall.core.models import AuditEvent, TaskFailure, WorkerHeartbeat
from cityhall.core.tests import tasks_for_tests
from cityhall.core.tests.tasks_for_tests import calls, flaky, hopeless

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_task_backend(settings, monkeypatch):
    settings.TASK_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    # The worker checks for stale connections between tasks; inside a test's transaction
    # that would close the connection holding the test's data.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker(worker_id="cityhall:test"):
    worker = db_worker.Worker(queue_names=["*"], interval=0, batch=True,
                              backend_name="default", startup_delay=False, max_tasks=50,
                              worker_id=worker_id, excluded_queue_names=[])
    worker.run()
    return worker


def results(task):
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


def test_task_module_path_is_the_importable_name():
    assert flaky.module_path == f"{tasks_for_tests.__name__}.flaky"


def test_task_succeeds_after_retries():
    flaky.enqueue("twice", 2)
    run_worker()
    assert calls("twice") == 3
    rows = results(flaky)
    assert len(rows) == 3
    assert [row.status for row in rows] == [TaskResultStatus.SUCCESSFUL] * 3
    assert [row.args_kwargs for row in rows] == [
        {"args": ["twice", 2], "kwargs": {}},
        {"args": ["twice", 2], "kwargs": {"_attempt": 2}},
        {"args": ["twice", 2], "kwargs": {"_attempt": 3}},
    ]
    assert [row.return_value for row in rows] == [
        {"retried": True, "attempt": 1}, {"retried": True, "attempt": 2}, {"calls": 3}]
    assert all(row.worker_ids == ["cityhall:test"] for row in rows)
    assert not TaskFailure.objects.exists()


def test_task_that_succeeds_at_once_runs_once():
    flaky.enqueue("once", 0)
    run_worker()
    assert calls("once") == 1
    assert [row.status for row in results(flaky)] == [TaskResultStatus.SUCCESSFUL]


def test_task_failing_every_attempt_leaves_one_failure_with_three_attempts():
    flaky.enqueue("always", 99)
    run_worker()
    assert calls("always") == 3
    assert [row.status for row in results(flaky)] == [
        TaskResultStatus.SUCCESSFUL, TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    failure = TaskFailure.objects.get()
    assert failure.attempts == 3
    assert failure.task_path == flaky.module_path
    assert failure.arguments == {"args": ["always", 99], "kwargs": {}}
    assert failure.error_class == "builtins.RuntimeError"
    assert failure.error_message == "failure number 3"
    assert failure.resolved_at is None


def test_permanent_error_is_not_retried():
    hopeless.enqueue("gone")
    run_worker()
    assert calls("gone") == 1
    assert [row.status for row in results(hopeless)] == [TaskResultStatus.FAILED]
    failure = TaskFailure.objects.get()
    assert failure.attempts == 1
    assert failure.error_class == "cityhall.core.background.PermanentTaskError"


def test_failed_task_is_retried_from_the_back_office(django_capture_on_commit_callbacks,
                                                     system_admin):
    flaky.enqueue("later", 3)
    run_worker()
    failure = TaskFailure.objects.get()
    before = len(results(flaky))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task_failure_retry(failure=failure, actor=system_admin)
    # Nothing is enqueued before the transaction commits.
    assert len(results(flaky)) == before
    assert len(callbacks) == 1
    callbacks[0]()

    rows = results(flaky)
    assert len(rows) == before + 1
    assert rows[-1].status == TaskResultStatus.READY
    assert rows[-1].args_kwargs == {"args": ["later", 3], "kwargs": {}}
    failure.refresh_from_db()
    assert failure.resolved_at is not None
    event = AuditEvent.objects.get(action="task.retry")
    assert event.actor_id == system_admin.pk
    assert event.target_type == "core.taskfailure"
    assert event.target_id == str(failure.pk)
    assert event.details == {"task": flaky.module_path}

    run_worker()
    assert results(flaky)[-1].status == TaskResultStatus.SUCCESSFUL
    assert results(flaky)[-1].return_value == {"calls": 4}
    assert TaskFailure.objects.count() == 1


def test_retry_action_in_the_admin(client, django_capture_on_commit_callbacks, system_admin):
    flaky.enqueue("admin", 99)
    run_worker()
    failure = TaskFailure.objects.get()
    client.force_login(system_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/core/taskfailure/", {
            "action": "retry", "_selected_action": [str(failure.pk)]})
    assert response.status_code == 302
    failure.refresh_from_db()
    assert failure.resolved_at is not None
    assert results(flaky)[-1].status == TaskResultStatus.READY
    assert AuditEvent.objects.filter(action="task.retry").count() == 1


def make_running(worker_id, key):
    result = flaky.enqueue(key, 0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=[worker_id])
    return str(result.id)


def test_recover_hands_back_tasks_of_dead_cityhall_workers_only(settings):
    now = timezone.now()
    dead_after = datetime.timedelta(seconds=settings.TASK_WORKER_DEAD_AFTER_SECONDS)
    WorkerHeartbeat.objects.create(worker_id="cityhall:stale", hostname="h", pid=1,
                                   last_seen=now - dead_after - datetime.timedelta(seconds=5))
    worker_heartbeat("cityhall:alive")
    silent = make_running("cityhall:never-beat", "a")
    stale = make_running("cityhall:stale", "b")
    alive = make_running("cityhall:alive", "c")
    foreign = make_running("someone-elses-worker", "d")

    assert recover_abandoned_tasks() == 2

    statuses = {str(pk): status for pk, status in DBTaskResult.objects.values_list("id", "status")}
    assert statuses[silent] == TaskResultStatus.READY
    assert statuses[stale] == TaskResultStatus.READY
    assert statuses[alive] == TaskResultStatus.RUNNING
    assert statuses[foreign] == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.get(pk=silent).started_at is None
    assert DBTaskResult.objects.get(pk=alive).started_at is not None
    # Nothing more to hand back the second time.
    assert recover_abandoned_tasks() == 0

    # The recovered tasks run again on a live worker.
    run_worker("cityhall:rescuer")
    assert DBTaskResult.objects.get(pk=silent).status == TaskResultStatus.SUCCESSFUL
    assert DBTaskResult.objects.get(pk=silent).worker_ids == [
        "cityhall:never-beat", "cityhall:rescuer"]
    assert DBTaskResult.objects.get(pk=alive).status == TaskResultStatus.RUNNING


def test_recover_forgets_heartbeats_silent_for_a_day(settings):
    old = timezone.now() - datetime.timedelta(days=2)
    WorkerHeartbeat.objects.create(worker_id="cityhall:ancient", hostname="h", pid=1,
                                   last_seen=old)
    worker_heartbeat("cityhall:alive")
    recover_abandoned_tasks()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == [
        "cityhall:alive"]


def test_worker_heartbeat_updates_last_seen():
    worker_heartbeat("cityhall:beating")
    first = WorkerHeartbeat.objects.get(pk="cityhall:beating").last_seen
    worker_heartbeat("cityhall:beating")
    assert WorkerHeartbeat.objects.get(pk="cityhall:beating").last_seen >= first
    assert WorkerHeartbeat.objects.count() == 1
