"""Importing seats and applications (取組7): CSV in UTF-8 and Shift_JIS, Excel; every bad row
named with its column, and nothing changed."""

import datetime
import io

import pytest
from django.utils import translation

from cityhall.childcare.models import (
    AdmissionRound,
    Application,
    ApplicationWish,
    Household,
    RoundCapacity,
    RoundSeatPool,
)
from cityhall.childcare.services import imports
from cityhall.childcare.services.tables import ImportFailed, RowError
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent

from .admission_fixtures import (
    STANDARD_CAPACITIES,
    STANDARD_ROWS,
    application_row,
    applications_csv,
    capacities_csv,
)

pytestmark = pytest.mark.django_db


def xlsx(columns, rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        # Excel keeps dates as dates and numbers as numbers.
        cells = []
        for value in row:
            if len(value) == 10 and value[4] == "-" and value[:4].isdigit():
                value = datetime.datetime.fromisoformat(value)
            elif value.isdigit():
                value = int(value)
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def summary(round_):
    return [(a.number, a.household.family_code, a.age_class, a.score,
             a.current_nursery.code if a.current_nursery else None, list(a.wish_codes()))
            for a in Application.objects.filter(round=round_).order_by("number")]


EXPECTED = [
    ("A001", "H1", 0, 40, None, ["N1", "N2"]),
    ("A002", "H2", 2, 31, None, ["N2"]),
    ("A003", "H3", 2, 40, "N2", ["N3", "N1"]),
    ("A004", "H4", 0, 42, None, ["N1", "N3"]),
    ("A005", "H4", 0, 42, None, ["N1", "N3"]),
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_applications_import_csv(admission_round, officer, encoding):
    raw = applications_csv(STANDARD_ROWS, encoding=encoding)
    assert imports.applications_import(round=admission_round, raw=raw, actor=officer) == 5
    assert summary(admission_round) == EXPECTED
    h4 = Household.objects.get(round=admission_round, family_code="H4")
    assert (h4.sibling_rule, h4.resident_tax, h4.single_parent) == \
        ("same_facility_only", 100_000, False)
    h3 = Household.objects.get(round=admission_round, family_code="H3")
    assert (h3.single_parent, h3.branch_office.code) == (True, "shiba")
    a002 = Application.objects.get(number="A002")
    assert (a002.basic_points, a002.adjustment_points) == (32, -1)
    assert [entry["code"] for entry in a002.score_breakdown] == ["full", "part", "short"]
    admission_round.refresh_from_db()
    assert admission_round.state == AdmissionRound.State.IMPORTED
    event = AuditEvent.objects.filter(action="childcare.round.applications_import").get()
    assert event.details == {"applications": 5, "households": 4, "wishes": 9}
    assert "テスト" not in str(event.details)  # no child's name in the log


def test_applications_import_xlsx(admission_round, officer):
    raw = xlsx(imports.APPLICATION_COLUMNS, STANDARD_ROWS)
    assert imports.applications_import(round=admission_round, raw=raw, filename="a.xlsx",
                                       actor=officer) == 5
    assert summary(admission_round) == EXPECTED


def test_a_second_import_replaces_the_first(admission_round, officer):
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS[:1]))
    assert summary(admission_round) == EXPECTED[:1]
    assert Household.objects.filter(round=admission_round).count() == 1


def test_capacities_import_csv_and_xlsx(admission_round, officer):
    assert imports.capacities_import(round=admission_round, actor=officer,
                                     raw=capacities_csv(STANDARD_CAPACITIES)) == 3
    seats = sorted(RoundCapacity.objects.filter(round=admission_round).values_list(
        "nursery__code", "age_class", "seats"))
    assert seats == [("N1", 0, 3), ("N1", 1, 2), ("N1", 2, 1), ("N2", 0, 1), ("N2", 1, 0),
                     ("N2", 2, 2), ("N2", 3, 1), ("N2", 4, 1), ("N2", 5, 1), ("N3", 0, 2),
                     ("N3", 1, 2)]
    assert list(RoundSeatPool.objects.values_list("nursery__code", "age_classes", "seats")) \
        == [("N1", [3, 4, 5], 2)]
    imports.capacities_import(round=admission_round, actor=officer, filename="c.xlsx",
                              raw=xlsx(imports.CAPACITY_COLUMNS, STANDARD_CAPACITIES[2:]))
    assert sorted(RoundCapacity.objects.filter(round=admission_round).values_list(
        "nursery__code", "age_class", "seats")) == [("N3", 0, 2), ("N3", 1, 2)]
    assert not RoundSeatPool.objects.exists()


