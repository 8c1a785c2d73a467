"""The child's page explains each wish, and staff change a placement only with a reason and
only where a seat is free (取組7)."""

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.childcare.models import AdmissionRound, Application, Placement
from cityhall.childcare.services import imports, runs
from cityhall.core.errors import ValidationFailed
from cityhall.core.models import AuditEvent

from .admission_fixtures import application_row, applications_csv, capacities_csv

pytestmark = pytest.mark.django_db

# One seat each in the 0-year-old class of N1 and N2. B1 (40 points, lower tax) gets N1, B2
# (32 points) N2, B3 (40 points, higher tax) only wished N1 and gets nothing.
CAPACITIES = [["N1", "", "1", "", "", "", "", "", "", ""],
              ["N2", "", "1", "", "", "", "", "", "", ""]]
ROWS = [application_row("B1", "H1", "2026-05-10", ["N1", "N2"], tax="100000"),
        application_row("B2", "H2", "2026-05-11", ["N1", "N2"], parent2="part"),
        application_row("B3", "H3", "2026-05-12", ["N1"], tax="200000")]


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture
def matched(admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(CAPACITIES))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(ROWS))
    runs.round_run(round=admission_round, actor=officer)
    return admission_round


def placed(round_) -> dict[str, str | None]:
    return {row.application.number: row.nursery.code if row.nursery else None
            for row in Placement.objects.filter(run=runs.latest_run(round_))
            .select_related("application", "nursery")}


def pk(round_, number) -> int:
    return Application.objects.get(round=round_, number=number).pk


def test_the_result_and_the_explanations(client, matched, officer):
    assert placed(matched) == {"B1": "N1", "B2": "N2", "B3": None}
    client.force_login(officer)
    response = client.get(reverse("childcare:application", args=[pk(matched, "B3")]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [row["status"] for row in response.context["wishes"]] == [
        "Full in age class 0: the last child admitted had score 40; decided by tie-break "
        "rule 2: Lower value first: Resident tax, income levy (住民税所得割額)."]
    response = client.get(reverse("childcare:application", args=[pk(matched, "B2")]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert [row["status"] for row in response.context["wishes"]] == [
        "Full in age class 0: the last child admitted had score 40; decided by the score.",
        "Placed here"]
    assert list(AuditEvent.objects.filter(action="childcare.application.read")
                .values_list("target_id", flat=True).order_by("pk")) == [
        str(pk(matched, "B3")), str(pk(matched, "B2"))]


def override(client, round_, number, nursery, reason):
    return client.post(reverse("childcare:placement_override", args=[pk(round_, number)]),
                       {"nursery": nursery, "reason": reason}, HTTP_ACCEPT_LANGUAGE="en")


def test_an_override_needs_a_reason(client, matched, officer):
    client.force_login(officer)
    response = override(client, matched, "B2", "none", "  ")
    assert response.status_code == 400
    assert "Give the reason for the change." in response.content.decode()
    assert placed(matched) == {"B1": "N1", "B2": "N2", "B3": None}
    assert not AuditEvent.objects.filter(action="childcare.placement.override").exists()


def test_an_override_with_a_reason_keeps_the_original(client, matched, officer):
    client.force_login(officer)
    response = override(client, matched, "B2", "none", "辞退の申し出（電話）")
    assert response.status_code == 302
    assert placed(matched) == {"B1": "N1", "B2": None, "B3": None}
    row = Placement.objects.get(application__number="B2", run=runs.latest_run(matched))
    assert (row.original_nursery.code, row.overridden_by, row.override_reason) == (
        "N2", officer, "辞退の申し出（電話）")
    assert runs.latest_run(matched).placed == 1
    event = AuditEvent.objects.get(action="childcare.placement.override")
    assert (event.details["from"], event.details["to"], event.purpose) == (
        "N2", None, "辞退の申し出（電話）")
    # Back to N2: the original is still the engine's.
    assert override(client, matched, "B2", "N2", "取り消し").status_code == 302
    row.refresh_from_db()
    assert (row.nursery.code, row.original_nursery.code) == ("N2", "N2")


def test_an_override_beyond_the_seats_or_the_wishes_is_refused(client, matched, officer):
    client.force_login(officer)
    response = override(client, matched, "B3", "N1", "要配慮")
    assert response.status_code == 400
    assert "There is no free seat for this age class at that nursery." in \
        response.content.decode()
    # N2 is not one of B3's wishes: not even offered by the form.
    assert override(client, matched, "B3", "N2", "要配慮").status_code == 400
    with pytest.raises(ValidationFailed) as caught:
        runs.placement_override(
            placement=Placement.objects.get(application__number="B3"),
            nursery_or_none=Placement.objects.get(application__number="B2").nursery,
            reason="要配慮", actor=officer)
    assert caught.value.code == "not_wished"
    assert placed(matched) == {"B1": "N1", "B2": "N2", "B3": None}
    assert not AuditEvent.objects.filter(action="childcare.placement.override").exists()


def test_confirmed_rounds_are_not_changed_or_run_again(client, matched, officer):
    client.force_login(officer)
    assert client.post(reverse("childcare:round_confirm", args=[matched.pk])).status_code == 302
    matched.refresh_from_db()
    assert matched.state == AdmissionRound.State.CONFIRMED
    assert override(client, matched, "B2", "none", "辞退").status_code == 400
    response = client.post(reverse("childcare:round_run", args=[matched.pk]),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This round is confirmed: its result can no longer change." in \
        response.content.decode()
    assert matched.runs.count() == 1
    assert placed(matched) == {"B1": "N1", "B2": "N2", "B3": None}
