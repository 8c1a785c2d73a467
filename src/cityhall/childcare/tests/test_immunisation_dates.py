"""Unit tests of the legal date arithmetic (immunisation/dates.py) and of reschedule; exact
dates from the cited sources."""

from datetime import date

import pytest

from cityhall.childcare.immunisation import ChildRecord, reschedule, schedule
from cityhall.childcare.immunisation import dates as d


@pytest.mark.parametrize(("dob", "months", "expected"), [
    (date(2018, 4, 1), 2, date(2018, 5, 31)),    # atsugi 具体例A
    (date(2018, 4, 1), 60, date(2023, 3, 31)),
    (date(2018, 4, 1), 3, date(2018, 6, 30)),    # atsugi 具体例B
    (date(2018, 4, 1), 90, date(2025, 9, 30)),
    (date(2018, 12, 29), 2, date(2019, 2, 28)),  # 12/29–31 → 2/28
    (date(2018, 12, 31), 2, date(2019, 2, 28)),
    (date(2018, 12, 31), 60, date(2023, 12, 30)),
    (date(2023, 12, 31), 2, date(2024, 2, 29)),  # leap year
    (date(2023, 12, 29), 2, date(2024, 2, 28)),
    (date(2025, 1, 31), 2, date(2025, 3, 30)),
    (date(2025, 7, 31), 2, date(2025, 9, 30)),   # reference §2.3
    (date(2024, 2, 29), 2, date(2024, 4, 28)),
])
def test_reach_months(dob, months, expected):
    assert d.reach_months(dob, months) == expected


@pytest.mark.parametrize(("dob", "years", "expected"), [
    (date(2020, 4, 1), 1, date(2021, 3, 31)),    # tome.miyagi example
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 28)),   # leap again: still the day before 2/29
    (date(2013, 5, 20), 13, date(2026, 5, 19)),
])
def test_reach_age_is_the_day_before_the_birthday(dob, years, expected):
    assert d.reach_age(dob, years) == expected


def test_weeks_after_birth_count_birth_as_day_zero():
    assert d.after_birth(date(2025, 6, 2), 6) == date(2025, 7, 14)
    assert d.after_birth(date(2025, 6, 2), 14, 6) == date(2025, 9, 14)
    assert d.after_birth(date(2025, 6, 2), 24) == date(2025, 11, 17)
    assert d.after_birth(date(2025, 6, 2), 24).weekday() == date(2025, 6, 2).weekday()


@pytest.mark.parametrize(("days", "expected"), [
    (6, date(2022, 4, 8)), (20, date(2022, 4, 22)), (27, date(2022, 4, 29)),
    (60, date(2022, 6, 1)), (139, date(2022, 8, 19)),
])
def test_days_interval(days, expected):
    # city.minamikyushu.lg.jp: 4/1 (金) + 6日 → 4/8, 20日 → 4/22, 27日 → 4/29
    assert d.after_days_interval(date(2022, 4, 1), days) == expected


def test_27_days_is_the_same_weekday_four_weeks_later():
    monday = date(2025, 8, 4)
    assert d.after_days_interval(monday, 27) == date(2025, 9, 1)
    assert d.after_days_interval(monday, 27).weekday() == 0
    assert d.after_days_interval(monday, 27) != date(2025, 8, 31)


def test_weeks_interval():
    assert d.after_weeks_interval(date(2025, 8, 4), 4) == date(2025, 9, 2)


@pytest.mark.parametrize(("dose", "months", "expected"), [
    (date(2023, 4, 1), 3, date(2023, 7, 1)),     # MHLW 資料5 p.20
    (date(2022, 11, 30), 3, date(2023, 3, 1)),   # MHLW: 11月末 → 3/1
    (date(2025, 1, 31), 1, date(2025, 3, 1)),    # natori: no same date next month
    (date(2025, 1, 15), 1, date(2025, 2, 15)),
    (date(2023, 8, 31), 6, date(2024, 3, 1)),
    (date(2023, 8, 30), 6, date(2024, 3, 1)),
])
def test_months_interval(dose, months, expected):
    assert d.after_months_interval(dose, months) == expected