def test_templates_have_the_header_row():
    assert imports.applications_template().decode("utf-8-sig").splitlines() == [
        ",".join(imports.APPLICATION_COLUMNS)]
    assert imports.capacities_template().decode("utf-8-sig") == \
        "施設コード,施設名,0歳児,1歳児,2歳児,3歳児,4歳児,5歳児,共有クラス,共有人数\r\n"


def errors_of(round_, officer, rows, **kwargs) -> list[tuple[int, str]]:
    imports.applications_import(round=round_, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    before = summary(round_)
    with pytest.raises(ImportFailed) as caught:
        imports.applications_import(round=round_, actor=officer,
                                    raw=applications_csv(rows, **kwargs))
    assert summary(round_) == before  # nothing changed
    assert AuditEvent.objects.filter(action="childcare.round.applications_import").count() == 1
    return [(error.row, error.column) for error in caught.value.errors]


def test_bad_date_names_row_and_column(admission_round, officer):
    rows = [*STANDARD_ROWS[:2], application_row("A009", "H9", "2026-02-30", ["N1"])]
    assert errors_of(admission_round, officer, rows) == [(4, "生年月日")]


def test_child_born_after_admission_or_past_nursery_age(admission_round, officer):
    rows = [application_row("A1", "H1", "2027-04-02", ["N1"]),
            application_row("A2", "H2", "2021-04-01", ["N1"])]
    assert errors_of(admission_round, officer, rows) == [(2, "生年月日"), (3, "生年月日")]


def test_unknown_nursery_code(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1", "N9"]),
            application_row("A2", "H2", "2026-05-01", ["N1"], current="X")]
    assert errors_of(admission_round, officer, rows) == [(2, "希望2"), (3, "在園施設コード")]


def test_21_wishes(admission_round, officer):
    columns = [*imports.APPLICATION_COLUMNS, "希望21"]
    row = [*application_row("A1", "H1", "2026-05-01", ["N1"]), "", "N2"]  # after 施設別加点
    assert errors_of(admission_round, officer, [row], columns=columns) == [(1, "希望21")]


def test_duplicate_wish_and_current_nursery_as_wish(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1", "N2", "N1"]),
            application_row("A2", "H2", "2025-05-01", ["N1", "N2"], current="N2")]
    assert errors_of(admission_round, officer, rows) == [(2, "希望3"), (3, "希望2")]


def test_sibling_group_with_a_rule_but_one_child(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1"], rule="all_or_none"),
            application_row("A2", "H2", "2026-05-01", ["N1"])]
    assert errors_of(admission_round, officer, rows) == [(2, "兄弟姉妹ルール")]


def test_bad_sibling_rule(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1"], rule="together-please"),
            application_row("A2", "H1", "2025-05-01", ["N1"], rule="together-please")]
    assert errors_of(admission_round, officer, rows) == [(2, "兄弟姉妹ルール"),
                                                         (3, "兄弟姉妹ルール")]


def test_japanese_sibling_rule_labels_are_accepted(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1"], rule="全員入所"),
            application_row("A2", "H1", "2025-05-01", ["N1"], rule="全員入所")]
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(rows))
    assert Household.objects.get(round=admission_round).sibling_rule == "all_or_none"


def test_household_columns_must_agree(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1"], tax="1000"),
            application_row("A2", "H1", "2025-05-01", ["N1"], tax="2000", single="1")]
    assert errors_of(admission_round, officer, rows) == [(3, "住民税所得割額"), (3, "ひとり親")]


