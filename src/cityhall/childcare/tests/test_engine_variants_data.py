"""The staggered sibling rules (別月入所可) and the adjustments at one nursery (施設別加点) in
the data layer of nursery admission (取組7): the import's values, labels and column checks
(row and column named, nothing changed), the engine's view of them, and the child page."""

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.childcare.matching import model as m
from cityhall.childcare.models import Application, ApplicationPoints, Household, PointsItem
from cityhall.childcare.services import imports, runs
from cityhall.childcare.services.instance import instance_for_round
from cityhall.childcare.services.tables import ImportFailed

from .admission_fixtures import application_row, applications_csv, capacities_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture
def sibling_at(points_table):
    return PointsItem.objects.create(table=points_table, kind=PointsItem.Kind.FACILITY,
                                     code="sibling-at", label="兄弟姉妹が在園する施設", points=2)


def row(number, family, born, wishes, at_nursery="", **fields):
    return [*application_row(number, family, born, wishes, **fields), at_nursery]


def errors_of(round_, officer, rows):
    with pytest.raises(ImportFailed) as caught:
        imports.applications_import(round=round_, actor=officer, raw=applications_csv(rows))
    assert not Household.objects.filter(round=round_).exists()  # nothing imported
    return [(error.row, error.column) for error in caught.value.errors]


@pytest.mark.parametrize(("given", "stored"), [
    ("同一施設・別月入所可", "staggered_same_facility"),
    ("別施設可・別月入所可", "staggered_separate"),
    ("staggered_same_facility", "staggered_same_facility"),
    ("staggered_separate", "staggered_separate"),
])
def test_staggered_rules_are_imported_by_label_or_value(admission_round, officer, given,
                                                        stored):
    rows = [row("A1", "H1", "2026-05-01", ["N1"], rule=given),
            row("A2", "H1", "2024-05-01", ["N1"], rule=given)]
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(rows))
    assert Household.objects.get(round=admission_round).sibling_rule == stored
    (family,) = instance_for_round(admission_round).families
    assert family.sibling_rule == m.SiblingRule(stored)


def test_the_template_has_the_column_and_the_error_lists_the_new_labels(admission_round,
                                                                        officer):
    assert imports.APPLICATION_COLUMNS[-1] == "施設別加点"
    rows = [row("A1", "H1", "2026-05-01", ["N1"], rule="別月"),
            row("A2", "H1", "2024-05-01", ["N1"], rule="別月")]
    with translation.override("en"), pytest.raises(ImportFailed) as caught:
        imports.applications_import(round=admission_round, actor=officer,
                                    raw=applications_csv(rows))
    assert "同一施設・別月入所可" in caught.value.errors[0].message
    assert "別施設可・別月入所可" in caught.value.errors[0].message


def test_adjustments_at_one_nursery_are_imported_and_given_to_the_engine(
        admission_round, officer, sibling_at):
    rows = [row("A1", "H1", "2026-05-01", ["N1", "N2"], at_nursery="sibling-at:N1"),
            row("A2", "H2", "2026-05-01", ["N2"], adjustments="sibling",
                at_nursery="sibling-at:N3、sibling-at：N2")]
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(rows))
    a1 = Application.objects.get(number="A1")
    assert (a1.score, a1.adjustment_points) == (40, 0)  # not in the score
    assert [entry["code"] for entry in a1.score_breakdown] == ["full", "full"]
    assert [(p.item.code, p.nursery.code) for p in
            ApplicationPoints.objects.filter(application=a1, nursery__isnull=False)] == [
        ("sibling-at", "N1")]
    children = {c.priority[-1]: c for c in instance_for_round(admission_round).children}
    assert children["A1"].bonuses == (m.Bonus("N1", 2, "sibling-at"),)
    assert children["A1"].score_at("N1") == 42 and children["A1"].score_at("N2") == 40
    assert children["A2"].bonuses == (m.Bonus("N3", 2, "sibling-at"),
                                      m.Bonus("N2", 2, "sibling-at"))
    assert children["A2"].score == 42


