"""Running a round's matching, changing placements by hand, and confirming the result
(取組7). Each is a keyword-only service with an explicit actor, checked and audited.

- `round_run`: the whole run in the calling process (management commands, the demo, tests):
  `jobs.matching_run_request` then `jobs.matching_run_execute` (`instance_for_round` →
  `matching.solve` → `round_result_store`). Staff pages ask for the run and a worker solves it
  (services.jobs).
- `placement_override`: staff move one child of the latest run to another of their wishes,
  back to their current nursery, or to "not admitted", with a reason. The whole assignment
  is checked again with the engine's verifier: a change that would exceed seats or break a
  family's sibling rule is refused and nothing changes. What the engine gave is kept.
- `household_override`: the same for all the children of one household at once, with one
  reason (a family whose sibling rule is 同一施設のみ or 全員入所 can only move together):
  checked as a whole, audited per child, all or nothing.
- `round_confirm`: the latest run becomes the round's decision (no more runs or changes).

Placements change only while no run of the round is waiting or running: its result would
replace them.
"""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..matching.verifier import verify
from ..models import AdmissionRound, Application, Household, MatchingRun, Nursery, Placement
from .instance import CLOSED_STATES, RUN_PERMISSION, check_open, instance_for_round
from .jobs import active_run, matching_run_execute, matching_run_request

__all__ = ["CLOSED_STATES", "RUN_PERMISSION", "household_choices", "household_override",
           "latest_run", "override_choices", "placement_override", "round_confirm",
           "round_run"]

MAX_REASON = 1000


def round_run(*, round: AdmissionRound, actor, time_limit: float | None = None) -> MatchingRun:
    """Solve the round with its current data, now and in this process, and store the result
    as a new matching run (done). A refusal raises ValidationFailed and stores nothing."""
    run = matching_run_request(round=round, actor=actor, time_limit=time_limit, enqueue=False)
    matching_run_execute(run_id=run.pk)
    run.refresh_from_db()
    if run.state != MatchingRun.State.DONE:
        raise ValidationFailed(run.error_text(), code=run.error_code or "internal")
    return run


def latest_run(round_: AdmissionRound) -> MatchingRun | None:
    """The round's latest result: the run done last."""
    return round_.runs.filter(state=MatchingRun.State.DONE).order_by("-run_at", "-pk").first()


def _check_no_active_run(round_: AdmissionRound) -> None:
    if active_run(round_) is not None:
        raise ValidationFailed(_("A matching run of this round is waiting or running: wait "
                                 "for its result before changing placements."),
                               code="run_active")


def override_choices(application: Application) -> list[Nursery]:
    """The nurseries a child may be moved to: their wishes, then their current nursery."""
    choices = [wish.nursery for wish in application.wishes.select_related("nursery__facility")]
    current = application.current_nursery
    if current is not None and current not in choices:
        choices.append(current)
    return choices


def household_choices(applications) -> list[Nursery]:
    """The nurseries where all these children (one household) may be placed together: those
    each of them wished or attends now, in the order of the eldest's choices."""
    applications = list(applications)
    if not applications:
        return []
    common = None
    for application in applications:
        codes = {nursery.code for nursery in override_choices(application)}
        common = codes if common is None else common & codes
    eldest = min(applications, key=lambda application: (application.date_of_birth,
                                                         application.pk))
    return [nursery for nursery in override_choices(eldest) if nursery.code in common]


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the change."), code="required",
                               field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("The reason is too long (at most %(count)d characters).")
                               % {"count": MAX_REASON}, code="too_long", field="reason")
    return reason


def _verify_or_refuse(round_: AdmissionRound, run_id: int,
                      changes: Mapping[int, Nursery | None]):
    """The run's placements with `changes` (application id → nursery or None), checked as a
    whole by the engine's verifier; a broken hard rule is refused with its reason. Returns
    the placements (as they were) and the verifier's report."""
    instance = instance_for_round(round_)
    placements = list(Placement.objects.filter(run=run_id)
                      .select_related("nursery", "application__household"))
    assignment = {str(row.application_id): row.nursery.code if row.nursery else None
                  for row in placements}
    for application_id, nursery in changes.items():
        assignment[str(application_id)] = nursery.code if nursery else None
    report = verify(instance, assignment)
    if report.capacity:
        raise ValidationFailed(_("There is no free seat for this age class at that "
                                 "nursery."), code="capacity", field="nursery")
    if report.sibling_rule:
        raise ValidationFailed(_("This change breaks the family's sibling rule (the "
                                 "children of a family are placed together as the "
                                 "family asked)."), code="sibling_rule", field="nursery")
    if report.not_wished or report.transfer_worse:
        raise ValidationFailed(_("A child who attends a nursery cannot be placed below it "
                                 "or left without a place."), code="transfer",
                               field="nursery")
    return placements, report


def _apply(placement: Placement, nursery_or_none: Nursery | None, reason: str, actor,
           now, details: dict) -> None:
    """Move one placement (a locked row) and audit it."""
    application = placement.application
    before = placement.nursery.code if placement.nursery else None
    if placement.overridden_at is None:
        placement.original_nursery = placement.nursery
    placement.nursery = nursery_or_none
    placement.kept_current = bool(nursery_or_none and application.current_nursery_id
                                  == nursery_or_none.pk)
    placement.overridden_by = actor
    placement.override_reason = reason
    placement.overridden_at = now
    placement.save()
    audit_record(actor=actor, action="childcare.placement.override", target=application,
                 purpose=reason,
                 details={"run": placement.run_id, "from": before,
                          "to": nursery_or_none.code if nursery_or_none else None, **details})


