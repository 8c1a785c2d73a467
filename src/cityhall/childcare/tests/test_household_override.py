"""Staff move all the children of one household at once (取組7): one placement for the whole
family with one reason, checked as a whole by the verifier (seats, sibling rule, transfers),
audited per child, the engine's placements kept, and a refused change changes nothing."""

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.childcare.models import Application, Household, Nursery, Placement, RoundCapacity
from cityhall.childcare.services import imports, jobs, runs
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .admission_fixtures import (
    STANDARD_CAPACITIES,
    STANDARD_ROWS,
    applications_csv,
    capacities_csv,
)

pytestmark = pytest.mark.django_db

REASON = "保護者から兄弟一緒の転園希望（電話）"


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture
def matched(admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    runs.round_run(round=admission_round, actor=officer, time_limit=5)
    return admission_round


def app(round_, number) -> Application:
    return Application.objects.get(round=round_, number=number)


def placed(round_) -> dict[str, str | None]:
    return {row.application.number: row.nursery.code if row.nursery else None
            for row in Placement.objects.filter(run=runs.latest_run(round_))
            .select_related("application", "nursery")}


def snapshot(round_):
    run = runs.latest_run(round_)
    return (placed(round_), run.placed, list(Placement.objects.filter(run=run).values_list(
        "pk", "original_nursery", "override_reason", "overridden_at").order_by("pk")),
        AuditEvent.objects.filter(action="childcare.placement.override").count())


def twins(round_) -> Household:
    return Household.objects.get(round=round_, family_code="H4")


def nursery(code) -> Nursery:
    return Nursery.objects.get(code=code)


def post(client, round_, number, nursery_code, reason=REASON):
    return client.post(reverse("childcare:household_override", args=[app(round_, number).pk]),
                       {"household-nursery": nursery_code, "household-reason": reason},
                       HTTP_ACCEPT_LANGUAGE="en")


def test_the_engine_placed_the_twins_together(matched, officer):
    # A004 and A005 are twins (同一施設のみ): moving one alone is refused.
    assert placed(matched) == {"A001": "N1", "A002": "N2", "A003": "N1", "A004": "N1",
                               "A005": "N1"}
    for target in (nursery("N3"), None):
        with pytest.raises(ValidationFailed) as caught:
            runs.placement_override(
                placement=Placement.objects.get(run=runs.latest_run(matched),
                                                application=app(matched, "A004")),
                nursery_or_none=target, reason=REASON, actor=officer)
        assert caught.value.code == "sibling_rule"


def test_the_family_moves_together_and_each_child_is_audited(client, matched, officer):
    client.force_login(officer)
    run = runs.latest_run(matched)
    response = post(client, matched, "A004", "N3")
    assert response.status_code == 302
    assert placed(matched) == {"A001": "N1", "A002": "N2", "A003": "N1", "A004": "N3",
                               "A005": "N3"}
    rows = Placement.objects.filter(run=run, application__household=twins(matched)).order_by(
        "application__number")
    assert [(row.nursery.code, row.original_nursery.code, row.override_reason,
             row.overridden_by, row.kept_current) for row in rows] == [
        ("N3", "N1", REASON, officer, False), ("N3", "N1", REASON, officer, False)]
    events = AuditEvent.objects.filter(action="childcare.placement.override").order_by("pk")
    assert [(event.target_id, event.purpose, event.details) for event in events] == [
        (str(app(matched, number).pk), REASON,
         {"run": run.pk, "from": "N1", "to": "N3", "household": "H4", "children": 2})
        for number in ("A004", "A005")]
    assert events[0].actor == officer
    run.refresh_from_db()
    assert run.placed == 5
    # Then the whole family declines: both not admitted; the engine's N1 is still kept.
    assert post(client, matched, "A005", "none", "辞退").status_code == 302
    assert [(row.nursery, row.original_nursery.code) for row in rows.all()] == [
        (None, "N1"), (None, "N1")]
    run.refresh_from_db()
    assert run.placed == 3
    assert AuditEvent.objects.filter(action="childcare.placement.override").count() == 4


def test_a_family_move_beyond_the_seats_is_refused_and_nothing_changes(client, matched,
                                                                       officer):
    # N3 has one seat left in the 0-year-old class: not enough for the twins.
    RoundCapacity.objects.filter(round=matched, nursery__code="N3", age_class=0).update(seats=1)
    before = snapshot(matched)
    client.force_login(officer)
    response = post(client, matched, "A004", "N3")
    assert response.status_code == 400
    assert "There is no free seat for this age class at that nursery." in \
        response.content.decode()
    assert snapshot(matched) == before


def test_a_split_that_breaks_the_sibling_rule_is_refused_and_nothing_changes(matched,
                                                                             officer):
    before = snapshot(matched)
    a004, a005 = app(matched, "A004"), app(matched, "A005")
    with pytest.raises(ValidationFailed) as caught:
        runs.household_override(household=twins(matched),
                                nurseries={a004.pk: nursery("N1"), a005.pk: nursery("N3")},
                                reason=REASON, actor=officer)
    assert caught.value.code == "sibling_rule"
    with pytest.raises(ValidationFailed) as caught:
        runs.household_override(household=twins(matched),
                                nurseries={a004.pk: nursery("N3"), a005.pk: None},
                                reason=REASON, actor=officer)
    assert caught.value.code == "sibling_rule"
    assert snapshot(matched) == before


@pytest.mark.parametrize(("case", "code"), [
    ("one child only", "household_children"), ("not wished", "not_wished"),
    ("unchanged", "unchanged"), ("no reason", "required"), ("someone else", "household_children"),
])
def test_bad_family_changes_are_refused_and_nothing_changes(matched, officer, case, code):
    a004, a005 = app(matched, "A004"), app(matched, "A005")
    mapping = {
        "one child only": {a004.pk: nursery("N3")},
        "not wished": {a004.pk: nursery("N2"), a005.pk: nursery("N2")},
        "unchanged": {a004.pk: nursery("N1"), a005.pk: nursery("N1")},
        "no reason": {a004.pk: nursery("N3"), a005.pk: nursery("N3")},
        "someone else": {a004.pk: nursery("N3"), app(matched, "A001").pk: nursery("N3")},
    }[case]
    before = snapshot(matched)
    with pytest.raises(ValidationFailed) as caught:
        runs.household_override(household=twins(matched), nurseries=mapping,
                                reason="" if case == "no reason" else REASON, actor=officer)
    assert caught.value.code == code
    assert snapshot(matched) == before


def test_no_family_change_while_a_run_waits_or_without_the_permission(matched, officer):
    a004, a005 = app(matched, "A004"), app(matched, "A005")
    mapping = {a004.pk: nursery("N3"), a005.pk: nursery("N3")}
    before = snapshot(matched)
    clerk = StaffFactory(roles=("counter_clerk",))
    with pytest.raises(PermissionDeniedError):
        runs.household_override(household=twins(matched), nurseries=mapping, reason=REASON,
                                actor=clerk)
    jobs.matching_run_request(round=matched, actor=officer, enqueue=False)
    with pytest.raises(ValidationFailed) as caught:
        runs.household_override(household=twins(matched), nurseries=mapping, reason=REASON,
                                actor=officer)
    assert caught.value.code == "run_active"
    assert snapshot(matched) == before


def test_the_child_page_offers_the_family_form_only_for_siblings(client, matched, officer):
    client.force_login(officer)
    response = client.get(reverse("childcare:application", args=[app(matched, "A005").pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["can_override_household"]
    form = response.context["household_form"]
    # N1 and N3: the nurseries both twins wished; then "not admitted".
    assert [code for code, _label in form.fields["nursery"].choices] == ["N1", "N3", "none"]
    assert form.initial == {"nursery": "N1"}
    assert [row["application"].number for row in response.context["family"]] == [
        "A004", "A005"]
    text = response.content.decode()
    assert "Change the placements of the whole family" in text
    assert reverse("childcare:household_override", args=[app(matched, "A005").pk]) in text
    single = client.get(reverse("childcare:application", args=[app(matched, "A001").pk]))
    assert not single.context["can_override_household"]
    assert "household_override" not in single.content.decode()
    # A choice the form does not offer, or no reason: 400 with the error, nothing changed.
    before = snapshot(matched)
    assert post(client, matched, "A004", "N2").status_code == 400
    response = post(client, matched, "A004", "N3", reason=" ")
    assert response.status_code == 400
    assert "Give the reason for the change." in response.content.decode()
    assert snapshot(matched) == before


def test_the_family_form_is_refused_to_anonymous_and_other_staff(client, matched):
    url = reverse("childcare:household_override", args=[app(matched, "A004").pk])
    data = {"household-nursery": "N3", "household-reason": REASON}
    before = snapshot(matched)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(StaffFactory(roles=("counter_clerk",)))
    assert client.post(url, data).status_code == 403
    assert snapshot(matched) == before
    assert not AuditEvent.objects.filter(action="childcare.application.read").exists()
