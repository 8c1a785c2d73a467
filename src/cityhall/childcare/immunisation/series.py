"""Each routine series as a function from the facts (birth date, the doses already counted,
the date the next dose would be given) to the specification of the next dose, or None when
the series is complete. Dates come from `dates.py`; every spec names its rule in `rules.py`.

`on` is the date the next dose would be given (the dose's own date while checking a history,
today or later while planning): the paths that change with age (Hib and 肺炎球菌 skipping the
rest of 初回 after 1歳/2歳, 日本脳炎 moving to 2期 or to a 特例) branch on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from . import dates as d
from .rules import (
    HPV_CATCHUP,
    JE_TOKUREI_A,
    JE_TOKUREI_B,
    TRANSITION_5IN1,
    TRANSITION_DPT4_2MONTHS,
    TRANSITION_PCV20,
)


@dataclass(frozen=True)
class Dose:
    vaccine: str
    product: str | None
    date: date


@dataclass(frozen=True)
class Spec:
    number: int
    label: str
    min_age: date
    min_interval: date | None
    last: date
    std: tuple[date, date] | None
    rule: str
    soft_min: date | None = None  # the usual earliest; a dose before it is valid but warned
    soft_code: str = ""

    @property
    def legal_earliest(self):
        return max(self.min_age, self.min_interval) if self.min_interval else self.min_age

    @property
    def planned_earliest(self):
        return max(self.legal_earliest, self.soft_min) if self.soft_min else self.legal_earliest


@dataclass(frozen=True)
class Ctx:
    dob: date
    sex: str
    today: date


def _m(ctx, n):
    return d.reach_months(ctx.dob, n)


def _y(ctx, n):
    return d.reach_age(ctx.dob, n)


def _days(day, n):
    return d.after_days_interval(day, n)


def _in(day, bounds):
    return bounds[0] <= day <= bounds[1]


# B型肝炎 ---------------------------------------------------------------------------------

def hepb(ctx, valid, on):
    n = len(valid)
    last, std = _y(ctx, 1), (_m(ctx, 2), _m(ctx, 9))
    if n == 0:
        return Spec(1, "dose1", ctx.dob, None, last, std, "hepb.window")
    if n == 1:
        return Spec(2, "dose2", ctx.dob, _days(valid[0].date, 27), last, std, "hepb.intervals")
    if n == 2:
        earliest = max(_days(valid[0].date, 139), valid[1].date + timedelta(days=1))
        return Spec(3, "dose3", ctx.dob, earliest, last, std, "hepb.intervals")
    return None


# ロタ -------------------------------------------------------------------------------------

def rota_product(valid):
    return next((dose.product for dose in valid if dose.product), None)


def rota(ctx, valid, on):
    product = rota_product(valid)
    # Unknown product: the 1価 bounds (the shorter window, so a plan is never too late).
    weeks, total = (32, 3) if product == "rota5" else (24, 2)
    last = d.after_birth(ctx.dob, weeks)
    n = len(valid)
    if n >= total:
        return None
    if n == 0:
        std = (max(_m(ctx, 2), d.after_birth(ctx.dob, 6)), d.after_birth(ctx.dob, 14, 6))
        return Spec(1, "dose1", d.after_birth(ctx.dob, 6), None, last, std, "rota.window")
    nxt = _days(valid[-1].date, 27)
    return Spec(n + 1, f"dose{n + 1}", d.after_birth(ctx.dob, 6), nxt, last, (nxt, last),
                "rota.window")


# 5種混合 / 4種混合 ------------------------------------------------------------------------

def _dpt(ctx, valid, min_age, rule, booster_std_months):
    last = _m(ctx, 90)
    n = len(valid)
    if n == 0:
        return Spec(1, "initial1", min_age, None, last, (max(min_age, _m(ctx, 2)), _m(ctx, 7)),
                    rule)
    if n in (1, 2):
        prev = valid[-1].date
        return Spec(n + 1, f"initial{n + 1}", min_age, _days(prev, 20), last,
                    (_days(prev, 20), _days(prev, 56)), rule)
    if n == 3:
        third = valid[2].date
        std = (d.after_months_interval(third, booster_std_months[0]),
               d.after_months_interval(third, booster_std_months[1]))
        return Spec(4, "booster", min_age, d.after_months_interval(third, 6), last, std, rule)
    return None


def dpt5(ctx, valid, on):
    return _dpt(ctx, valid, _m(ctx, 2), "dpt5.window", (6, 18))


def dpt4(ctx, valid, on):
    two = _m(ctx, 2)
    min_age = two if two >= TRANSITION_DPT4_2MONTHS else min(_m(ctx, 3), TRANSITION_DPT4_2MONTHS)
    return _dpt(ctx, valid, min_age, "dpt4.window", (12, 18))


# Hib (with 4種混合) ------------------------------------------------------------------------

def _initial_count(valid, planned, allowed):
    """How many leading doses of `valid` are 初回 doses: at most `planned`, and from the 2nd on
    only while `allowed(index, dose)` holds; the next dose after them is the 追加."""
    count = min(1, len(valid))
    while count < min(planned, len(valid)) and allowed(count, valid[count]):
        count += 1
    return count


def hib(ctx, valid, on):
    last, m2, m7, m12 = _m(ctx, 60), _m(ctx, 2), _m(ctx, 7), _m(ctx, 12)
    n = len(valid)
    if n == 0:
        return Spec(1, "initial1", m2, None, last, (m2, m7), "hib.paths")
    first, prev = valid[0].date, valid[-1].date
    planned = 3 if first <= m7 else 2 if first <= m12 else 1
    if planned == 1:
        return None
    count = _initial_count(valid, planned, lambda i, dose: dose.date <= m12)
    if n > count:
        return None  # the 追加 has been given
    if count < planned and on <= m12:
        return Spec(n + 1, f"initial{n + 1}", m2, _days(prev, 20), m12,
                    (_days(prev, 27), _days(prev, 56)), "hib.paths",
                    soft_min=_days(prev, 27), soft_code="interval_doctor_discretion")
    # 追加: 7月以上 after the last 初回, or 27日 after it if 初回 was not finished before 1歳.
    earliest = d.after_months_interval(prev, 7) if count == planned else _days(prev, 27)
    std = (d.after_months_interval(prev, 7), d.after_months_interval(prev, 13))
    return Spec(n + 1, "booster", m2, earliest, last, std, "hib.paths")


# 小児肺炎球菌 --------------------------------------------------------------------------------

def pcv(ctx, valid, on):
    last, m2, m7, m12, m24 = _m(ctx, 60), _m(ctx, 2), _m(ctx, 7), _m(ctx, 12), _m(ctx, 24)
    n = len(valid)
    if n == 0:
        return Spec(1, "initial1", m2, None, last, (m2, m7), "pcv.paths")
    first, prev = valid[0].date, valid[-1].date
    if first > m24:
        return None  # start at 24–60月: one dose
    if first > m12:  # start at 12–24月: two doses, 60日以上
        if n >= 2:
            return None
        return Spec(2, "dose2", m2, _days(prev, 60), last, (_days(prev, 60), last), "pcv.paths")
    planned = 3 if first <= m7 else 2

    def initial(i, dose, valid=valid):
        return dose.date <= m24 and not (i == 2 and valid[1].date > m12)

    count = _initial_count(valid, planned, initial)
    if n > count:
        return None
    if count < planned and on <= m24 and not (count == 2 and valid[1].date > m12):
        return Spec(n + 1, f"initial{n + 1}", m2, _days(prev, 27), m24,
                    (_days(prev, 27), m12), "pcv.paths")
    earliest = max(_days(prev, 60), m12)
    return Spec(n + 1, "booster", m12, _days(prev, 60), last,
                (earliest, max(earliest, _m(ctx, 15))), "pcv.paths")


def pcv_default_product(on):
    return "pcv20" if on >= TRANSITION_PCV20 else "pcv15"


# BCG / MR / 水痘 ------------------------------------------------------------------------------

def bcg(ctx, valid, on):
    if valid:
        return None
    return Spec(1, "dose1", ctx.dob, None, _y(ctx, 1), (_m(ctx, 5), _m(ctx, 8)), "bcg.window")


def mr1(ctx, valid, on):
    if valid:
        return None
    return Spec(1, "dose1", _m(ctx, 12), None, _m(ctx, 24), (_m(ctx, 12), _m(ctx, 24)),
                "mr1.window")


def mr2_window(ctx):
    entry = d.school_entry(ctx.dob)
    return d.add_years(entry, -1), entry - timedelta(days=1)


def mr2(ctx, valid, on):
    if valid:
        return None
    start, end = mr2_window(ctx)
    return Spec(1, "dose1", start, None, end, (start, end), "mr2.window")


def varicella(ctx, valid, on):
    last = _m(ctx, 36)
    if not valid:
        return Spec(1, "dose1", _m(ctx, 12), None, last, (_m(ctx, 12), _m(ctx, 15)),
                    "varicella.window")
    if len(valid) == 1:
        first = valid[0].date
        return Spec(2, "dose2", _m(ctx, 12), d.after_months_interval(first, 3), last,
                    (d.after_months_interval(first, 6), d.after_months_interval(first, 12)),
                    "varicella.window")
    return None


# 日本脳炎 ------------------------------------------------------------------------------------

def je_cohort(ctx):
    if _in(ctx.dob, JE_TOKUREI_A):
        return "a"
    if _in(ctx.dob, JE_TOKUREI_B):
        return "b"
    return None


def je(ctx, valid, on):
    n = len(valid)
    if n >= 4:
        return None
    cohort = je_cohort(ctx)
    m6, m90, y9, y13 = _m(ctx, 6), _m(ctx, 90), _y(ctx, 9), _y(ctx, 13)
    prev = valid[-1].date if valid else None
    six = _days(prev, 6) if prev else None
    if cohort == "a" and on > m90:
        min_age = y9 if n == 3 else m6
        return Spec(n + 1, "je2" if n == 3 else f"je1_{n + 1}", min_age, six, _y(ctx, 20), None,
                    "je.tokurei_a")
    if n < 3 and on > m90:
        if cohort == "b" and on <= y13:
            return Spec(n + 1, f"je1_{n + 1}", y9, six, y13, None, "je.tokurei_b")
        # Past 1期 without a 特例: 2期 alone (rules.py je.window note).
        return Spec(n + 1, "je2", y9, six, y13, (y9, _y(ctx, 10)), "je.window")
    if n == 0:
        return Spec(1, "je1_1", m6, None, m90, (_y(ctx, 3), _y(ctx, 4)), "je.window")
    if n == 1:
        return Spec(2, "je1_2", m6, six, m90, (six, _days(prev, 28)), "je.window")
    if n == 2:
        return Spec(3, "je1_3", m6, d.after_months_interval(prev, 6), m90,
                    (max(d.after_months_interval(prev, 6), _y(ctx, 4)), _y(ctx, 5)), "je.window")
    if valid[-1].date > m90 and valid[-1].date >= y9:
        return None  # a 2期 dose given in place of a missing 1期 (je2 above) ends the series
    rule = "je.tokurei_b" if cohort == "b" else "je.window"
    return Spec(4, "je2", y9, six if cohort else None, y13, (y9, _y(ctx, 10)), rule)


# 2種混合 ---------------------------------------------------------------------------------------

def dt(ctx, valid, on):
    if valid:
        return None
    return Spec(1, "dose1", _y(ctx, 11), None, _y(ctx, 13), (_y(ctx, 11), _y(ctx, 12)),
                "dt.window")


# HPV -------------------------------------------------------------------------------------------

def hpv_window(ctx, valid):
    """(first day, last publicly funded day) for this girl given her doses."""
    start = d.fiscal_year_start(d.year_reaching_age(ctx.dob, 12))
    end = d.fiscal_year_end(d.year_reaching_age(ctx.dob, 16))
    window = HPV_CATCHUP["window"]
    if _in(ctx.dob, HPV_CATCHUP["cohort"]):
        start, end = min(start, window[0]), max(end, window[1])
    if _in(ctx.dob, HPV_CATCHUP["extension_cohort"]) and any(
            _in(dose.date, window) for dose in valid):
        end = max(end, HPV_CATCHUP["extension_end"])
    return start, end


def hpv_products(valid):
    return [dose.product for dose in valid if dose.product]


def hpv(ctx, valid, on):
    start, last = hpv_window(ctx, valid)
    n = len(valid)
    if n == 0:
        fy13 = d.year_reaching_age(ctx.dob, 13)
        std = (d.fiscal_year_start(fy13), d.fiscal_year_end(fy13))
        return Spec(1, "dose1", start, None, last, std, "hpv.window")
    products = hpv_products(valid) or ["hpv9"]
    first = valid[0].date
    mixed = len(set(products)) > 1
    kind = products[-1] if not mixed else "mixed"
    after = d.after_months_interval
    if kind == "hpv9" and first <= _y(ctx, 15):
        if n == 1:
            return Spec(2, "dose2", start, after(first, 1), last,
                        (after(first, 6), after(first, 12)), "hpv.intervals",
                        soft_min=after(first, 5), soft_code="hpv9_second_before_5_months")
        if n == 2 and valid[1].date < after(first, 5):
            nxt = after(valid[1].date, 3)
            return Spec(3, "dose3", start, nxt, last, (nxt, after(nxt, 1)), "hpv.intervals")
        return None
    if n >= 3:
        return None
    if n == 1:
        std_at = after(first, 1 if kind == "hpv2" else 2)
        return Spec(2, "dose2", start, after(first, 1), last, (std_at, after(std_at, 1)),
                    "hpv.intervals")
    second = valid[1].date
    if kind == "hpv2":
        nxt = max(after(first, 5), d.after_months_and_half_interval(second, 2))
    else:
        nxt = after(second, 3)
    std_at = max(nxt, after(first, 6))
    return Spec(3, "dose3", start, nxt, last, (std_at, after(std_at, 1)), "hpv.intervals")


# The registry ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    code: str
    vaccines: tuple[str, ...]
    spec: object
    live: bool = False
    product_key: str | None = None


SERIES = {
    "hepb": Series("hepb", ("hepb",), hepb),
    "rota": Series("rota", ("rota",), rota, product_key="rota"),
    "dpt_ipv_hib": Series("dpt_ipv_hib", ("dpt_ipv_hib",), dpt5),
    "dpt_ipv": Series("dpt_ipv", ("dpt_ipv", "dpt_ipv_hib"), dpt4),
    "hib": Series("hib", ("hib", "dpt_ipv_hib"), hib),
    "pcv": Series("pcv", ("pcv",), pcv, product_key="pcv"),
    "bcg": Series("bcg", ("bcg",), bcg, live=True),
    "mr1": Series("mr1", ("mr",), mr1, live=True),
    "mr2": Series("mr2", ("mr",), mr2, live=True),
    "varicella": Series("varicella", ("varicella",), varicella, live=True),
    "je": Series("je", ("je",), je),
    "dt": Series("dt", ("dt",), dt),
    "hpv": Series("hpv", ("hpv",), hpv, product_key="hpv"),
}

ROUTINE_VACCINES = frozenset(v for s in SERIES.values() for v in s.vaccines)


def applicable(ctx, doses_by_vaccine):
    """The series this child's plan lists, in order (4種混合 + Hib replace 5種 for children who
    started them, or who had no dose before 5種 became routine on 2024-04-01)."""
    codes = []
    if ctx.dob >= date(2016, 4, 1):
        codes.append("hepb")
    if ctx.dob >= date(2020, 8, 1):
        codes.append("rota")
    legacy = bool(doses_by_vaccine.get("dpt_ipv") or doses_by_vaccine.get("hib"))
    if not legacy and not doses_by_vaccine.get("dpt_ipv_hib") and ctx.today < TRANSITION_5IN1:
        legacy = True
    codes += ["dpt_ipv", "hib"] if legacy else ["dpt_ipv_hib"]
    codes += ["pcv", "bcg", "mr1", "mr2"]
    if d.reach_months(ctx.dob, 36) >= date(2014, 10, 1):
        codes.append("varicella")
    codes += ["je", "dt"]
    if ctx.sex == "F":
        codes.append("hpv")
    return codes


def assign(code, ctx, dose):
    """Whether `dose` belongs to series `code` (MR: 2期 from its window's first day)."""
    if code == "mr1":
        return dose.date < mr2_window(ctx)[0]
    if code == "mr2":
        return dose.date >= mr2_window(ctx)[0]
    return True
