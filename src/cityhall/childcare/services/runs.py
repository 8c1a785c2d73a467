"""Running a round's matching, changing one placement by hand, and confirming the result
(取組7). Each is a keyword-only service with an explicit actor, checked and audited.

- `round_run`: `instance_for_round` → `matching.solve` → `round_result_store` (a new run).
- `placement_override`: staff move one child of the latest run to another of their wishes,
  back to their current nursery, or to "not admitted", with a reason. The whole assignment
  is checked again with the engine's verifier: a change that would exceed seats or break a
  family's sibling rule is refused and nothing changes. What the engine gave is kept.
- `round_confirm`: the latest run becomes the round's decision (no more runs or changes).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..matching.solve import solve
from ..matching.verifier import verify
from ..models import (
    SELECTED_STATUSES,
    AdmissionRound,
    Application,
    MatchingRun,
    Nursery,
    Placement,
)
from .instance import RUN_PERMISSION, instance_for_round, round_result_store
from .online import online_run_check

CLOSED_STATES = (AdmissionRound.State.CONFIRMED, AdmissionRound.State.PUBLISHED)
MAX_REASON = 1000


def _check_open(round_: AdmissionRound) -> None:
    if round_.state in CLOSED_STATES:
        raise ValidationFailed(_("This round is confirmed: its result can no longer change."),
                               code="bad_state")


def round_run(*, round: AdmissionRound, actor, time_limit: float = 10.0) -> MatchingRun:
    """Solve the round with its current data and store the result as a new matching run."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    round.refresh_from_db()
    _check_open(round)
    online_run_check(round)  # online applications closed and checked (services.online)
    if not Application.objects.filter(
            round=round, household__online_status__in=SELECTED_STATUSES).exists():
        raise ValidationFailed(_("This round has no applications yet: import them first."),
                               code="no_applications")
    instance = instance_for_round(round)
    result = solve(instance, time_limit=time_limit, workers=2)
    run = round_result_store(round=round, result=result, actor=actor)
    with transaction.atomic():
        audit_record(actor=actor, action="childcare.round.run", target=round,
                     details={"run": run.pk, "time_limit": time_limit,
                              "seconds": round_seconds(result.seconds)})
    return run


def round_seconds(seconds: float) -> float:
    return round(seconds, 2)


def latest_run(round_: AdmissionRound) -> MatchingRun | None:
    return round_.runs.order_by("-run_at", "-pk").first()


def override_choices(application: Application) -> list[Nursery]:
    """The nurseries a child may be moved to: their wishes, then their current nursery."""
    choices = [wish.nursery for wish in application.wishes.select_related("nursery__facility")]
    current = application.current_nursery
    if current is not None and current not in choices:
        choices.append(current)
    return choices


def placement_override(*, placement: Placement, nursery_or_none: Nursery | None, reason: str,
                       actor) -> Placement:
    """Change one child's placement in the round's latest run, with a reason."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the change."), code="required",
                               field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("The reason is too long (at most %(count)d characters).")
                               % {"count": MAX_REASON}, code="too_long", field="reason")
    with transaction.atomic():
        round_ = AdmissionRound.objects.select_for_update().get(pk=placement.run.round_id)
        _check_open(round_)
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
        instance = instance_for_round(round_)
        placements = list(Placement.objects.filter(run=placement.run_id)
                          .select_related("nursery", "application__household"))
        assignment = {str(row.application_id): row.nursery.code if row.nursery else None
                      for row in placements}
        assignment[str(application.pk)] = nursery_or_none.code if nursery_or_none else None
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
        before = placement.nursery.code if placement.nursery else None
        if placement.overridden_at is None:
            placement.original_nursery = placement.nursery
        placement.nursery = nursery_or_none
        placement.kept_current = bool(nursery_or_none and application.current_nursery_id
                                      == nursery_or_none.pk)
        placement.overridden_by = actor
        placement.override_reason = reason
        placement.overridden_at = timezone.now()
        placement.save()
        _refresh_run_figures(placement.run, placements, report)
        audit_record(actor=actor, action="childcare.placement.override", target=application,
                     purpose=reason,
                     details={"run": placement.run_id, "from": before,
                              "to": nursery_or_none.code if nursery_or_none else None})
    return placement


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
        locked.state = AdmissionRound.State.CONFIRMED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, action="childcare.round.confirm", target=locked,
                     details={"run": latest_run(locked).pk})
    return locked
