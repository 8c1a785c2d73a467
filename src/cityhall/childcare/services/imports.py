"""Importing a round's seats and applications from CSV (UTF-8 or Shift_JIS) or Excel (.xlsx)
files (取組7). All or nothing: every row is checked first, and one bad row (named with its row
and column) leaves the round as it was. A successful import replaces what the round had,
except the residents' online applications (`services.online`), which stay.

The column layouts are `CAPACITY_COLUMNS` and `APPLICATION_COLUMNS`; `*_template()` gives an
empty file with the header row to fill in."""

import datetime
import re
import unicodedata

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import BranchOffice
from cityhall.core.permissions import can

from ..matching.model import AGE_CLASSES, MAX_WISHES, SiblingRule
from ..models import (
    AdmissionRound,
    Application,
    ApplicationPoints,
    ApplicationWish,
    Household,
    Nursery,
    PointsItem,
    RoundCapacity,
    RoundSeatPool,
)
from .priority import age_class, score_of
from .tables import ImportFailed, RowError, read_table, template_csv

IMPORT_PERMISSION = "childcare.import_round"
IMPORTABLE_STATES = (AdmissionRound.State.DRAFT, AdmissionRound.State.IMPORTED)

AGE_COLUMNS = [f"{age}歳児" for age in AGE_CLASSES]
CAPACITY_COLUMNS = ["施設コード", "施設名", *AGE_COLUMNS, "共有クラス", "共有人数"]
WISH_COLUMNS = [f"希望{rank}" for rank in range(1, MAX_WISHES + 1)]
HOUSEHOLD_COLUMNS = ["兄弟姉妹ルール", "住民税所得割額", "ひとり親", "生活保護", "障害", "兄弟在園",
                     "支所コード"]
# 施設別加点 (optional, last so that files without it keep their layout): adjustments that
# count at one nursery only, as "item code:nursery code" entries, e.g. "sibling-same:N001".
FACILITY_POINTS_COLUMN = "施設別加点"
APPLICATION_COLUMNS = ["申込番号", "世帯番号", "児童氏名", "児童氏名カナ", "生年月日",
                       "在園施設コード", "保護者1", "保護者2", "調整項目", *HOUSEHOLD_COLUMNS,
                       *WISH_COLUMNS, FACILITY_POINTS_COLUMN]
FLAG_COLUMNS = {"ひとり親": "single_parent", "生活保護": "public_assistance", "障害": "disability",
                "兄弟在園": "sibling_enrolled"}

# The sibling rule may be given as the engine's value or as these labels.
SIBLING_RULE_LABELS = {
    "単独": SiblingRule.INDEPENDENT, "個別": SiblingRule.INDEPENDENT,
    "同一施設のみ": SiblingRule.SAME_FACILITY_ONLY, "同一施設希望": SiblingRule.SAME_PREFERRED,
    "全員入所": SiblingRule.ALL_OR_NONE, "上の子のみ可": SiblingRule.ELDER_MAY_GO_ALONE,
    "下の子のみ可": SiblingRule.YOUNGER_MAY_GO_ALONE,
    "同一施設・別月入所可": SiblingRule.STAGGERED_SAME_FACILITY,
    "別施設可・別月入所可": SiblingRule.STAGGERED_SEPARATE,
}
TRUE_WORDS = {"1", "はい", "有", "あり", "○", "〇", "true", "yes", "y"}
FALSE_WORDS = {"", "0", "いいえ", "無", "なし", "×", "false", "no", "n"}
DATE_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
CODE_SEPARATORS = re.compile(r"[;,、\s]+")


def capacities_template() -> bytes:
    return template_csv(CAPACITY_COLUMNS)


def applications_template() -> bytes:
    return template_csv(APPLICATION_COLUMNS)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


class _Sheet:
    """The rows of an uploaded file by column name, collecting errors."""

    def __init__(self, raw: bytes, filename: str, columns: list[str], required: list[str]):
        rows = read_table(raw, filename)
        self.header = [_norm(name) for name in rows[0]]
        self.errors: list[RowError] = []
        for index, name in enumerate(self.header):
            if not name:
                continue
            if name not in columns:
                match = re.fullmatch(r"希望(\d+)", name)
                if match and int(match.group(1)) > MAX_WISHES:
                    self.error(1, name, _("At most %(max)d wishes are allowed (希望1 to 希望"
                                          "%(max)d).") % {"max": MAX_WISHES})
                else:
                    self.error(1, name, _("Unknown column."))
            elif self.header.index(name) != index:
                self.error(1, name, _("The column appears twice."))
        for name in required:
            if name not in self.header:
                self.error(1, name, _("The column is missing."))
        self.rows = [(number, row) for number, row in enumerate(rows[1:], start=2)
                     if any(cell.strip() for cell in row)]

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def get(self, row: list[str], column: str) -> str:
        try:
            return row[self.header.index(column)].strip()
        except (ValueError, IndexError):
            return ""

    def fail_if_errors(self) -> None:
        if self.errors:
            raise ImportFailed(sorted(self.errors, key=lambda error: error.row))