def test_months_and_half_interval():
    assert d.after_months_and_half_interval(date(2023, 4, 1), 2) == date(2023, 6, 16)  # MHLW
    assert d.after_months_and_half_interval(date(2023, 5, 1), 2) == date(2023, 7, 17)  # 31 → 16
    assert d.after_months_and_half_interval(date(2023, 12, 1), 2) == date(2024, 2, 16)  # 29 → 15
    assert d.after_months_and_half_interval(date(2022, 12, 1), 2) == date(2023, 2, 15)  # 28 → 14


@pytest.mark.parametrize(("dob", "expected"), [
    (date(2019, 4, 1), date(2025, 4, 1)), (date(2019, 4, 2), date(2026, 4, 1)),
    (date(2019, 3, 31), date(2025, 4, 1)), (date(2019, 12, 31), date(2026, 4, 1)),
])
def test_school_entry(dob, expected):
    assert d.school_entry(dob) == expected


def test_fiscal_year_of_reaching_age():
    assert d.year_reaching_age(date(2013, 4, 1), 12) == 2024
    assert d.year_reaching_age(date(2013, 4, 2), 12) == 2025


def test_reschedule_postponed_dose_moves_the_rest():
    child = ChildRecord(date(2024, 5, 10), "M", (("hepb", None, date(2024, 7, 9)),),
                        (("hepb", date(2024, 8, 6)),))
    plan = schedule(child, today=date(2024, 8, 1))
    assert [(p.number, p.date) for p in plan.series["hepb"].projected] == [
        (2, date(2024, 8, 6)), (3, date(2024, 11, 26))]
    moved = reschedule(child, today=date(2024, 8, 1), series="hepb", new_date=date(2024, 8, 20))
    assert [(p.number, p.date) for p in moved.series["hepb"].projected] == [
        (2, date(2024, 8, 20)), (3, date(2024, 11, 26))]
    assert moved.child.appointments == (("hepb", date(2024, 8, 20)),)


def test_reschedule_to_a_date_too_early_is_flagged_not_raised():
    child = ChildRecord(date(2024, 5, 10), "M", (("hepb", None, date(2024, 7, 9)),))
    plan = reschedule(child, today=date(2024, 7, 20), series="hepb", new_date=date(2024, 8, 1))
    assert [w.code for w in plan.series["hepb"].warnings] == ["appointment_too_early"]


def test_reschedule_missed_dose_plans_from_today():
    child = ChildRecord(date(2024, 5, 10), "M", (("pcv", "pcv15", date(2024, 7, 9)),),
                        (("pcv", date(2024, 8, 6)),))
    later = schedule(child, today=date(2024, 9, 1))
    assert [w.code for w in later.warnings] == ["appointment_missed"]
    plan = reschedule(child, today=date(2024, 9, 1), series="pcv")
    assert plan.warnings == ()
    assert plan.series["pcv"].next_date == date(2024, 9, 1)
    assert [(p.number, p.date) for p in plan.series["pcv"].projected] == [
        (2, date(2024, 9, 1)), (3, date(2024, 9, 29)), (4, date(2025, 5, 9))]


def test_reschedule_live_conflict_with_given_dose():
    child = ChildRecord(date(2024, 6, 15), "M", (("mr", None, date(2025, 6, 20)),))
    plan = reschedule(child, today=date(2025, 6, 21), series="varicella",
                      new_date=date(2025, 7, 1))
    assert [w.code for w in plan.series["varicella"].warnings] == ["live_conflict"]
    assert plan.series["varicella"].next_date == date(2025, 7, 18)


def test_garbage_history_never_raises():
    child = ChildRecord(date(2024, 6, 15), "X", (
        ("mr", None, date(1900, 1, 1)), ("pcv", "pcv99", date(2024, 8, 20)),
        ("hpv", "hpv9", date(2024, 7, 1)), ("je", None, date(2030, 1, 1)), ("nope", None,
                                                                           date(2024, 7, 1))))
    plan = schedule(child, today=date(2024, 9, 1))
    assert plan.series["mr1"].doses[0].reason == "before_birth"
    assert plan.series["pcv"].doses[0].reason == "unknown_product_code"
    assert plan.series["je"].doses[0].reason == "after_today"
    assert "hpv" not in plan.series
    assert [w.code for w in plan.warnings] == ["unknown_vaccine"]
