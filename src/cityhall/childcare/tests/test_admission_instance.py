"""Between the database and the matching engine (取組7): the exact Instance of a round, and a
hand-made Result stored as a matching run."""

import pytest

from cityhall.childcare.matching import model as m
from cityhall.childcare.models import AdmissionRound, Application, MatchingRun, Placement
from cityhall.childcare.services import imports
from cityhall.childcare.services.instance import instance_for_round, round_result_store
from cityhall.childcare.services.priority import lottery_number
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent

from .admission_fixtures import (
    APRIL_2027,
    STANDARD_CAPACITIES,
    STANDARD_ROWS,
    application_row,
    applications_csv,
    capacities_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    admission_round.refresh_from_db()
    return admission_round


def ids(round_):
    return {a.number: str(a.pk) for a in Application.objects.filter(round=round_)}


def test_instance_for_round_is_exact(imported):
    pk = ids(imported)
    instance = instance_for_round(imported)
    assert instance.facilities == (
        m.Facility(id="N1", name="テスト第一保育園", seats={0: 3, 1: 2, 2: 1},
                   pools=(m.SeatPool(age_classes=frozenset({3, 4, 5}), seats=2),)),
        m.Facility(id="N2", name="テスト第二保育園",
                   seats={0: 1, 1: 0, 2: 2, 3: 1, 4: 1, 5: 1}),
        m.Facility(id="N3", name="テスト第三保育園", seats={0: 2, 1: 2}),
    )

    def lottery(number):
        return lottery_number(Application.objects.select_related("round").get(number=number))

    # Rules of the fixture table: ひとり親 first, lower tax first, then the lottery.
    assert instance.children == (
        m.Child(id=pk["A001"], family_id="H1", age_class=0, wishes=("N1", "N2"),
                priority=(-40, 1, (0, 100_000), lottery("A001"), "A001"), score=40),
        m.Child(id=pk["A002"], family_id="H2", age_class=2, wishes=("N2",),
                priority=(-31, 1, (0, 50_000), lottery("A002"), "A002"), score=31),
        m.Child(id=pk["A003"], family_id="H3", age_class=2, wishes=("N3", "N1"),
                priority=(-40, 0, (0, 100_000), lottery("A003"), "A003"), score=40,
                current_facility="N2"),
        m.Child(id=pk["A004"], family_id="H4", age_class=0, wishes=("N1", "N3"),
                priority=(-42, 1, (0, 100_000), lottery("A004"), "A004"), score=42),
        m.Child(id=pk["A005"], family_id="H4", age_class=0, wishes=("N1", "N3"),
                priority=(-42, 1, (0, 100_000), lottery("A005"), "A005"), score=42),
    )
    assert instance.families == (
        m.Family(id="H1", child_ids=(pk["A001"],)),
        m.Family(id="H2", child_ids=(pk["A002"],)),
        m.Family(id="H3", child_ids=(pk["A003"],)),
        m.Family(id="H4", child_ids=(pk["A004"], pk["A005"]),
                 sibling_rule=m.SiblingRule.SAME_FACILITY_ONLY),
    )


def test_families_list_the_eldest_first_and_wished_nurseries_without_seats(
        admission_round, officer):
    rows = [application_row("B1", "F1", "2026-05-01", ["N3"], rule="同一施設希望"),
            application_row("B2", "F1", "2024-05-01", ["N3"], rule="同一施設希望")]
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(rows))
    pk = ids(admission_round)
    instance = instance_for_round(admission_round)
    assert instance.families == (m.Family(id="F1", child_ids=(pk["B2"], pk["B1"]),
                                          sibling_rule=m.SiblingRule.SAME_PREFERRED),)
    # N3 has no seats in this round (none imported) but is wished: the engine knows it.
    assert instance.facilities == (m.Facility(id="N3", name="テスト第三保育園"),)


def test_wish_order_never_changes_priority(admission_round, officer, points_table):
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    before = {c.family_id + c.priority[-1]: c.priority
              for c in instance_for_round(admission_round).children}
    other = AdmissionRound.objects.create(name="other", admission_date=APRIL_2027,
                                          points_table=points_table, lottery_seed=7)
    reordered = [row[:16] + list(reversed([w for w in row[16:] if w])) +
                 [""] * (20 - len([w for w in row[16:] if w])) for row in STANDARD_ROWS]
    imports.applications_import(round=other, actor=officer, raw=applications_csv(reordered))
    after_children = instance_for_round(other).children
    assert {c.family_id + c.priority[-1]: c.priority for c in after_children} == before
    assert after_children[0].wishes == ("N2", "N1")


def result_for(round_, assignment_by_number, **kwargs):
    pk = ids(round_)
    return m.Result(assignment={pk[n]: f for n, f in assignment_by_number.items()},
                    solver="hand-made", **kwargs)


def test_round_result_store(imported, officer):
    result = result_for(imported, {"A001": "N1", "A002": None, "A003": "N2", "A004": "N3",
                                   "A005": "N3"}, status="optimal", seconds=1.5,
                        blocking_coalitions=[m.BlockingCoalition(
                            family_id="H2", places={"x": "N2"}, displaced=("y",))])
    run = round_result_store(round=imported, result=result, actor=officer)
    assert (run.solver, run.status, run.seconds, run.placed, run.run_by) == \
        ("hand-made", "optimal", 1.5, 4, officer)
    assert run.blocking_coalitions == [{"family_id": "H2", "places": {"x": "N2"},
                                        "displaced": ["y"]}]
    placements = [(p.application.number, p.nursery.code if p.nursery else None,
                   p.kept_current, p.in_blocking_coalition)
                  for p in Placement.objects.filter(run=run).select_related(
                      "application", "nursery").order_by("application__number")]
    assert placements == [("A001", "N1", False, False), ("A002", None, False, True),
                          ("A003", "N2", True, False), ("A004", "N3", False, False),
                          ("A005", "N3", False, False)]
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.MATCHED
    event = AuditEvent.objects.get(action="childcare.round.result_store")
    assert event.details == {"run": run.pk, "solver": "hand-made", "status": "optimal",
                             "placed": 4, "applications": 5, "blocking_coalitions": 1}
    # A re-run adds a run and keeps the first.
    round_result_store(round=imported, result=result, actor=officer)
    assert MatchingRun.objects.filter(round=imported).count() == 2


@pytest.mark.parametrize("assignment", [
    {"A001": "N1"},  # applications missing
    {"A001": "N1", "A002": None, "A003": "N2", "A004": "N3", "A005": "N9"},  # no such nursery
])
def test_round_result_store_refuses_results_of_another_round(imported, officer, assignment):
    with pytest.raises(ValidationFailed) as caught:
        round_result_store(round=imported, result=result_for(imported, assignment),
                           actor=officer)
    assert caught.value.code == "bad_result"
    assert not MatchingRun.objects.exists()
    imported.refresh_from_db()
    assert imported.state == AdmissionRound.State.IMPORTED


def test_round_result_store_needs_the_permission_and_applications(
        admission_round, imported, officer, shiba_clerk):
    result = result_for(imported, {"A001": None, "A002": None, "A003": None, "A004": None,
                                   "A005": None})
    with pytest.raises(PermissionDeniedError):
        round_result_store(round=imported, result=result, actor=shiba_clerk)
    imported.state = AdmissionRound.State.DRAFT
    imported.save()
    with pytest.raises(ValidationFailed) as caught:
        round_result_store(round=imported, result=result, actor=officer)
    assert caught.value.code == "bad_state"
    assert not Placement.objects.exists()
