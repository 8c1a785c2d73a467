"""Fixtures of the nursery admission tests (取組7): a 保育課 officer, three nurseries, a small
points table with tie-break rules, a round for April 2027, and helpers to write import files.
Test modules import the fixtures they use from here."""

import datetime

import pytest

from cityhall.childcare.models import AdmissionRound, Nursery, PointsItem, PointsTable
from cityhall.childcare.models import TieBreakRule as Rule
from cityhall.childcare.services import imports
from cityhall.childcare.services.tables import template_csv
from cityhall.core.models import Facility, Municipality
from cityhall.core.tests.factories import StaffFactory

APRIL_2027 = datetime.date(2027, 4, 1)


def make_nursery(code: str, name: str) -> Nursery:
    facility = Facility.objects.create(
        municipality=Municipality.objects.get(code="131032"), code=f"test-{code}", name=name,
        kind=Facility.Kind.CHILDCARE, address="東京都港区芝公園1-1")
    return Nursery.objects.create(facility=facility, code=code)


@pytest.fixture
def officer(minato):
    return StaffFactory(roles=("nursery_admissions_officer",), department="hoiku",
                        branch_office="main", email="hoiku.officer@test.cityhall.example")


@pytest.fixture
def nurseries(minato):
    return [make_nursery("N1", "テスト第一保育園"), make_nursery("N2", "テスト第二保育園"),
            make_nursery("N3", "テスト第三保育園")]


@pytest.fixture
def points_table(minato):
    table = PointsTable.objects.create(name="テスト指数表", valid_from=datetime.date(2026, 4, 1))
    for kind, code, points in [("basic", "full", 20), ("basic", "part", 12),
                               ("basic", "absent", 20), ("adjustment", "sibling", 2),
                               ("adjustment", "short", -1)]:
        PointsItem.objects.create(table=table, kind=kind, code=code, label=code, points=points)
    for position, (kind, field) in enumerate([
            (Rule.Kind.FLAG_TRUE_FIRST, Rule.Field.SINGLE_PARENT),
            (Rule.Kind.VALUE_ASCENDING, Rule.Field.RESIDENT_TAX),
            (Rule.Kind.LOTTERY, Rule.Field.NONE)], start=1):
        Rule.objects.create(table=table, position=position, kind=kind, field=field)
    return table


@pytest.fixture
def admission_round(points_table, nurseries, officer):
    return AdmissionRound.objects.create(name="2027年4月入所 一次", admission_date=APRIL_2027,
                                         points_table=points_table, lottery_seed=7,
                                         created_by=officer)


def application_row(number, family, born, wishes, *, name="テスト 児童", parent1="full",
                    parent2="full", adjustments="", current="", rule="", tax="100000",
                    single="0", assistance="0", disability="0", enrolled="0", branch=""):
    """One row in imports.APPLICATION_COLUMNS."""
    wishes = list(wishes)
    return [number, family, name, "", born, current, parent1, parent2, adjustments, rule, tax,
            single, assistance, disability, enrolled, branch, *wishes,
            *[""] * (20 - len(wishes))]


def applications_csv(rows, *, encoding="utf-8-sig", columns=None) -> bytes:
    text = template_csv(columns or imports.APPLICATION_COLUMNS, rows).decode("utf-8-sig")
    return text.encode(encoding)


def capacities_csv(rows) -> bytes:
    return template_csv(imports.CAPACITY_COLUMNS, rows)


STANDARD_ROWS = [
    application_row("A001", "H1", "2026-05-10", ["N1", "N2"]),
    application_row("A002", "H2", "2025-04-01", ["N2"], parent2="part", adjustments="short",
                    tax="50000", branch="azabu"),
    application_row("A003", "H3", "2024-12-24", ["N3", "N1"], current="N2", single="1",
                    parent2="absent", branch="shiba"),
    # Twins: one household, both in the same nursery or none.
    application_row("A004", "H4", "2026-06-01", ["N1", "N3"], rule="same_facility_only",
                    adjustments="sibling", name="テスト 一花"),
    application_row("A005", "H4", "2026-06-01", ["N1", "N3"], rule="same_facility_only",
                    adjustments="sibling", name="テスト 二葉"),
]

STANDARD_CAPACITIES = [
    ["N1", "テスト第一保育園", "3", "2", "1", "", "", "", "3-5", "2"],
    ["N2", "テスト第二保育園", "1", "0", "2", "1", "1", "1", "", ""],
    ["N3", "", "2", "2", "", "", "", "", "", ""],
]