def test_adjustment_at_one_nursery_errors_name_row_and_column(admission_round, officer,
                                                              sibling_at):
    column = "施設別加点"
    rows = [row("A1", "H1", "2026-05-01", ["N1"], at_nursery="sibling-at"),
            row("A2", "H2", "2026-05-01", ["N1"], at_nursery="nope:N1"),
            row("A3", "H3", "2026-05-01", ["N1"], at_nursery="sibling:N1"),
            row("A4", "H4", "2026-05-01", ["N1"], at_nursery="sibling-at:N9"),
            row("A5", "H5", "2026-05-01", ["N1"], at_nursery="sibling-at:N1;sibling-at:N1"),
            row("A6", "H6", "2026-05-01", ["N1"], adjustments="sibling-at")]
    assert errors_of(admission_round, officer, rows) == [
        (2, column), (3, column), (4, column), (5, column), (6, column), (7, "調整項目")]
    with translation.override("en"), pytest.raises(ImportFailed) as caught:
        imports.applications_import(round=admission_round, actor=officer,
                                    raw=applications_csv(rows))
    messages = [error.message for error in caught.value.errors]
    assert messages[0] == ("Write “sibling-at” as item code:nursery code, e.g. "
                           "“sibling-same:N001”.")
    assert messages[2] == "“sibling” is not an adjustment at one nursery of the points table."
    assert messages[3] == "No nursery has the code “N9”."
    assert messages[4] == "“sibling-at:N1” is given twice."
    assert messages[5] == ("“sibling-at” counts at one nursery only: give it in the column "
                           "施設別加点 as “sibling-at:nursery code”.")


@pytest.fixture
def bonus_round(admission_round, officer, sibling_at):
    imports.capacities_import(round=admission_round, actor=officer, raw=capacities_csv([
        ["N1", "", "1", "", "", "", "", "", "", ""],
        ["N2", "", "1", "", "", "", "", "", "", ""]]))
    imports.applications_import(round=admission_round, actor=officer, raw=applications_csv([
        # 40, no bonus; 39 + 2 at N1; 24 + 2 at N1.
        row("A1", "H1", "2026-05-01", ["N1", "N2"]),
        row("A2", "H2", "2026-05-01", ["N1", "N2"], adjustments="short",
            at_nursery="sibling-at:N1"),
        row("A3", "H3", "2026-05-01", ["N1"], parent1="part", parent2="part",
            at_nursery="sibling-at:N1")]))
    runs.round_run(round=admission_round, actor=officer)
    return admission_round


def test_the_bonus_decides_the_placement_and_the_child_page_shows_it(client, bonus_round,
                                                                     officer):
    placed = {p.application.number: p.nursery.code if p.nursery else None
              for p in runs.latest_run(bonus_round).placements.select_related(
                  "application", "nursery")}
    assert placed == {"A1": "N2", "A2": "N1", "A3": None}
    client.force_login(officer)

    def page(number):
        pk = Application.objects.get(round=bonus_round, number=number).pk
        response = client.get(reverse("childcare:application", args=[pk]),
                              HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return response

    a2 = page("A2")
    assert a2.context["wishes"][0]["score_here"] == 41
    assert a2.context["wishes"][1]["score_here"] == 39
    content = a2.content.decode()
    assert "Points at one nursery only" in content
    assert "兄弟姉妹が在園する施設" in content
    a1 = page("A1")
    assert a1.context["wishes"][0]["status"] == (
        "Full in age class 0: the last child admitted had score 41 here (2 of it points at "
        "this nursery only); decided by the score.")
    a3 = page("A3")
    assert a3.context["wishes"][0]["status"] == (
        "Full in age class 0: the last child admitted had score 41 here (2 of it points at "
        "this nursery only); decided by the score. Your score here is 24 + 2 "
        "(兄弟姉妹が在園する施設) = 26.")


def test_the_child_page_names_the_staggered_rule(client, admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer, raw=capacities_csv([
        ["N1", "", "0", "1", "", "", "", "", "", ""],
        ["N2", "", "1", "1", "", "", "", "", "", ""]]))
    # The elder (1歳) could have N1 alone, but the younger does not wish N1: the elder goes
    # to N2 alone, where the younger (not admitted: N2's 0歳 seat goes to A3) can join later.
    imports.applications_import(round=admission_round, actor=officer, raw=applications_csv([
        row("A1", "H1", "2025-05-01", ["N1", "N2"], rule="同一施設・別月入所可",
            parent2="part"),
        row("A2", "H1", "2026-05-01", ["N2"], rule="同一施設・別月入所可", parent2="part"),
        row("A3", "H3", "2026-05-01", ["N2"])]))
    runs.round_run(round=admission_round, actor=officer)
    placed = {p.application.number: p.nursery.code if p.nursery else None
              for p in runs.latest_run(admission_round).placements.select_related(
                  "application", "nursery")}
    assert placed == {"A1": "N2", "A2": None, "A3": "N2"}
    client.force_login(officer)
    pk = Application.objects.get(round=admission_round, number="A1").pk
    response = client.get(reverse("childcare:application", args=[pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["rule_label"] == "同一施設・別月入所可"
    assert response.context["wishes"][0]["status"] == (
        "The score was high enough, but under the family's sibling rule (同一施設・別月入所可) "
        "a child admitted alone must be at a nursery every waiting sibling also wishes, so "
        "that they can join later, and not every sibling wished this one.")
