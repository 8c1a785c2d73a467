"""Statutory deadlines on the office calendar."""

import datetime

import pytest

from cityhall.core.calendar import is_office_closed, next_open_day, statutory_deadline

D = datetime.date


@pytest.mark.parametrize(("day", "closed"), [
    (D(2026, 11, 23), True),   # 勤労感謝の日 (from the holidays library)
    (D(2026, 11, 24), False),  # Tuesday
    (D(2026, 11, 28), True),   # Saturday
    (D(2026, 12, 29), True),   # year-end closure
    (D(2027, 1, 4), False),
    (D(2027, 1, 11), True),    # 成人の日 (second Monday of January)
])
def test_office_calendar(day, closed):
    assert is_office_closed(day) is closed


def test_deadline_does_not_count_the_event_day_by_default():
    # 転入届: within 14 days of a move on Wednesday 2026-04-01 → Wednesday 2026-04-15.
    assert statutory_deadline(D(2026, 4, 1), 14) == D(2026, 4, 15)


def test_family_register_deadlines_count_the_event_day():
    # 出生届: 14 days counting the day of birth (戸籍法 第43条) → 2026-04-14.
    assert statutory_deadline(D(2026, 4, 1), 14, count_event_day=True) == D(2026, 4, 14)


def test_deadline_on_a_closed_day_moves_to_the_next_open_day():
    assert statutory_deadline(D(2026, 12, 20), 14) == D(2027, 1, 4)   # 1/3 → 1/4
    assert statutory_deadline(D(2026, 11, 9), 14) == D(2026, 11, 24)  # 11/23 holiday → 11/24
    assert next_open_day(D(2026, 11, 24)) == D(2026, 11, 24)
