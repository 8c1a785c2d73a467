"""Periodic tasks run by the workers (core.periodic): each period is enqueued once, however
many workers beat at the same moment; not before the period has passed; again after it; and
a task that cannot be enqueued neither stops the others nor loses its turn."""

import datetime
import logging
import threading

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from cityhall.core import periodic
from cityhall.core.background import HeartbeatThread
from cityhall.core.models import PeriodicTaskRun
from cityhall.core.periodic import enqueue_due_periodic_tasks, register_periodic_task
from cityhall.core.tests.tasks_for_tests import tick

T0 = datetime.datetime(2031, 6, 2, 8, 0, tzinfo=datetime.UTC)
EVERY = 60


@pytest.fixture(autouse=True)
def database_task_backend(settings):
    settings.TASK_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": settings.TASK_QUEUES}}


@pytest.fixture
def registry(monkeypatch):
    """An empty registry of periodic tasks for the test; the apps' own come back after."""
    monkeypatch.setattr(periodic, "_periodic", {})
    return periodic._periodic


def enqueued(task=tick) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


def at_once(count: int, func) -> list:
    """Run `func(i)` in `count` threads released together, as `count` workers beating at
    the same moment; each thread has its own connection and closes it."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def body(number):
        try:
            barrier.wait()
            outcomes[number] = func(number)
        except Exception as exc:
            outcomes[number] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_registered_task_is_listed_with_its_period(registry):
    register_periodic_task(tick, every_seconds=EVERY)
    assert periodic.registered_periodic_tasks() == {tick.module_path: (tick, EVERY)}


@pytest.mark.django_db
def test_enqueued_once_per_period(registry):
    register_periodic_task(tick, every_seconds=EVERY)

    assert enqueue_due_periodic_tasks(now=T0) == [tick.module_path]
    assert enqueued() == 1
    assert PeriodicTaskRun.objects.get(name=tick.module_path).last_enqueued_at == T0
    # Not again before the period has passed, however often the workers beat.
    for seconds in (0, 1, 30, EVERY - 1):
        assert enqueue_due_periodic_tasks(now=T0 + datetime.timedelta(seconds=seconds)) == []
    assert enqueued() == 1
    # Due again once the period has passed; the next period counts from this run.
    later = T0 + datetime.timedelta(seconds=EVERY)
    assert enqueue_due_periodic_tasks(now=later) == [tick.module_path]
    assert enqueue_due_periodic_tasks(now=later + datetime.timedelta(seconds=EVERY - 1)) == []
    assert enqueued() == 2
    # A worker that was down for an hour enqueues one run, not sixty.
    assert enqueue_due_periodic_tasks(now=later + datetime.timedelta(hours=1)) == [
        tick.module_path]
    assert enqueued() == 3


@pytest.mark.django_db(transaction=True)
def test_workers_beating_at_the_same_moment_enqueue_once(registry):
    register_periodic_task(tick, every_seconds=EVERY)
    workers = 8

    # The first period: no worker has claimed this task before (they race to create its row).
    first = at_once(workers, lambda n: enqueue_due_periodic_tasks(now=T0))
    assert first.count([tick.module_path]) == 1, first
    assert first.count([]) == workers - 1, first
    assert enqueued() == 1
    # The next period: they race to move the same row on.
    due = T0 + datetime.timedelta(seconds=EVERY)
    second = at_once(workers, lambda n: enqueue_due_periodic_tasks(now=due))
    assert second.count([tick.module_path]) == 1, second
    assert second.count([]) == workers - 1, second
    assert enqueued() == 2
    assert PeriodicTaskRun.objects.get(name=tick.module_path).last_enqueued_at == due


@pytest.mark.django_db(transaction=True)
def test_the_workers_heartbeat_enqueues_due_tasks_once(registry):
    """The real path: HeartbeatThread.beat() of two workers at the same moment."""
    register_periodic_task(tick, every_seconds=EVERY)

    outcomes = at_once(2, lambda n: HeartbeatThread(f"cityhall:test-{n}", 1).beat())

    assert outcomes == [None, None]
    assert enqueued() == 1
    # Beating again straight away enqueues nothing more.
    HeartbeatThread("cityhall:test-0", 1).beat()
    assert enqueued() == 1


class Unqueueable:
    """Stands in for a task whose queue is unreachable (Redis down, say)."""

    module_path = "cityhall.core.tests.a_broken_task"  # sorts before tasks_for_tests.tick

    def __init__(self):
        self.broken = True
        self.enqueued = 0

    def enqueue(self):
        if self.broken:
            raise ConnectionError("the queue is unreachable")
        self.enqueued += 1


@pytest.mark.django_db
def test_a_task_that_cannot_be_enqueued_neither_stops_the_others_nor_loses_its_turn(
        registry, caplog):
    broken = Unqueueable()
    register_periodic_task(broken, every_seconds=EVERY)
    register_periodic_task(tick, every_seconds=EVERY)

    with caplog.at_level(logging.ERROR, logger="cityhall.core.periodic"):
        assert enqueue_due_periodic_tasks(now=T0) == [tick.module_path]
    assert enqueued() == 1
    assert f"Could not enqueue the periodic task {broken.module_path}" in caplog.text
    # Its claim was rolled back with the failed enqueue: the next beat tries again at once,
    # without waiting for a period.
    assert not PeriodicTaskRun.objects.filter(name=broken.module_path).exists()
    broken.broken = False
    later = T0 + datetime.timedelta(seconds=10)
    assert enqueue_due_periodic_tasks(now=later) == [broken.module_path]
    assert broken.enqueued == 1
    assert PeriodicTaskRun.objects.get(name=broken.module_path).last_enqueued_at == later
    # And it fails again later on: the last successful run still stands.
    broken.broken = True
    with caplog.at_level(logging.ERROR, logger="cityhall.core.periodic"):
        assert enqueue_due_periodic_tasks(now=later + datetime.timedelta(seconds=EVERY)) == [
            tick.module_path]
    assert PeriodicTaskRun.objects.get(name=broken.module_path).last_enqueued_at == later
    assert enqueued() == 2