def _locked_round(round_: AdmissionRound, actor) -> AdmissionRound:
    if not can(actor, IMPORT_PERMISSION):
        raise PermissionDeniedError()
    locked = AdmissionRound.objects.select_for_update().get(pk=round_.pk)
    if locked.state not in IMPORTABLE_STATES:
        raise ValidationFailed(_("This round is already matched: its data can no longer be "
                                 "replaced."), code="bad_state")
    return locked


def _int(sheet: _Sheet, number: int, column: str, text: str,
         maximum: int = 9_999) -> int | None:
    text = _norm(text).replace(",", "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        sheet.error(number, column, _("Not a whole number of 0 or more."))
        return None
    if len(text) > 15 or int(text) > maximum:
        sheet.error(number, column, _("The number is larger than %(max)d.")
                    % {"max": maximum})
        return None
    return int(text)


# --- capacities -------------------------------------------------------------------------------

def _age_classes(text: str) -> list[int] | None:
    text = _norm(text).replace("歳児", "").replace("歳", "")
    match = re.fullmatch(r"(\d)\s*[-~〜]\s*(\d)", text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        ages = list(range(low, high + 1))
    else:
        parts = [part for part in CODE_SEPARATORS.split(text) if part]
        if not all(part.isdigit() for part in parts):
            return None
        ages = sorted({int(part) for part in parts})
    if len(ages) < 2 or any(age not in AGE_CLASSES for age in ages):
        return None
    return ages


def capacities_import(*, round: AdmissionRound, raw: bytes, filename: str = "",
                      actor) -> int:
    """Replace the round's seats (募集人数) per nursery and age class, and its shared seats,
    from a file in `CAPACITY_COLUMNS`. Returns the number of nurseries imported."""
    if not can(actor, IMPORT_PERMISSION):
        raise PermissionDeniedError()
    sheet = _Sheet(raw, filename, CAPACITY_COLUMNS, ["施設コード"])
    nurseries = {nursery.code: nursery for nursery in Nursery.objects.filter(is_active=True)}
    seen: dict[str, int] = {}
    capacities, pools = [], []
    for number, row in sheet.rows:
        code = _norm(sheet.get(row, "施設コード"))
        nursery = nurseries.get(code)
        if not code:
            sheet.error(number, "施設コード", _("The nursery code is missing."))
        elif nursery is None:
            sheet.error(number, "施設コード", _("No nursery has the code “%(code)s”.")
                        % {"code": code})
        elif code in seen:
            sheet.error(number, "施設コード", _("The nursery is already on row %(row)d.")
                        % {"row": seen[code]})
        seen.setdefault(code, number)
        for age, column in zip(AGE_CLASSES, AGE_COLUMNS, strict=True):
            seats = _int(sheet, number, column, sheet.get(row, column))
            if seats is not None and nursery is not None:
                capacities.append(RoundCapacity(nursery=nursery, age_class=age, seats=seats))
        shared, shared_seats = sheet.get(row, "共有クラス"), sheet.get(row, "共有人数")
        ages = _age_classes(shared) if shared else None
        if shared and ages is None:
            sheet.error(number, "共有クラス", _("Give two or more age classes from 0 to 5, "
                                             "e.g. “3-5” or “3,4,5”."))
        seats = _int(sheet, number, "共有人数", shared_seats)
        if bool(shared) != bool(_norm(shared_seats)):
            sheet.error(number, "共有人数" if shared else "共有クラス",
                        _("Shared seats need both the age classes and the number of seats."))
        elif ages and seats is not None and nursery is not None:
            pools.append(RoundSeatPool(nursery=nursery, age_classes=ages, seats=seats))
    sheet.fail_if_errors()
    with transaction.atomic():
        locked = _locked_round(round, actor)
        locked.capacities.all().delete()
        locked.seat_pools.all().delete()
        for record in (*capacities, *pools):
            record.round = locked
        RoundCapacity.objects.bulk_create(capacities)
        RoundSeatPool.objects.bulk_create(pools)
        audit_record(actor=actor, action="childcare.round.capacities_import", target=locked,
                     details={"nurseries": len(seen), "capacities": len(capacities),
                              "pools": len(pools), "seats": sum(c.seats for c in capacities)})
    return len(seen)


# --- applications -----------------------------------------------------------------------------

def _date(text: str) -> datetime.date | None:
    match = DATE_PATTERN.match(_norm(text))
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def birth_date_error(born: datetime.date, admission_date: datetime.date) -> str | None:
    """Why a child born on `born` cannot apply for admission on `admission_date` (born after
    it, or past nursery age on 1 April), or None. The rule of the import and of the online
    application."""
    if born > admission_date:
        return _("The child is born after the admission date.")
    age = age_class(born, admission_date)
    if age not in AGE_CLASSES:
        return _("The child is past nursery age (%(age)d on 1 April).") % {"age": age}
    return None


def _flag(sheet, number, column, text) -> bool:
    word = _norm(text).lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        sheet.error(number, column, _("Write 1 (yes) or 0 (no)."))
    return False


def _sibling_rule(sheet, number, text) -> str:
    text = _norm(text)
    if not text:
        return SiblingRule.INDEPENDENT.value
    if text in SIBLING_RULE_LABELS:
        return SIBLING_RULE_LABELS[text].value
    if text in {rule.value for rule in SiblingRule}:
        return text
    sheet.error(number, "兄弟姉妹ルール", _("Unknown sibling rule “%(value)s”: use one of "
                                       "%(choices)s.") % {
        "value": text, "choices": "、".join([*SIBLING_RULE_LABELS, *SiblingRule])})
    return SiblingRule.INDEPENDENT.value


def _household_fields(sheet, number, row, branches) -> dict:
    fields = {"sibling_rule": _sibling_rule(sheet, number, sheet.get(row, "兄弟姉妹ルール")),
              "resident_tax": _int(sheet, number, "住民税所得割額",
                                   sheet.get(row, "住民税所得割額"), maximum=10**12)}
    for column, name in FLAG_COLUMNS.items():
        fields[name] = _flag(sheet, number, column, sheet.get(row, column))
    branch_code = _norm(sheet.get(row, "支所コード"))
    fields["branch_office"] = branches.get(branch_code)
    if branch_code and fields["branch_office"] is None:
        sheet.error(number, "支所コード", _("No branch office has the code “%(code)s”.")
                    % {"code": branch_code})
    return fields


HOUSEHOLD_FIELD_COLUMNS = {"sibling_rule": "兄弟姉妹ルール", "resident_tax": "住民税所得割額",
                           **{name: column for column, name in FLAG_COLUMNS.items()},
                           "branch_office": "支所コード"}


def points_chosen(items: dict[str, PointsItem], parent1: str, parent2: str,
                  adjustments: list[str]) -> tuple[list[tuple[int | None, PointsItem]],
                                                    list[tuple[str, str]]]:
    """The points items a family claims, by their codes in the points table (`items`: code →
    item): each parent's situation (基準指数; parent 1 required) and the adjustments (調整指数).
    Returns the (parent, item) pairs `priority.score_of` scores, and the errors as (slot,
    message) with slot "parent1", "parent2" or "adjustments". The rules of the import and of
    the online application."""
    chosen, errors = [], []
    for parent, code in ((1, parent1), (2, parent2)):
        if not code:
            if parent == 1:
                errors.append(("parent1", _("The situation of parent 1 is missing.")))
            continue
        item = items.get(code)
        if item is None or item.kind != PointsItem.Kind.BASIC:
            errors.append((f"parent{parent}", _("“%(code)s” is not a parent's situation of "
                                                 "the points table.") % {"code": code}))
        else:
            chosen.append((parent, item))
    for code in adjustments:
        if not code:
            continue
        item = items.get(code)
        if item is not None and item.kind == PointsItem.Kind.FACILITY:
            errors.append(("adjustments", _("“%(code)s” counts at one nursery only: give it "
                                            "in the column %(column)s as “%(code)s:nursery "
                                            "code”.") % {"code": code,
                                                        "column": FACILITY_POINTS_COLUMN}))
        elif item is None or item.kind != PointsItem.Kind.ADJUSTMENT:
            errors.append(("adjustments", _("“%(code)s” is not an adjustment of the points "
                                            "table.") % {"code": code}))
        else:
            chosen.append((None, item))
    return chosen, errors


POINTS_COLUMNS = {"parent1": "保護者1", "parent2": "保護者2", "adjustments": "調整項目"}


def _points(sheet, number, row, items) -> list[tuple[int | None, PointsItem]]:
    chosen, errors = points_chosen(
        items, _norm(sheet.get(row, "保護者1")), _norm(sheet.get(row, "保護者2")),
        CODE_SEPARATORS.split(_norm(sheet.get(row, "調整項目"))))
    for slot, message in errors:
        sheet.error(number, POINTS_COLUMNS[slot], message)
    return chosen


def _facility_points(sheet, number, row, items, nurseries) -> list[tuple[PointsItem, Nursery]]:
    """The 施設別加点 entries of a row: (points item of kind `facility`, nursery) pairs."""
    chosen: list[tuple[PointsItem, Nursery]] = []
    column = FACILITY_POINTS_COLUMN
    for entry in CODE_SEPARATORS.split(_norm(sheet.get(row, column))):
        if not entry:
            continue
        code, colon, nursery_code = entry.partition(":")
        if not colon or not code or not nursery_code:
            sheet.error(number, column, _("Write “%(entry)s” as item code:nursery code, e.g. "
                                          "“sibling-same:N001”.") % {"entry": entry})
            continue
        item, nursery = items.get(code), nurseries.get(nursery_code)
        if item is None or item.kind != PointsItem.Kind.FACILITY:
            sheet.error(number, column, _("“%(code)s” is not an adjustment at one nursery of "
                                          "the points table.") % {"code": code})
        elif nursery is None:
            sheet.error(number, column, _("No nursery has the code “%(code)s”.")
                        % {"code": nursery_code})
        elif (item, nursery) in chosen:
            sheet.error(number, column, _("“%(entry)s” is given twice.") % {"entry": entry})
        else:
            chosen.append((item, nursery))
    return chosen


def _wishes(sheet, number, row, nurseries, current) -> list[Nursery]:
    wishes, gap_at = [], None
    for column in WISH_COLUMNS:
        code = _norm(sheet.get(row, column))
        if not code:
            gap_at = gap_at or column
            continue
        if gap_at:
            sheet.error(number, column, _("Wishes must be filled in order: %(column)s is "
                                          "empty.") % {"column": gap_at})
        nursery = nurseries.get(code)
        if nursery is None:
            sheet.error(number, column, _("No nursery has the code “%(code)s”.")
                        % {"code": code})
        elif nursery in wishes:
            sheet.error(number, column, _("The nursery “%(code)s” is wished twice.")
                        % {"code": code})
        elif current is not None and nursery == current:
            sheet.error(number, column, _("The nursery the child attends now cannot be a "
                                          "wish: list only the nurseries preferred to it."))
        else:
            wishes.append(nursery)
    if not wishes and not any(error.row == number and error.column in WISH_COLUMNS
                              for error in sheet.errors):
        sheet.error(number, "希望1", _("At least one wish is needed."))
    return wishes


def applications_import(*, round: AdmissionRound, raw: bytes, filename: str = "",
                        actor) -> int:
    """Replace the round's imported households and applications with those of a file in
    `APPLICATION_COLUMNS` (one row per child; the children of one household share a 世帯番号
    and repeat the household's columns). Facility-specific adjustments (施設別加点) are kept
    with their nursery and do not count in the score. Returns the number of applications
    imported."""
    if not can(actor, IMPORT_PERMISSION):
        raise PermissionDeniedError()
    sheet = _Sheet(raw, filename, APPLICATION_COLUMNS,
                   ["申込番号", "世帯番号", "児童氏名", "生年月日", "保護者1", "希望1"])
    nurseries = {nursery.code: nursery for nursery in Nursery.objects.filter(is_active=True)}
    items = {item.code: item for item in round.points_table.items.all()}
    branches = {branch.code: branch for branch in BranchOffice.objects.all()}
    households: dict[str, tuple[int, dict]] = {}
    members: dict[str, list[int]] = {}
    numbers: dict[str, int] = {}
    # Online applications stay: their numbers cannot be reused.
    online = Household.objects.filter(round=round).exclude(online_status="")
    online_families = set(online.values_list("family_code", flat=True))
    online_numbers = set(Application.objects.filter(household__in=online)
                         .values_list("number", flat=True))
    parsed = []
    for number, row in sheet.rows:
        application_number = _norm(sheet.get(row, "申込番号"))
        if application_number in online_numbers:
            sheet.error(number, "申込番号", _("The number is used by an online application."))
        if _norm(sheet.get(row, "世帯番号")) in online_families:
            sheet.error(number, "世帯番号", _("The number is used by an online application."))
        if not application_number:
            sheet.error(number, "申込番号", _("The application number is missing."))
        elif application_number in numbers:
            sheet.error(number, "申込番号", _("The application number is already on row "
                                           "%(row)d.") % {"row": numbers[application_number]})
        numbers.setdefault(application_number, number)
        family = _norm(sheet.get(row, "世帯番号"))
        if not family:
            sheet.error(number, "世帯番号", _("The household number is missing."))
        fields = _household_fields(sheet, number, row, branches)
        if family in households:
            first_row, first = households[family]
            for name, value in fields.items():
                if value != first[name]:
                    sheet.error(number, HOUSEHOLD_FIELD_COLUMNS[name],
                                _("Differs from row %(row)d of the same household.")
                                % {"row": first_row})
        else:
            households[family] = (number, fields)
        members.setdefault(family, []).append(number)
        name = sheet.get(row, "児童氏名")
        if not name:
            sheet.error(number, "児童氏名", _("The child's name is missing."))
        birth_text = sheet.get(row, "生年月日")
        born = _date(birth_text)
        age = None
        if born is None:
            sheet.error(number, "生年月日", _("“%(value)s” is not a date: write it as "
                                          "2025-04-01.") % {"value": birth_text})
        else:
            problem = birth_date_error(born, round.admission_date)
            if problem:
                sheet.error(number, "生年月日", problem)
            else:
                age = age_class(born, round.admission_date)
        current_code = _norm(sheet.get(row, "在園施設コード"))
        current = nurseries.get(current_code) if current_code else None
        if current_code and current is None:
            sheet.error(number, "在園施設コード", _("No nursery has the code “%(code)s”.")
                        % {"code": current_code})
        parsed.append({
            "row": number, "number": application_number, "family": family, "name": name,
            "kana": sheet.get(row, "児童氏名カナ"), "born": born, "age": age,
            "current": current, "points": _points(sheet, number, row, items),
            "wishes": _wishes(sheet, number, row, nurseries, current),
            "facility_points": _facility_points(sheet, number, row, items, nurseries)})
    for family, rows in members.items():
        if family and len(rows) == 1 and \
                households[family][1]["sibling_rule"] != SiblingRule.INDEPENDENT:
            sheet.error(rows[0], "兄弟姉妹ルール", _("A sibling rule needs two or more children "
                                                "with the same household number."))
    sheet.fail_if_errors()
    return _store_applications(round, actor, households, parsed)


def _store_applications(round_, actor, households, parsed) -> int:
    with transaction.atomic():
        locked = _locked_round(round_, actor)
        # Cascades to applications, wishes and points; online applications stay.
        locked.households.filter(online_status="").delete()
        created = Household.objects.bulk_create([
            Household(round=locked, family_code=family, **fields)
            for family, (_row, fields) in households.items()])
        by_code = {household.family_code: household for household in created}
        applications = []
        for entry in parsed:
            basic, adjustment, breakdown = score_of(entry["points"])
            applications.append(Application(
                round=locked, household=by_code[entry["family"]], number=entry["number"],
                child_name=entry["name"], child_name_kana=entry["kana"],
                date_of_birth=entry["born"], age_class=entry["age"],
                current_nursery=entry["current"], basic_points=basic,
                adjustment_points=adjustment, score=basic + adjustment,
                score_breakdown=breakdown))
        Application.objects.bulk_create(applications)
        wishes, points = [], []
        for application, entry in zip(applications, parsed, strict=True):
            wishes += [ApplicationWish(application=application, rank=rank, nursery=nursery)
                       for rank, nursery in enumerate(entry["wishes"], start=1)]
            points += [ApplicationPoints(application=application, parent=parent, item=item)
                       for parent, item in entry["points"]]
            points += [ApplicationPoints(application=application, item=item, nursery=nursery)
                       for item, nursery in entry["facility_points"]]
        ApplicationWish.objects.bulk_create(wishes)
        ApplicationPoints.objects.bulk_create(points)
        locked.state = AdmissionRound.State.IMPORTED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, action="childcare.round.applications_import", target=locked,
                     details={"applications": len(applications), "households": len(created),
                              "wishes": len(wishes)})
    return len(applications)