def placement_override(*, placement: Placement, nursery_or_none: Nursery | None, reason: str,
                       actor) -> Placement:
    """Change one child's placement in the round's latest run, with a reason."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    reason = _check_reason(reason)
    with transaction.atomic():
        round_ = AdmissionRound.objects.select_for_update().get(pk=placement.run.round_id)
        check_open(round_)
        _check_no_active_run(round_)
        placement = Placement.objects.select_for_update(of=("self",)).select_related(
            "run", "application__current_nursery", "nursery").get(pk=placement.pk)
        if latest_run(round_).pk != placement.run_id:
            raise ValidationFailed(_("Only the placements of the latest run can be changed."),
                                   code="stale_run")
        application = placement.application
        allowed = {nursery.pk for nursery in override_choices(application)}
        if nursery_or_none is not None and nursery_or_none.pk not in allowed:
            raise ValidationFailed(_("The child can only be placed at one of their wishes or "
                                     "at their current nursery."), code="not_wished",
                                   field="nursery")
        if (nursery_or_none.pk if nursery_or_none else None) == placement.nursery_id:
            raise ValidationFailed(_("The child is already placed there."), code="unchanged",
                                   field="nursery")
        placements, report = _verify_or_refuse(round_, placement.run_id,
                                               {application.pk: nursery_or_none})
        _apply(placement, nursery_or_none, reason, actor, timezone.now(), {})
        _refresh_run_figures(placement.run, placements, report)
    return placement


def household_override(*, household: Household,
                       nurseries: Mapping[int, Nursery | None], reason: str,
                       actor) -> list[Placement]:
    """Change the placements of all the children of one household in the round's latest run
    at once, with one reason. `nurseries` names every child of the household (application id
    → a nursery among that child's wishes or current nursery, or None: not admitted). The
    family's new placements are checked as a whole (seats, sibling rule, transfers); one
    refused change refuses all. Returns the placements that changed (each audited)."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    reason = _check_reason(reason)
    with transaction.atomic():
        round_ = AdmissionRound.objects.select_for_update().get(pk=household.round_id)
        check_open(round_)
        _check_no_active_run(round_)
        run = latest_run(round_)
        if run is None:
            raise ValidationFailed(_("This round has no result yet."), code="no_result")
        rows = {row.application_id: row for row in Placement.objects.select_for_update(
            of=("self",)).select_related("run", "application__current_nursery", "nursery")
            .filter(run=run, application__household=household).order_by("application_id")}
        if not rows or set(nurseries) != set(rows):
            raise ValidationFailed(_("Choose a placement for every child of the household."),
                                   code="household_children", field="nursery")
        for application_id, nursery in nurseries.items():
            allowed = {choice.pk for choice in
                       override_choices(rows[application_id].application)}
            if nursery is not None and nursery.pk not in allowed:
                raise ValidationFailed(_("Each child can only be placed at one of their "
                                         "wishes or at their current nursery."),
                                       code="not_wished", field="nursery")
        changed = {application_id: nursery for application_id, nursery in nurseries.items()
                   if (nursery.pk if nursery else None) != rows[application_id].nursery_id}
        if not changed:
            raise ValidationFailed(_("The children are already placed there."),
                                   code="unchanged", field="nursery")
        placements, report = _verify_or_refuse(round_, run.pk, changed)
        now = timezone.now()
        for application_id in sorted(changed):
            _apply(rows[application_id], changed[application_id], reason, actor, now,
                   {"household": household.family_code, "children": len(rows)})
        _refresh_run_figures(run, placements, report)
    return [rows[application_id] for application_id in sorted(changed)]


def _refresh_run_figures(run: MatchingRun, placements: list[Placement], report) -> None:
    families = {}
    for row in placements:
        families.setdefault(row.application.household.family_code, []).append(row)
    blocking = {row.pk for coalition in report.blocking
                for row in families.get(coalition.family_id, ())}
    for row in placements:
        flag = row.pk in blocking
        if row.in_blocking_coalition != flag:
            Placement.objects.filter(pk=row.pk).update(in_blocking_coalition=flag)
    run.placed = report.placed
    run.blocking_coalitions = [{"family_id": coalition.family_id,
                                "places": dict(coalition.places),
                                "displaced": list(coalition.displaced)}
                               for coalition in report.blocking]
    run.save(update_fields=["placed", "blocking_coalitions"])


def round_confirm(*, round: AdmissionRound, actor) -> AdmissionRound:
    """Make the latest run the round's decision: no more runs, imports or changes."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round.pk)
        if locked.state != AdmissionRound.State.MATCHED or latest_run(locked) is None:
            raise ValidationFailed(_("Only a matched round can be confirmed."),
                                   code="bad_state")
        if active_run(locked) is not None:
            raise ValidationFailed(_("A matching run of this round is waiting or running: "
                                     "wait for its result before confirming."),
                                   code="run_active")
        locked.state = AdmissionRound.State.CONFIRMED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, action="childcare.round.confirm", target=locked,
                     details={"run": latest_run(locked).pk})
    return locked
