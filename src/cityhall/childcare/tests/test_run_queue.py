"""The matching run as a background job (取組7): "Run" asks for a run that a worker solves;
the task is idempotent; one run per round at a time (checked, and protected by the
database); a failure leaves a failed run with a message and the round as it was; a run whose
worker died is taken over; the round page shows the progress."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from cityhall.childcare.models import AdmissionRound, MatchingRun, Placement
from cityhall.childcare.services import imports, jobs, runs
from cityhall.childcare.tasks import matching_run_task, matching_runs_recover_task
from cityhall.core.background import PermanentTaskError, recover_abandoned_tasks
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent, TaskFailure
from cityhall.core.tests.factories import StaffFactory

from .admission_fixtures import (
    STANDARD_CAPACITIES,
    STANDARD_ROWS,
    applications_csv,
    capacities_csv,
)

pytestmark = pytest.mark.django_db
State = MatchingRun.State


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture(autouse=True)
def database_task_backend(settings, monkeypatch):
    """The database task backend, as on one machine; a short search keeps the tests quick."""
    settings.TASK_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    settings.CHILDCARE_MATCHING_TIME_LIMIT = 5
    # The worker checks for stale connections between tasks; inside a test's transaction
    # that would close the connection holding the test's data.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker(worker_id="cityhall:test"):
    worker = db_worker.Worker(queue_names=["*"], interval=0, batch=True,
                              backend_name="default", startup_delay=False, max_tasks=50,
                              worker_id=worker_id, excluded_queue_names=[])
    worker.run()


@pytest.fixture
def imported(admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    return admission_round


@pytest.fixture
def matched(imported, officer):
    runs.round_run(round=imported, actor=officer)
    imported.refresh_from_db()
    return imported


def task_rows():
    return list(DBTaskResult.objects.filter(task_path=matching_run_task.module_path)
                .order_by("enqueued_at"))


def placements(run) -> dict[str, str | None]:
    return {row.application.number: row.nursery.code if row.nursery else None
            for row in Placement.objects.filter(run=run).select_related("application",
                                                                        "nursery")}


def events(action) -> int:
    return AuditEvent.objects.filter(action=action).count()


def page(client, round_, **params):
    return client.get(reverse("childcare:round", args=[round_.pk]), params,
                      HTTP_ACCEPT_LANGUAGE="en")


def test_run_is_enqueued_after_commit_and_a_worker_stores_the_result(
        client, imported, officer, django_capture_on_commit_callbacks):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("childcare:round_run", args=[imported.pk]),
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert len(callbacks) == 1
    run = MatchingRun.objects.get(round=imported)
    assert (run.state, run.run_by, run.time_limit, run.attempts, run.placements.count()) == (
        State.QUEUED, officer, 5.0, 0, 0)
    assert run.requested_at is not None and run.started_at is None
    [task] = task_rows()
    assert (task.status, task.args_kwargs, task.queue_name) == (
        TaskResultStatus.READY, {"args": [run.pk], "kwargs": {}}, "matching")
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.IMPORTED
    assert events("childcare.round.run_request") == 1
    # The page shows the waiting run, a refresh link and no second "Run" button.
    shown = page(client, imported)
    text = shown.content.decode()
    assert shown.context["progress"]["state"] == "Waiting for a worker"
    assert "Refresh this page" in text and "hx-trigger" in text
    assert not shown.context["can_run"] and not shown.context["can_confirm"]
    assert reverse("childcare:round_run", args=[imported.pk]) not in text

    run_worker()
    run.refresh_from_db()
    assert (run.state, run.phase, run.attempts, run.error_code) == (State.DONE, "", 1, "")
    assert run.started_at and run.finished_at and run.solver
    assert placements(run) == {"A001": "N1", "A002": "N2", "A003": "N1", "A004": "N1",
                               "A005": "N1"}
    assert run.placed == 5
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.MATCHED
    assert runs.latest_run(imported) == run
    [task] = task_rows()
    assert (task.status, task.return_value) == (TaskResultStatus.SUCCESSFUL, "done")
    assert events("childcare.round.run") == 1
    assert events("childcare.round.result_store") == 1
    shown = page(client, imported)
    assert shown.context["progress"] is None
    assert shown.context["figures"]["run"] == run
    assert shown.context["can_run"] and shown.context["can_confirm"]
    assert "Refresh this page" not in shown.content.decode()


def test_the_same_task_twice_does_nothing_more(imported, officer):
    run = jobs.matching_run_request(round=imported, actor=officer, enqueue=False)
    assert matching_run_task.call(run.pk) == "done"
    run.refresh_from_db()
    stored = (run.state, run.finished_at, run.attempts, placements(run))
    counts = (Placement.objects.count(), MatchingRun.objects.count(),
              events("childcare.round.run"), AuditEvent.objects.count())
    # Delivered again (a retry, or a worker that died after storing): nothing more happens.
    assert matching_run_task.call(run.pk) == "finished"
    assert matching_run_task.call(run.pk) == "finished"
    run.refresh_from_db()
    assert (run.state, run.finished_at, run.attempts, placements(run)) == stored
    assert (Placement.objects.count(), MatchingRun.objects.count(),
            events("childcare.round.run"), AuditEvent.objects.count()) == counts
    # A run that is gone: nothing to do, no error.
    assert matching_run_task.call(999999) == "missing"


def test_a_second_run_is_refused_while_one_waits_or_runs(client, matched, officer,
                                                         monkeypatch):
    first = runs.latest_run(matched)
    queued = jobs.matching_run_request(round=matched, actor=officer, enqueue=False)
    with pytest.raises(ValidationFailed) as caught:
        jobs.matching_run_request(round=matched, actor=officer)
    assert caught.value.code == "run_active"
    client.force_login(officer)
    response = client.post(reverse("childcare:round_run", args=[matched.pk]),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "A matching run of this round is already waiting or running" in \
        response.content.decode()
    # Confirming or changing placements waits for the run too.
    with pytest.raises(ValidationFailed) as caught:
        runs.round_confirm(round=matched, actor=officer)
    assert caught.value.code == "run_active"
    with pytest.raises(ValidationFailed) as caught:
        runs.placement_override(placement=first.placements.get(application__number="A002"),
                                 nursery_or_none=None, reason="辞退", actor=officer)
    assert caught.value.code == "run_active"
    # Running counts as active as well.
    jobs._claim(queued.pk)
    with pytest.raises(ValidationFailed):
        jobs.matching_run_request(round=matched, actor=officer)
    # Two requests racing past the check: the database's constraint refuses the second.
    monkeypatch.setattr(jobs, "active_run", lambda round_: None)
    with pytest.raises(ValidationFailed) as caught:
        jobs.matching_run_request(round=matched, actor=officer)
    assert caught.value.code == "run_active"
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingRun.objects.create(round=matched, state=State.QUEUED, run_at=timezone.now())
    assert MatchingRun.objects.filter(round=matched).count() == 2
    assert events("childcare.round.run_request") == 2
    matched.refresh_from_db()
    assert matched.state == AdmissionRound.State.MATCHED
    assert runs.latest_run(matched) == first


def test_a_failing_run_leaves_a_failed_run_and_the_round_as_it_was(client, matched, officer,
                                                                   monkeypatch):
    first = runs.latest_run(matched)
    before = placements(first)
    run = jobs.matching_run_request(round=matched, actor=officer, enqueue=False)

    def broken(instance, **options):
        raise RuntimeError("the solver broke")

    monkeypatch.setattr(jobs, "solve", broken)
    with pytest.raises(PermanentTaskError):
        matching_run_task.call(run.pk)
    run.refresh_from_db()
    assert (run.state, run.error_code, run.phase, run.placements.count()) == (
        State.FAILED, "internal", "", 0)
    assert run.finished_at is not None
    matched.refresh_from_db()
    assert matched.state == AdmissionRound.State.MATCHED
    assert runs.latest_run(matched) == first
    assert placements(first) == before
    assert events("childcare.round.run_failed") == 1
    assert TaskFailure.objects.get().task_path == matching_run_task.module_path
    # Delivered again: nothing more.
    assert matching_run_task.call(run.pk) == "finished"
    client.force_login(officer)
    shown = page(client, matched)
    assert shown.context["progress"]["state"] == "Failed"
    text = shown.content.decode()
    assert "The run failed because of an error in the system: nothing was stored." in text
    assert shown.context["can_run"]
    # The next run succeeds, and the failure is no longer shown.
    monkeypatch.undo()
    second = runs.round_run(round=matched, actor=officer)
    assert page(client, matched).context["progress"] is None
    assert runs.latest_run(matched) == second


def test_a_run_refused_by_the_round_fails_with_its_reason(matched, officer):
    run = jobs.matching_run_request(round=matched, actor=officer, enqueue=False)
    # Confirmed while the run waited (through the admin, say): the result is not stored.
    AdmissionRound.objects.filter(pk=matched.pk).update(state=AdmissionRound.State.CONFIRMED)
    assert matching_run_task.call(run.pk) == "failed"
    run.refresh_from_db()
    assert (run.state, run.error_code) == (State.FAILED, "bad_state")
    with translation.override("en"):
        assert run.error_text().startswith("The round changed state while the run waited")
    assert not TaskFailure.objects.exists()
    assert MatchingRun.objects.filter(state=State.DONE).count() == 1
    # round_run, the synchronous door, raises the refusal.
    with pytest.raises(ValidationFailed) as caught:
        runs.round_run(round=matched, actor=officer)
    assert caught.value.code == "bad_state"


def test_an_abandoned_run_is_taken_over(imported, officer):
    run = jobs.matching_run_request(round=imported, actor=officer, enqueue=False)
    # A worker claims the run and dies before storing anything.
    _dead, dead_claim, outcome = jobs._claim(run.pk)
    assert outcome == "claimed"
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.RUNNING, 1)
    # Delivered again within the dead attempt's lease: left alone (it may still be alive).
    assert matching_run_task.call(run.pk) == "held"
    run.refresh_from_db()
    assert (run.state, run.attempts, run.claim) == (State.RUNNING, 1, dead_claim)
    # Past the lease: taken over and finished.
    MatchingRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1))
    assert matching_run_task.call(run.pk) == "done"
    run.refresh_from_db()
    assert (run.state, run.attempts, run.placements.count()) == (State.DONE, 2, 5)
    assert run.claim != dead_claim
    # The dead attempt cannot overwrite it later.
    assert not jobs._fail(run, dead_claim, "internal")
    run.refresh_from_db()
    assert run.state == State.DONE
    assert events("childcare.round.run") == 1


def test_a_run_interrupted_too_often_fails(imported, officer):
    run = jobs.matching_run_request(round=imported, actor=officer, enqueue=False)
    MatchingRun.objects.filter(pk=run.pk).update(
        state=State.RUNNING, attempts=jobs.MAX_RUN_ATTEMPTS, claim="dead",
        started_at=timezone.now() - datetime.timedelta(hours=1))
    assert matching_run_task.call(run.pk) == "failed"
    run.refresh_from_db()
    assert (run.state, run.error_code, run.placements.count()) == (
        State.FAILED, "interrupted", 0)
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.IMPORTED


def test_a_dead_workers_task_is_handed_back_and_the_run_finished(
        imported, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = jobs.matching_run_request(round=imported, actor=officer)
    # The worker took the task and the run, then stopped beating.
    [task] = task_rows()
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, worker_ids=["cityhall:dead-worker"],
        started_at=timezone.now() - datetime.timedelta(hours=1))
    jobs._claim(run.pk)
    MatchingRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1))
    assert recover_abandoned_tasks() == 1
    run_worker()
    run.refresh_from_db()
    assert (run.state, run.attempts, run.placements.count()) == (State.DONE, 2, 5)
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.MATCHED


def test_recovery_queues_again_runs_whose_task_was_lost(imported, officer,
                                                        django_capture_on_commit_callbacks):
    run = jobs.matching_run_request(round=imported, actor=officer, enqueue=False)
    # Just asked for: its task is surely still on the queue.
    with django_capture_on_commit_callbacks(execute=True):
        assert matching_runs_recover_task.call() == []
    assert task_rows() == []
    # Running past its lease, with its task lost: back to queued, and enqueued again.
    jobs._claim(run.pk)
    MatchingRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert matching_runs_recover_task.call() == [run.pk]
    run.refresh_from_db()
    assert (run.state, run.phase, run.claim, run.attempts) == (State.QUEUED, "", "", 1)
    assert len(task_rows()) == 1
    # Queued for too long: enqueued once more (a duplicate does nothing).
    MatchingRun.objects.filter(pk=run.pk).update(
        requested_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.matching_runs_recover() == [run.pk]
    run_worker()
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.DONE, 2)
    assert sorted(row.return_value for row in task_rows()) == ["done", "finished"]


def test_the_round_page_shows_each_state_of_the_run(client, matched, officer):
    client.force_login(officer)
    run = jobs.matching_run_request(round=matched, actor=officer, enqueue=False)
    MatchingRun.objects.filter(pk=run.pk).update(
        requested_at=timezone.now() - datetime.timedelta(seconds=12))
    text = page(client, matched).content.decode()
    assert "Waiting for a worker" in text
    assert "Asked for 12 seconds ago." in text
    assert "The engine searches for at most 5 seconds." in text
    # Running, in the solving phase.
    MatchingRun.objects.filter(pk=run.pk).update(
        state=State.RUNNING, phase=MatchingRun.Phase.SOLVING, attempts=1,
        started_at=timezone.now() - datetime.timedelta(seconds=3))
    shown = page(client, matched)
    assert shown.context["progress"]["elapsed"] in (3, 4)
    text = shown.content.decode()
    assert "Running</span> — Solving" in text
    assert "Running for " in text and "Refresh this page" in text
    # The htmx poll gets the status alone while the run is active...
    polled = page(client, matched, progress="1")
    assert polled.status_code == 200
    assert "Solving" in polled.content.decode() and "<html" not in polled.content.decode()
    # ...and, once done, the final status with a link to the result, and stops (286).
    assert matching_run_task.call(run.pk) == "held"
    MatchingRun.objects.filter(pk=run.pk).update(state=State.QUEUED, started_at=None)
    assert matching_run_task.call(run.pk) == "done"
    polled = page(client, matched, progress="1")
    assert polled.status_code == 286
    assert "children placed." in polled.content.decode()
    assert "Show the result" in polled.content.decode()
    shown = page(client, matched)
    assert shown.context["progress"] is None
    assert shown.context["figures"]["run"].pk == run.pk
    rounds = client.get(reverse("childcare:rounds"), HTTP_ACCEPT_LANGUAGE="en")
    assert rounds.status_code == 200


def test_running_the_matching_needs_the_permission(client, imported, hanako):
    url = reverse("childcare:round_run", args=[imported.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    progress = client.get(reverse("childcare:round", args=[imported.pk]), {"progress": "1"})
    assert progress.status_code == 302
    clerk = StaffFactory(roles=("counter_clerk",))
    for user in (hanako.user, clerk):
        client.force_login(user)
        assert client.post(url).status_code == 403
    with pytest.raises(PermissionDeniedError):
        jobs.matching_run_request(round=imported, actor=clerk)
    assert not MatchingRun.objects.exists()
    assert task_rows() == []
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.IMPORTED


@pytest.mark.parametrize(("value", "expected"), [
    (5, 5.0), ("12.5", 12.5), (0, 1.0), (-3, 1.0), (100000, 480.0), ("many", 30.0),
    (float("nan"), 30.0),
])
def test_the_time_limit_is_a_setting_kept_within_bounds(settings, value, expected):
    settings.CHILDCARE_MATCHING_TIME_LIMIT = value
    assert jobs.matching_time_limit() == expected
