"""Real worker processes: a worker killed mid-task loses nothing (database backend and RQ)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from cityhall.core.models import AuditEvent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)


def database_url_for_subprocess() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(extra_env=None):
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "TASK_WORKER_HEARTBEAT_SECONDS": "1",
        "TASK_WORKER_DEAD_AFTER_SECONDS": "3",
        "PYTHONPATH": str(ROOT / "src"),
        **(extra_env or {}),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_worker", "--interval", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (RQ's work horse leaves its parent's
    process group, so killing the group is not enough)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_machine(process):
    """SIGKILL the worker and everything it started, as when its machine dies."""
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def wait_for(condition, *, seconds: float, what: str):
    # A generous bound so that a hung worker fails the test instead of hanging CI; it is not
    # a speed assertion.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.stdout.read().decode(errors="replace") if process.stdout else ""


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                      "QUEUES": settings.TASK_QUEUES}},
                   TASK_BACKEND="database")
def test_database_worker_killed_mid_task_loses_nothing():
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from cityhall.core.tests.worker_tasks import slow_marker

    result = slow_marker.enqueue("crash-1", 4)
    first = start_worker()
    try:
        wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status
                 == TaskResultStatus.RUNNING, seconds=60, what="the first worker to claim")
    finally:
        kill_machine(first)  # dies mid-task, without cleaning up
    assert not AuditEvent.objects.filter(action="test.slow_marker").exists()
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING

    second = start_worker()
    try:
        wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status
                 == TaskResultStatus.SUCCESSFUL, seconds=90, what="the second worker to finish")
    finally:
        output = stop(second)
    row = DBTaskResult.objects.get(pk=result.id)
    assert len(row.worker_ids) == 2, output
    assert row.worker_ids[0] != row.worker_ids[1]
    assert AuditEvent.objects.filter(action="test.slow_marker", target_id="crash-1").count() == 1
