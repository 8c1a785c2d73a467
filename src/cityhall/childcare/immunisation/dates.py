"""Japan's legal date arithmetic for routine immunisation (定期予防接種), exactly, with no
grace period.

Every function names the rule it implements. The rules (MHLW 事務連絡 as summarised by the
municipalities that publish them; docs/childcare.md "Immunisation schedule"):

- Age (年齢計算ニ関スル法律, 明治35年法律第50号, with 民法 第143条): age is counted from the
  day of birth (the day of birth is day 1), and a period in months or years ends on the day
  before the corresponding day; so one *reaches* X years (X歳に達する/至る) at the end of the
  day before the X-th birthday. Hence "X歳に至るまで" / "X歳未満" = up to and including the
  day before the X-th birthday, and "X歳以上" = from that same day before the birthday
  (city.kobe.lg.jp …/vaccination/rule.html; city.tome.miyagi.jp yobousesshutaisyousya;
  city.natori.miyagi.jp 28849).
- Months: "生後N月に至った日" = the day before the same date N months later; if that month
  has no such date, the last day of that month (born 12/31 → reaches 2 months on 28/29 Feb;
  born 7/31 → 9/30) (atsugi.city-hc.jp FAQ mwksviotf0lds0wm; city.kobe.lg.jp rule.html).
- Weeks and days after birth (ロタ): the day of birth is 出生0週0日, the next day 0週1日;
  "出生N週M日後から/まで" both include that day (city.natori.miyagi.jp 28849).
- Intervals: "N日以上の間隔をおいて" = N whole days between the two doses, so the next dose is
  allowed from dose date + N + 1 (27日 → +28, the same weekday four weeks later; 6日 → +7)
  (city.minamikyushu.lg.jp kankaku.html; city.natori.miyagi.jp 28849).
  "N月以上の間隔をおいて": N months have passed on the day before the same date N months
  later (or on the last day of that month if there is no such date), so the next dose is
  allowed from the day after that (4/1 → 7/1 for 3 months; 11/30 → 3/1) (MHLW 予防接種基本方針
  部会 第52回 資料5 p.20 via wic-net.com/material/document/7576/20; city.natori.miyagi.jp).
  "N月半": after the N-month date add half of that month's length: 14 days for a 28-day
  month, 15 for 29 or 30, 16 for 31 (same MHLW material: 4/1 + 2月半 → 6/16).
- 年度 (fiscal/school year) runs 1 April – 31 March; "X歳となる日の属する年度" is the year that
  contains the day one reaches X (the day before the birthday — so children born on 1 April
  belong to the earlier school year).
"""

from datetime import date, timedelta
from functools import lru_cache

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year, month):
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def _month_shift(year, month, n):
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def corresponding_day(start: date, months: int) -> date | None:
    """The same day of the month `months` later (応当日), or None if that month is too short."""
    year, month = _month_shift(start.year, start.month, months)
    if start.day > days_in_month(year, month):
        return None
    return date(year, month, start.day)


def period_end_months(start: date, months: int) -> date:
    """The last day of a period of `months` months whose first day is `start` (民法 第143条):
    the day before the corresponding day, or the last day of the final month when that month
    has no corresponding day."""
    same = corresponding_day(start, months)
    if same is not None:
        return same - timedelta(days=1)
    year, month = _month_shift(start.year, start.month, months)
    return date(year, month, days_in_month(year, month))


@lru_cache(maxsize=1 << 16)
def reach_months(dob: date, months: int) -> date:
    """The day one reaches N months of age (生後N月に至った日): the day before the same date N
    months after birth, or the last day of that month if it has no such date. Both "生後N月
    から" (from) and "生後N月に至るまで" (until, inclusive) use this day."""
    if months == 0:
        return dob
    return period_end_months(dob, months)


def reach_age(dob: date, years: int) -> date:
    """The day one reaches X years (X歳に至る日, 年齢計算ニ関スル法律 + 民法 第143条): the day
    before the X-th birthday; for a 29 February birth in a common year, 28 February.
    "X歳に至るまで" / "X歳未満" end on this day (inclusive); "X歳以上" starts on it."""
    return reach_months(dob, 12 * years)


def after_birth(dob: date, weeks: int, days: int = 0) -> date:
    """"出生N週M日後": the day of birth is 0週0日, so this is dob + 7N + M days. Used both as a
    first day ("から") and a last day ("まで"), inclusive either way."""
    return dob + timedelta(days=7 * weeks + days)


def after_days_interval(dose: date, days: int) -> date:
    """First allowed date after "N日以上の間隔をおいて": dose date + N + 1."""
    return dose + timedelta(days=days + 1)


def after_weeks_interval(dose: date, weeks: int) -> date:
    """First allowed date after "N週以上の間隔をおいて", read like the day rule (N whole weeks
    = 7N whole days between the doses): dose date + 7N + 1. No current routine rule is
    written in weeks (the 2020 rules moved to days: 27日 = "4週後の同じ曜日"); kept for
    product-insert intervals and for callers."""
    return dose + timedelta(days=7 * weeks + 1)


def after_months_interval(dose: date, months: int) -> date:
    """First allowed date after "N月以上の間隔をおいて": the day after N months have passed
    counting the dose date as day 1 — the same date N months later, or the first day of the
    following month if that month has no such date."""
    return period_end_months(dose, months) + timedelta(days=1)


def after_months_and_half_interval(dose: date, months: int) -> date:
    """First allowed date after "N月半以上の間隔をおいて": the N-month date plus half the
    length of the month it falls in (28→14, 29→15, 30→15, 31→16 days)."""
    base = after_months_interval(dose, months)
    length = days_in_month(base.year, base.month)
    return base + timedelta(days=(length + 1) // 2)


def fiscal_year(day: date) -> int:
    """The 年度 containing `day` (1 April – 31 March), named by the year of its 1 April."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(year: int) -> date:
    return date(year, 4, 1)


def fiscal_year_end(year: int) -> date:
    return date(year + 1, 3, 31)


def year_reaching_age(dob: date, years: int) -> int:
    """The 年度 of "X歳となる日の属する年度": the one containing the day one reaches X."""
    return fiscal_year(reach_age(dob, years))


def school_entry(dob: date) -> date:
    """小学校就学の始期 (学校教育法 第17条): the first 1 April after the day one reaches 6 —
    on or after the day following it. Born 1 April 2019 → 1 April 2025; born 2 April 2019 →
    1 April 2026."""
    after = reach_age(dob, 6) + timedelta(days=1)
    return after if (after.month, after.day) == (4, 1) else date(fiscal_year(after) + 1, 4, 1)


def add_years(day: date, years: int) -> date:
    """The same date `years` later (29 Feb → 28 Feb in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
