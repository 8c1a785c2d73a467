"""The city office's calendar: which days are closed, and deadlines that respect them.

Public holidays come from the maintained `holidays` library (Japan), never from a list written
here. Administrative offices are also closed on weekends and over the New Year (12/29–1/3;
行政機関の休日に関する法律 第1条). A statutory deadline that falls on a closed day moves to the
next open day (同法 第2条).
"""

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _japanese_holidays(year: int):
    return holidays.country_holidays("JP", years=year)


def is_office_closed(day: datetime.date) -> bool:
    if day.weekday() >= 5:
        return True
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return True
    return day in _japanese_holidays(day.year)


def next_open_day(day: datetime.date) -> datetime.date:
    while is_office_closed(day):
        day += datetime.timedelta(days=1)
    return day


def statutory_deadline(event_date: datetime.date, days: int, *,
                       count_event_day: bool = False) -> datetime.date:
    """The last day to file something due "within `days` days" of `event_date`.

    By default the day of the event is not counted (民法 第140条, 初日不算入), so 14 days after
    a move on 4/1 ends on 4/15. Where a law counts from the day itself (戸籍法 第43条: 出生届,
    死亡届), pass `count_event_day=True`: 14 days from a birth on 4/1 end on 4/14. A last day
    on which the office is closed moves to the next open day.
    """
    last = event_date + datetime.timedelta(days=days - 1 if count_event_day else days)
    return next_open_day(last)


def is_public_holiday(day: datetime.date) -> bool:
    """A national holiday or substitute holiday of Japan (国民の祝日・振替休日)."""
    return day in _japanese_holidays(day.year)


def is_new_year_break(day: datetime.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