def test_points_flags_numbers_and_duplicates(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-05-01", ["N1"], parent1="sibling"),
            application_row("A1", "H2", "2026-05-01", ["N1"], adjustments="full;nope"),
            application_row("A3", "H3", "2026-05-01", ["N1"], tax="-5", single="maybe"),
            application_row("A5", "H5", "2026-05-01", ["N1"], tax="9" * 30),
            application_row("A4", "H4", "2026-05-01", [], parent1="")]
    assert errors_of(admission_round, officer, rows) == [
        (2, "保護者1"), (3, "申込番号"), (3, "調整項目"), (3, "調整項目"),
        (4, "住民税所得割額"), (4, "ひとり親"), (5, "住民税所得割額"), (6, "保護者1"),
        (6, "希望1")]


def test_error_messages_are_readable(admission_round, officer):
    rows = [application_row("A1", "H1", "2026-02-30", ["N1"])]
    with translation.override("en"):
        with pytest.raises(ImportFailed) as caught:
            imports.applications_import(round=admission_round, actor=officer,
                                        raw=applications_csv(rows))
        assert str(caught.value.errors[0]) == \
            "Row 2, column “生年月日”: “2026-02-30” is not a date: write it as 2025-04-01."
        assert caught.value.message.startswith("The file has 1 error; nothing was imported.")
        assert caught.value.as_dict()["errors"] == [
            {"row": 2, "column": "生年月日",
             "message": "“2026-02-30” is not a date: write it as 2025-04-01."}]
        assert str(RowError(3, "", "x")) == "Row 3: x"
    # In Japanese (the portal's default) the same message is translated.
    with translation.override("ja"):
        with pytest.raises(ImportFailed) as caught:
            imports.applications_import(round=admission_round, actor=officer,
                                        raw=applications_csv(rows))
        assert str(caught.value.errors[0]).startswith("2行目、列「生年月日」：")


def test_capacity_errors_change_nothing(admission_round, officer):
    imports.capacities_import(round=admission_round, actor=officer,
                              raw=capacities_csv(STANDARD_CAPACITIES))
    rows = [["N1", "", "3", "x", "", "", "", "", "", "99999"],
            ["N9", "", "1", "", "", "", "", "", "", ""],
            ["N2", "", "", "", "", "", "", "", "3-9", "2"],
            ["N1", "", "", "", "", "", "", "", "3,4", ""]]
    with pytest.raises(ImportFailed) as caught:
        imports.capacities_import(round=admission_round, actor=officer,
                                  raw=capacities_csv(rows))
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (2, "1歳児"), (2, "共有人数"), (2, "共有クラス"), (3, "施設コード"), (4, "共有クラス"),
        (5, "施設コード"), (5, "共有人数")]
    assert RoundCapacity.objects.filter(round=admission_round).count() == 11


@pytest.mark.parametrize(("raw", "code"), [
    (b"", "empty"), (b"\x82\xa0\xff\xfe\x00\x81", "bad_encoding"),
    (b"PK\x03\x04 not really a workbook", "bad_file"), (b"\n\n", "empty"),
])
def test_unreadable_files(admission_round, officer, raw, code):
    with pytest.raises(ValidationFailed) as caught:
        imports.applications_import(round=admission_round, raw=raw, actor=officer)
    assert caught.value.code == code
    assert not Application.objects.exists()


def test_import_needs_the_permission_and_an_open_round(admission_round, officer, shiba_clerk):
    raw = applications_csv(STANDARD_ROWS)
    with pytest.raises(PermissionDeniedError):
        imports.applications_import(round=admission_round, raw=raw, actor=shiba_clerk)
    with pytest.raises(PermissionDeniedError):
        imports.capacities_import(round=admission_round, raw=raw, actor=None)
    admission_round.state = AdmissionRound.State.MATCHED
    admission_round.save()
    with pytest.raises(ValidationFailed) as caught:
        imports.applications_import(round=admission_round, raw=raw, actor=officer)
    assert caught.value.code == "bad_state"
    assert not Application.objects.exists()
    assert not ApplicationWish.objects.exists()
