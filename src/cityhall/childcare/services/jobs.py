"""The matching of a round as a background job (取組7).

Solving a large round takes up to CHILDCARE_MATCHING_TIME_LIMIT seconds, too long for a web
request. So "Run" only asks for a run, and a worker solves it:

- `matching_run_request` (the web request): checks the permission and the round, and makes a
  `MatchingRun` row in state `queued`; the task is enqueued after commit. At most one run of
  a round is queued or running at a time: the round's row is locked while we look, and a
  partial unique constraint of the database refuses a second active run even so.
- `matching_run_execute` (the worker, through `tasks.matching_run_task`): claims the run
  (`running`, with a fresh claim token and one more attempt), reads the round, solves it,
  and stores the result into the same row (`done`) — only if it still holds the claim. An
  expected refusal (the round was confirmed meanwhile, its applications changed) or an error
  leaves the run `failed` with an error code that staff read in their language; the round
  and its earlier results are unchanged.
- Idempotent, and nothing lost if a worker dies: a task delivered again for a run that is
  done or failed does nothing. A run left `running` by a dead worker is taken over by the
  next delivery once its lease (started + twice the time limit + LEASE_GRACE_SECONDS) has
  passed; core.background hands the task of a dead worker back to the queue, and
  `matching_runs_recover` (periodic) puts runs whose task was lost back to `queued` and
  enqueues them again. A run interrupted MAX_RUN_ATTEMPTS times fails as "interrupted", so a
  run that kills its worker cannot loop for ever. A late result of a superseded attempt is
  thrown away (its claim no longer matches).
- `round_run` (services.runs) does the same in the calling process, for management
  commands, the demo and tests.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import CityhallError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..matching.solve import solve
from ..models import SELECTED_STATUSES, AdmissionRound, Application, MatchingRun
from .instance import RUN_PERMISSION, check_open, instance_for_round, round_result_store
from .online import online_run_check

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 30.0
MIN_TIME_LIMIT = 1.0
MAX_TIME_LIMIT = 480.0  # well inside RQ's job timeout (600 s)
LEASE_GRACE_SECONDS = 120  # beyond twice the time limit: reading, checking and storing
MAX_RUN_ATTEMPTS = 3
QUEUED_STALE_SECONDS = 600  # a queued run no worker took after this long gets its task again
SOLVER_WORKERS = 2
State = MatchingRun.State
Phase = MatchingRun.Phase


def matching_time_limit() -> float:
    """CHILDCARE_MATCHING_TIME_LIMIT, kept between MIN_TIME_LIMIT and MAX_TIME_LIMIT."""
    try:
        value = float(getattr(settings, "CHILDCARE_MATCHING_TIME_LIMIT", DEFAULT_TIME_LIMIT))
    except (TypeError, ValueError):
        value = DEFAULT_TIME_LIMIT
    if value != value:  # NaN
        value = DEFAULT_TIME_LIMIT
    return min(max(value, MIN_TIME_LIMIT), MAX_TIME_LIMIT)


def active_run(round_: AdmissionRound) -> MatchingRun | None:
    """The run of the round that is queued or running, if any."""
    return round_.runs.filter(state__in=MatchingRun.ACTIVE_STATES).order_by("-pk").first()


def latest_request(round_: AdmissionRound) -> MatchingRun | None:
    """The run asked for last, whatever its state."""
    return round_.runs.order_by("-pk").first()


def lease_expires(run: MatchingRun) -> datetime.datetime | None:
    """Until when the attempt that holds a running run may still be working on it."""
    if run.started_at is None:
        return None
    limit = run.time_limit or matching_time_limit()
    return run.started_at + datetime.timedelta(seconds=2 * limit + LEASE_GRACE_SECONDS)


def _refuse_active() -> ValidationFailed:
    return ValidationFailed(_("A matching run of this round is already waiting or running: "
                              "wait for its result before asking for another."),
                            code="run_active")


def matching_run_request(*, round: AdmissionRound, actor, time_limit: float | None = None,
                         enqueue: bool = True) -> MatchingRun:
    """Ask for a matching run of the round: a `queued` run, solved by a worker (the task is
    enqueued after commit; `enqueue=False` leaves that to the caller). `time_limit`: the
    engine's search in seconds (default: the setting), kept within the same bounds."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    limit = (matching_time_limit() if time_limit is None
             else min(max(float(time_limit), MIN_TIME_LIMIT), MAX_TIME_LIMIT))
    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round.pk)
        check_open(locked)
        online_run_check(locked)  # online applications closed and checked (services.online)
        if not Application.objects.filter(
                round=locked, household__online_status__in=SELECTED_STATUSES).exists():
            raise ValidationFailed(_("This round has no applications yet: import them "
                                     "first."), code="no_applications")
        if active_run(locked) is not None:
            raise _refuse_active()
        now = timezone.now()
        try:
            with transaction.atomic():
                run = MatchingRun.objects.create(
                    round=locked, state=State.QUEUED, run_by=actor, requested_at=now,
                    run_at=now, time_limit=limit)
        except IntegrityError:  # another request made one first (the constraint)
            raise _refuse_active() from None
        audit_record(actor=actor, action="childcare.round.run_request", target=locked,
                     details={"run": run.pk, "time_limit": limit})
        if enqueue:
            from ..tasks import matching_run_task

            enqueue_on_commit(matching_run_task, run.pk)
    return run


