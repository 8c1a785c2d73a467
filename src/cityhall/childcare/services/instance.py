"""Between the database and the matching engine (取組7): `instance_for_round` builds the
engine's `Instance` from a round's rows, `round_result_store` keeps a `Result` as a matching run
with one placement per application. The engine itself never touches the database.

Ids given to the engine: a facility is the nursery's code (施設コード), a child the
application's primary key (as text), a family the household's number (世帯番号)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..matching import model as m
from ..models import (
    SELECTED_STATUSES,
    AdmissionRound,
    Application,
    MatchingRun,
    Nursery,
    Placement,
)
from .priority import priority_key, tie_break_rules_of

RUN_PERMISSION = "childcare.run_matching"
STORABLE_STATES = (AdmissionRound.State.IMPORTED, AdmissionRound.State.MATCHED)
CLOSED_STATES = (AdmissionRound.State.CONFIRMED, AdmissionRound.State.PUBLISHED)


def check_open(round_: AdmissionRound) -> None:
    """Refuse a change to a round whose result is confirmed."""
    if round_.state in CLOSED_STATES:
        raise ValidationFailed(_("This round is confirmed: its result can no longer change."),
                               code="bad_state")


def _applications(round_: AdmissionRound):
    # Online applications take part once staff verified them (docs: "Online applications").
    return (Application.objects.filter(round=round_,
                                       household__online_status__in=SELECTED_STATUSES)
            .select_related("household", "current_nursery", "round")
            .prefetch_related("wishes__nursery", "household__applications",
                              "points__item", "points__nursery")
            .order_by("pk"))


def bonuses_of(application: Application) -> tuple[m.Bonus, ...]:
    """The application's adjustments at one nursery (施設別加点) as the engine's bonuses: the
    points item's points at the nursery's code, with the item's code as the reason."""
    return tuple(m.Bonus(facility=points.nursery.code, points=points.item.points,
                         reason=points.item.code)
                 for points in application.points.all() if points.nursery_id is not None)


def instance_for_round(round_: AdmissionRound) -> m.Instance:
    """The round as the engine sees it. Facilities: every nursery with seats in the round or
    named by an application (as a wish or as the current nursery), in code order, with its
    seats per age class and its shared pools. Children: in application order, with their
    priority from the points table's tie-break rules and their adjustments at one nursery
    (bonuses). Families: one per household, children eldest first. Online applications are in
    once staff verified them; drafts, unchecked and returned ones are not."""
    rules = tie_break_rules_of(round_)
    applications = list(_applications(round_))
    seats: dict[str, dict[int, int]] = {}
    pools: dict[str, list[m.SeatPool]] = {}
    names: dict[str, str] = {}
    for capacity in round_.capacities.select_related("nursery__facility"):
        seats.setdefault(capacity.nursery.code, {})[capacity.age_class] = capacity.seats
        names[capacity.nursery.code] = capacity.nursery.name
    for pool in round_.seat_pools.select_related("nursery__facility").order_by("pk"):
        pools.setdefault(pool.nursery.code, []).append(
            m.SeatPool(age_classes=frozenset(pool.age_classes), seats=pool.seats))
        names[pool.nursery.code] = pool.nursery.name
    children = []
    for application in applications:
        wishes = tuple(wish.nursery.code for wish in application.wishes.all())
        current = application.current_nursery.code if application.current_nursery else None
        children.append(m.Child(
            id=str(application.pk), family_id=application.household.family_code,
            age_class=application.age_class, wishes=wishes,
            priority=priority_key(application, rules), score=application.score,
            current_facility=current, bonuses=bonuses_of(application)))
    named = {code for child in children for code in (*child.wishes, child.current_facility)
             if code and code not in names}
    for nursery in Nursery.objects.filter(code__in=named).select_related("facility"):
        names[nursery.code] = nursery.name
    facilities = tuple(
        m.Facility(id=code, name=names[code], seats=dict(sorted(seats.get(code, {}).items())),
                   pools=tuple(pools.get(code, ())))
        for code in sorted(names))
    families = []
    for household in round_.households.filter(
            online_status__in=SELECTED_STATUSES).order_by("family_code").prefetch_related(
            "applications"):
        members = sorted(household.applications.all(),
                         key=lambda application: (application.date_of_birth, application.pk))
        families.append(m.Family(id=household.family_code,
                                 child_ids=tuple(str(member.pk) for member in members),
                                 sibling_rule=m.SiblingRule(household.sibling_rule)))
    return m.Instance(facilities=facilities, children=tuple(children),
                      families=tuple(families))


