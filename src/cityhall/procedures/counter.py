"""The write-less counter (書かない窓口, 窓口総合支援システム; 取組3 窓口の利便性向上).

At a counter, staff and the resident go through the life-event navigator together. Every
paper form the city prints asks some of the same facts (name, address, the date of the move,
the child's name...). Each procedure lists, in `Procedure.form_facts`, which facts its form
asks; the visit keeps one value per fact, so staff correct a fact once and every form shows
the corrected value. The forms come out as one PDF for the resident to check and sign.

This module holds the vocabulary of facts and assembles the forms; the writes are in
`services` (counter_*), the pages in `views`.
"""

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import get_language


@dataclass(frozen=True)
class Fact:
    label_ja: str
    label_en: str
    kind: str = "text"  # text, date, long
    source: str | None = None  # a forms_schema.PROFILE_SOURCES key, or "event_date"

    @property
    def label(self) -> str:
        language = (get_language() or "ja").split("-")[0]
        return self.label_ja if language == "ja" else self.label_en


# Every fact a counter form can ask, in the order forms list them when a procedure does not
# say otherwise. Keys are stable: procedures' `form_facts` and stored visits use them.
FACTS: dict[str, Fact] = {
    "full_name": Fact("氏名", "Full name", source="profile.full_name"),
    "full_name_kana": Fact("フリガナ", "Name in kana", source="profile.full_name_kana"),
    "date_of_birth": Fact("生年月日", "Date of birth", "date", "profile.date_of_birth"),
    "sex": Fact("性別", "Sex"),
    "nationality": Fact("国籍・地域", "Nationality or region"),
    "address": Fact("住所", "Address", source="profile.address"),
    "phone": Fact("日中の連絡先電話番号", "Daytime phone number", source="profile.phone"),
    "email": Fact("メールアドレス", "Email address", source="account.email"),
    "event_date": Fact("届出の事由が生じた日", "Date of the event", "date", "event_date"),
    "householder_name": Fact("世帯主の氏名", "Head of household"),
    "relationship_to_householder": Fact("世帯主との続柄", "Relationship to the head of "
                                                          "household"),
    "previous_address": Fact("前住所", "Previous address"),
    "new_address": Fact("新しい住所", "New address"),
    "move_date": Fact("異動日（住み始めた日・転出予定日）", "Date of the move", "date"),
    "spouse_name": Fact("配偶者の氏名", "Spouse's name"),
    "child_name": Fact("子の氏名", "Child's name"),
    "child_date_of_birth": Fact("子の生年月日", "Child's date of birth", "date"),
    "deceased_name": Fact("亡くなった方の氏名", "Name of the deceased"),
    "relationship_to_deceased": Fact("亡くなった方との続柄", "Relationship to the deceased"),
    "date_of_death": Fact("死亡日", "Date of death", "date"),
    "insurance_type": Fact("加入している健康保険", "Health insurance"),
    "employer_name": Fact("勤務先", "Employer"),
    "bank_account": Fact("振込先口座（金融機関・支店・口座番号・名義）",
                         "Bank account for payments (bank, branch, number, holder)", "long"),
    "notes": Fact("備考", "Notes", "long"),
}

DEFAULT_FORM_FACTS = ["full_name", "full_name_kana", "date_of_birth", "address", "phone"]


def facts_of(procedure) -> list[str]:
    """The facts a procedure's form asks, in its order."""
    return [key for key in (procedure.form_facts or DEFAULT_FORM_FACTS) if key in FACTS]


def facts_needed(procedures) -> list[str]:
    """The union of the facts of several forms, each once, in vocabulary order: the one
    list staff check with the resident."""
    wanted = {key for procedure in procedures for key in facts_of(procedure)}
    return [key for key in FACTS if key in wanted]


def known_facts(*, resident_profile, event_date) -> dict[str, str]:
    """What the city already knows: from the resident's record and the navigator's date."""
    from .forms_schema import PROFILE_SOURCES

    values = {}
    user = resident_profile.user if resident_profile else None
    for key, fact in FACTS.items():
        if fact.source == "event_date":
            value = event_date.isoformat() if event_date else None
        elif fact.source and resident_profile is not None:
            value = PROFILE_SOURCES[fact.source](user, resident_profile)
        else:
            value = None
        if value not in (None, ""):
            values[key] = value
    return values


@dataclass
class CounterForm:
    """One procedure's form, filled from the visit's facts."""

    procedure: object
    rows: list  # (fact key, label, value)
    note: str

    @property
    def blank_count(self) -> int:
        return sum(1 for _key, _label, value in self.rows if not value)


def shown_value(key: str, value: str) -> str:
    """A fact as a form shows it: dates in the reader's language (2026年11月20日)."""
    if value and FACTS[key].kind == "date":
        try:
            return date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    return value or ""


def assemble_forms(*, procedures, facts: dict, notes: dict | None = None) -> list[CounterForm]:
    """Every form, each showing the same value for the same fact."""
    notes = notes or {}
    return [CounterForm(procedure=procedure,
                        rows=[(key, FACTS[key].label, shown_value(key, facts.get(key, "")))
                              for key in facts_of(procedure)],
                        note=notes.get(procedure.code, ""))
            for procedure in procedures]