def _claim(run_id: int) -> tuple[MatchingRun | None, str, str]:
    """Take the run for this attempt: (run, claim token, "claimed"), or (run or None, "", why
    not: "missing", "finished", "held", "failed")."""
    with transaction.atomic():
        run = MatchingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return None, "", "missing"
        if run.state in (State.DONE, State.FAILED):
            return run, "", "finished"
        now = timezone.now()
        if run.state == State.RUNNING and lease_expires(run) > now:
            return run, "", "held"
        if run.attempts >= MAX_RUN_ATTEMPTS:
            _mark_failed(run, "interrupted")
            return run, "", "failed"
        if run.state == State.RUNNING:
            logger.warning("Matching run %s: taking over from an attempt that stopped", run.pk)
        run.state = State.RUNNING
        run.phase = Phase.READING
        run.attempts += 1
        run.claim = uuid.uuid4().hex
        run.started_at = now
        run.error_code = ""
        run.save(update_fields=["state", "phase", "attempts", "claim", "started_at",
                                "error_code"])
    return run, run.claim, "claimed"


def _set_phase(run: MatchingRun, claim: str, phase: str) -> None:
    MatchingRun.objects.filter(pk=run.pk, state=State.RUNNING, claim=claim).update(phase=phase)


def _mark_failed(run: MatchingRun, code: str) -> None:
    """Inside a transaction that holds the run's row lock."""
    run.state = State.FAILED
    run.phase = Phase.WAITING
    run.error_code = code[:40]
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "phase", "error_code", "finished_at"])
    audit_record(actor=None, action="childcare.round.run_failed", target=run.round,
                 details={"run": run.pk, "error": run.error_code, "attempts": run.attempts})


def _fail(run: MatchingRun, claim: str, code: str) -> bool:
    with transaction.atomic():
        current = MatchingRun.objects.select_for_update().select_related("round").get(
            pk=run.pk)
        if current.state != State.RUNNING or current.claim != claim:
            return False
        _mark_failed(current, code)
    return True


def matching_run_execute(*, run_id: int) -> str:
    """Solve a requested run and store its result; what happened is returned: "done",
    "failed", "superseded" (another attempt took the run over), or, doing nothing, "missing",
    "finished" (already done or failed) and "held" (another attempt is still within its
    lease). An unexpected error marks the run failed and is raised again."""
    run, claim, outcome = _claim(run_id)
    if outcome != "claimed":
        return outcome
    try:
        round_ = AdmissionRound.objects.get(pk=run.round_id)
        check_open(round_)
        if not Application.objects.filter(round=round_).exists():
            raise ValidationFailed(code="no_applications")
        instance = instance_for_round(round_)
        _set_phase(run, claim, Phase.SOLVING)
        result = solve(instance, time_limit=run.time_limit or matching_time_limit(),
                       workers=SOLVER_WORKERS)
        _set_phase(run, claim, Phase.STORING)
        with transaction.atomic():
            AdmissionRound.objects.select_for_update().get(pk=round_.pk)
            current = MatchingRun.objects.select_for_update().get(pk=run.pk)
            if current.state != State.RUNNING or current.claim != claim:
                logger.warning("Matching run %s: this attempt was superseded; its result is "
                               "dropped", run.pk)
                return "superseded"
            round_result_store(round=round_, result=result, actor=current.run_by, run=current)
            audit_record(actor=current.run_by, action="childcare.round.run", target=round_,
                         details={"run": current.pk, "time_limit": current.time_limit,
                                  "seconds": round(result.seconds, 2),
                                  "attempts": current.attempts})
    except CityhallError as error:
        return "failed" if _fail(run, claim, error.code) else "superseded"
    except Exception:
        logger.exception("Matching run %s failed", run.pk)
        _fail(run, claim, "internal")
        raise
    return "done"


def matching_runs_recover(*, now: datetime.datetime | None = None) -> list[int]:
    """Runs that no worker is doing get their task again: running past their lease (the
    worker died and its task was lost) go back to `queued`; queued for more than
    QUEUED_STALE_SECONDS are enqueued once more (a duplicate does nothing). Returns their
    ids."""
    from ..tasks import matching_run_task

    now = now or timezone.now()
    stale_queued = now - datetime.timedelta(seconds=QUEUED_STALE_SECONDS)
    recovered = []
    for run_id in MatchingRun.objects.filter(state__in=MatchingRun.ACTIVE_STATES).values_list(
            "pk", flat=True).order_by("pk"):
        with transaction.atomic():
            run = MatchingRun.objects.select_for_update().get(pk=run_id)
            if run.state == State.RUNNING and lease_expires(run) <= now:
                logger.warning("Matching run %s: its attempt stopped; queued again", run.pk)
                run.state = State.QUEUED
                run.phase = Phase.WAITING
                run.claim = ""
                run.save(update_fields=["state", "phase", "claim"])
            elif not (run.state == State.QUEUED and run.requested_at is not None
                      and run.requested_at <= stale_queued):
                continue
            enqueue_on_commit(matching_run_task, run.pk)
            recovered.append(run.pk)
    return recovered


def run_progress(run: MatchingRun | None, *, now: datetime.datetime | None = None) -> dict | None:
    """What the round page shows of a run: its state and phase, and the seconds since it was
    asked for (waiting) or started (running), or that it took (finished)."""
    if run is None:
        return None
    now = now or timezone.now()
    if run.state == State.QUEUED:
        since = run.requested_at or run.run_at
    elif run.state == State.RUNNING:
        since = run.started_at or run.requested_at or run.run_at
    else:
        since = run.requested_at or run.run_at
        now = run.finished_at or now
    elapsed = max(0, int((now - since).total_seconds())) if since else 0
    return {"run": run, "active": run.is_active, "state": run.get_state_display(),
            "phase": run.get_phase_display() if run.state == State.RUNNING and run.phase
            else "", "elapsed": elapsed, "time_limit": int(run.time_limit),
            "error": run.error_text() if run.state == State.FAILED else ""}