def _coalitions_json(result: m.Result) -> list[dict]:
    return [{"family_id": coalition.family_id, "places": dict(coalition.places),
             "displaced": list(coalition.displaced)}
            for coalition in result.blocking_coalitions]


def round_result_store(*, round: AdmissionRound, result: m.Result, actor,
                       run: MatchingRun | None = None) -> MatchingRun:
    """Keep the engine's result for the round as a matching run: one placement per
    application (a nursery, or none), and the blocking coalitions the verifier found. The
    result must name every application of the round exactly once and only the round's
    nurseries; otherwise nothing is stored. The round becomes `matched`.

    `run`: the queued or running run (services.jobs) that the result completes; without it a
    new run is made, done at once."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round.pk)
        if locked.state not in STORABLE_STATES:
            raise ValidationFailed(_("Only a round with imported applications can take a "
                                     "matching result."), code="bad_state")
        if run is not None and run.round_id != locked.pk:
            raise ValidationFailed(_("The result does not name exactly the applications of "
                                     "this round."), code="bad_result")
        applications = {str(application.pk): application for application in
                        Application.objects.filter(
                            round=locked, household__online_status__in=SELECTED_STATUSES)
                        .select_related(
                            "current_nursery", "household")}
        if set(result.assignment) != set(applications):
            raise ValidationFailed(_("The result does not name exactly the applications of "
                                     "this round."), code="bad_result")
        codes = {code for code in result.assignment.values() if code is not None}
        nurseries = {nursery.code: nursery
                     for nursery in Nursery.objects.filter(code__in=codes)}
        if codes - set(nurseries):
            raise ValidationFailed(_("The result names nurseries that do not exist."),
                                   code="bad_result")
        by_family: dict[str, list[str]] = {}
        for child_id, application in applications.items():
            by_family.setdefault(application.household.family_code, []).append(child_id)
        blocking = {child_id for coalition in result.blocking_coalitions
                    for child_id in by_family.get(coalition.family_id, ())}
        now = timezone.now()
        figures = {"solver": result.solver[:40], "status": result.status[:20],
                   "seconds": result.seconds, "placed": result.placed,
                   "blocking_coalitions": _coalitions_json(result), "run_at": now,
                   "state": MatchingRun.State.DONE, "phase": MatchingRun.Phase.WAITING,
                   "finished_at": now}
        if run is None:
            run = MatchingRun.objects.create(round=locked, run_by=actor, requested_at=now,
                                             started_at=now, **figures)
        else:
            for name, value in figures.items():
                setattr(run, name, value)
            run.save(update_fields=[*figures])
        Placement.objects.bulk_create([
            Placement(run=run, application=application,
                      nursery=nurseries.get(result.assignment[child_id]),
                      kept_current=bool(application.current_nursery and
                                        application.current_nursery.code ==
                                        result.assignment[child_id]),
                      in_blocking_coalition=child_id in blocking)
            for child_id, application in sorted(applications.items(),
                                                key=lambda pair: pair[1].pk)])
        locked.state = AdmissionRound.State.MATCHED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, action="childcare.round.result_store", target=locked,
                     details={"run": run.pk, "solver": run.solver, "status": run.status,
                              "placed": run.placed, "applications": len(applications),
                              "blocking_coalitions": len(result.blocking_coalitions)})
    return run
