"""The schedule engine: a child's record and today's date in, a plan out — one entry per
routine series with its status, the next dose, its dates, and the warnings. Pure functions
over frozen dataclasses; no Django, no I/O. Impossible histories are reported (invalid doses,
warnings), never raised.

Statuses (docs/childcare.md "Immunisation schedule"):
- complete      every dose the series needs is given and valid;
- due           the next dose can be given now and we are inside its 標準 window;
- upcoming      the next dose cannot be given yet, or its 標準 window has not begun;
- overdue       past the 標準 window but still publicly funded (定期);
- expired       the next dose can no longer be given as 定期 (公費 age passed);
- invalid_dose  a dose in the series does not count (reason on the dose) and the series is
                not complete; the next-dose fields say what to do now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

from . import dates as d
from .rules import CONTINUITY, INJECTABLE_LIVE, OPTIONAL, PRODUCT_ROUTINE, PRODUCTS
from .series import (
    ROUTINE_VACCINES,
    SERIES,
    Ctx,
    Dose,
    applicable,
    assign,
    pcv_default_product,
)

LIVE_GAP_DAYS = 27  # 注射生ワクチン → 別の注射生ワクチン: 27日以上の間隔


@dataclass(frozen=True)
class ChildRecord:
    date_of_birth: date
    sex: str = ""  # "F", "M" or "" (HPV is planned for "F" only)
    doses: tuple = ()  # ((vaccine code, product or None, date), ...)
    appointments: tuple = ()  # ((series code, date), ...): the booked next dose of a series


@dataclass(frozen=True)
class PlanWarning:
    code: str
    date: date | None = None
    detail: str = ""


@dataclass(frozen=True)
class DoseResult:
    vaccine: str
    product: str | None
    date: date
    number: int | None  # the dose number it counts as, None if it does not count
    valid: bool
    reason: str | None = None


@dataclass(frozen=True)
class Projected:
    number: int
    label: str
    date: date
    last_funded: date


@dataclass(frozen=True)
class SeriesPlan:
    series: str
    status: str
    doses_valid: int
    doses_required: int | None = None
    next_dose: int | None = None
    next_label: str | None = None
    product: str | None = None
    earliest: date | None = None  # legal earliest date of the next dose (may be past)
    next_date: date | None = None  # first valid date on or after today
    recommended: tuple | None = None  # (start, end) of the 標準 window
    last_funded: date | None = None
    rule: str | None = None
    doses: tuple = ()
    projected: tuple = ()
    warnings: tuple = ()


@dataclass(frozen=True)
class Plan:
    today: date
    child: ChildRecord
    series: dict = field(default_factory=dict)
    warnings: tuple = ()

    def to_dict(self):
        return _jsonable({"today": self.today, "series": {k: asdict(v) for k, v in
                                                          self.series.items()},
                          "warnings": [asdict(w) for w in self.warnings]})


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _live_clear(day, vaccine, live_doses):
    """The first date on or after `day` at least 27 clear days from every injectable live dose
    of another vaccine (the same day is allowed)."""
    moved = True
    while moved:
        moved = False
        for given, other in live_doses:
            if other != vaccine and 0 < abs((day - given).days) <= LIVE_GAP_DAYS:
                day = given + timedelta(days=LIVE_GAP_DAYS + 1) if day > given else day
                if day < given:  # before a later live dose: go past it
                    day = given + timedelta(days=LIVE_GAP_DAYS + 1)
                moved = True
    return day


def _resolve(series, ctx, valid, start):
    """The next dose's spec at the first date it could be given from `start` on: paths that
    change with age are re-asked at that date (at most a few steps)."""
    on = start
    spec = series.spec(ctx, valid, on)
    for _ in range(4):
        if spec is None:
            return None, on
        at = max(spec.planned_earliest, on)
        if at == on:
            return spec, on
        again = series.spec(ctx, valid, at)
        if again is None or again.label == spec.label:
            return spec, on
        spec, on = again, at
    return spec, on


def _routine_product_warning(dose):
    key = dose.product if dose.product in PRODUCT_ROUTINE else dose.vaccine
    bounds = PRODUCT_ROUTINE.get(key)
    if bounds and ((bounds[0] and dose.date < bounds[0]) or (bounds[1] and dose.date > bounds[1])):
        return PlanWarning("product_not_routine_on_date", dose.date, key)
    return None


def _check_product(series, dose, valid, warnings):
    """None if the product may follow the series' earlier doses, else the invalid reason."""
    if dose.vaccine == "dpt_ipv_hib" and series.code in ("dpt_ipv", "hib"):
        warnings.append(PlanWarning("product_switch", dose.date, "dpt_ipv_hib"))
        return None
    key = series.product_key
    if not key:
        return None
    if dose.product is None:
        warnings.append(PlanWarning("unknown_product", dose.date))
        return None
    if dose.product not in PRODUCTS[key]:
        return "unknown_product_code"
    before = next((v.product for v in reversed(valid) if v.product), None)
    if before and before != dose.product:
        verdict = CONTINUITY[key].get((before, dose.product))
        if verdict is None:
            return "product_mix"
        if verdict == "warn":
            warnings.append(PlanWarning("product_switch", dose.date, f"{before}->{dose.product}"))
    return None


def _evaluate(series, ctx, doses, live_doses):
    valid, results, warnings = [], [], []
    for dose in doses:
        reason, spec = None, None
        if dose.date < ctx.dob:
            reason = "before_birth"
        elif dose.date > ctx.today:
            reason = "after_today"
        elif valid and valid[-1].date == dose.date:
            reason = "duplicate_same_day"
        else:
            spec = series.spec(ctx, valid, dose.date)
            if spec is None:
                reason = "extra_dose"
            elif dose.date < spec.min_age:
                reason = "before_min_age"
            elif spec.min_interval and dose.date < spec.min_interval:
                reason = "interval_too_short"
            else:
                reason = _check_product(series, dose, valid, warnings)
            if reason is None and series.live and any(
                    other != dose.vaccine and 0 < (dose.date - given).days <= LIVE_GAP_DAYS
                    for given, other in live_doses):
                reason = "live_interval"
        if reason is None:
            valid.append(dose)
            if dose.date > spec.last:
                warnings.append(PlanWarning("not_publicly_funded", dose.date, spec.rule))
            if spec.soft_min and dose.date < spec.soft_min:
                warnings.append(PlanWarning(spec.soft_code, dose.date))
            if series.code == "rota" and spec.number == 1 and dose.date > d.after_birth(
                    ctx.dob, 14, 6):
                warnings.append(PlanWarning("rota_first_dose_after_14w6d", dose.date))
            extra = _routine_product_warning(dose)
            if extra:
                warnings.append(extra)
        results.append(DoseResult(dose.vaccine, dose.product, dose.date,
                                  len(valid) if reason is None else None, reason is None, reason))
    return valid, results, warnings


def _product_hint(series, valid, at):
    products = [v.product for v in valid if v.product]
    if series.code == "pcv":
        if products and not (products[-1] == "pcv13" and at >= date(2024, 10, 1)):
            return products[-1]
        return pcv_default_product(at)
    if series.code == "hpv":
        return products[-1] if products else ("hpv9" if at >= date(2023, 4, 1) else None)
    if series.code == "rota":
        return products[-1] if products else None
    return None


def _plan_series(series, ctx, doses, live_doses, appointment):
    valid, results, warnings = _evaluate(series, ctx, doses, live_doses)
    invalid = any(not r.valid and r.reason != "extra_dose" for r in results)
    if any(r.reason == "extra_dose" for r in results):
        warnings.append(PlanWarning("extra_dose"))
    spec, _ = _resolve(series, ctx, valid, ctx.today)
    if spec is None:
        if invalid:
            warnings.append(PlanWarning("had_invalid_dose"))
        return SeriesPlan(series.code, "complete", len(valid), len(valid),
                          doses=tuple(results), warnings=tuple(warnings))
    vaccine = series.vaccines[0] if series.code not in ("mr1", "mr2") else "mr"
    earliest = spec.legal_earliest
    next_date = max(spec.planned_earliest, ctx.today)
    if series.live:
        earliest = _live_clear(earliest, vaccine, live_doses)
        next_date = _live_clear(next_date, vaccine, live_doses)
    if invalid:
        status = "invalid_dose"
    elif next_date > spec.last:
        status = "expired"
    elif next_date > ctx.today or (spec.std and ctx.today < spec.std[0]):
        status = "upcoming"
    elif spec.std and ctx.today > spec.std[1]:
        status = "overdue"
    else:
        status = "due"
    projected = _project(series, ctx, valid, spec, next_date, appointment, live_doses,
                         vaccine, warnings) if status != "expired" else ()
    return SeriesPlan(
        series.code, status, len(valid), len(valid) + len(projected) if projected else None,
        spec.number, spec.label, _product_hint(series, valid, next_date), earliest, next_date,
        spec.std, spec.last, spec.rule, tuple(results), tuple(projected), tuple(warnings))


def _project(series, ctx, valid, spec, next_date, appointment, live_doses, vaccine, warnings):
    """Every remaining dose at its earliest date (the next one at its appointment if booked)."""
    sim, out, at = list(valid), [], next_date
    if appointment is not None:
        if appointment < spec.legal_earliest:
            warnings.append(PlanWarning("appointment_too_early", appointment))
        elif appointment > spec.last:
            warnings.append(PlanWarning("appointment_after_public_window", appointment))
        if series.live and _live_clear(appointment, vaccine, live_doses) != appointment:
            warnings.append(PlanWarning("live_conflict", appointment))
        at = appointment
    for _ in range(6):
        if out:
            spec, _ = _resolve(series, ctx, sim, at)
            if spec is None:
                break
            at = max(spec.planned_earliest, at)
            if series.live:
                at = _live_clear(at, vaccine, live_doses)
        out.append(Projected(spec.number, spec.label, at, spec.last))
        if at > spec.last and not any(w.code == "cannot_complete_publicly_funded"
                                      for w in warnings):
            warnings.append(PlanWarning("cannot_complete_publicly_funded", at))
        sim.append(Dose(vaccine, sim[-1].product if sim else None, at))
    return out


def _planned_live_conflicts(plans):
    live = [(code, p.projected[0].date) for code, p in plans.items()
            if SERIES[code].live and p.projected]
    extra = {}
    for i, (a, day_a) in enumerate(live):
        for b, day_b in live[i + 1:]:
            if {a, b} == {"mr1", "mr2"}:
                continue
            gap = abs((day_a - day_b).days)
            if 0 < gap <= LIVE_GAP_DAYS:
                extra.setdefault(a, []).append(PlanWarning("live_conflict_planned", day_a, b))
                extra.setdefault(b, []).append(PlanWarning("live_conflict_planned", day_b, a))
    return {code: replace(plans[code], warnings=plans[code].warnings + tuple(ws))
            for code, ws in extra.items()}


def schedule(child: ChildRecord, *, today: date) -> Plan:
    """The plan for `child` as of `today`. Never raises on odd histories."""
    ctx = Ctx(child.date_of_birth, child.sex, today)
    doses, plan_warnings = [], []
    for vaccine, product, day in child.doses:
        if vaccine in ROUTINE_VACCINES or vaccine in OPTIONAL:
            doses.append(Dose(vaccine, product, day))
        else:
            plan_warnings.append(PlanWarning("unknown_vaccine", day, str(vaccine)))
    doses.sort(key=lambda dose: dose.date)
    live_doses = [(dose.date, dose.vaccine) for dose in doses
                  if dose.vaccine in INJECTABLE_LIVE and ctx.dob <= dose.date <= today]
    by_vaccine = {}
    for dose in doses:
        by_vaccine.setdefault(dose.vaccine, []).append(dose)
    appointments = {code: day for code, day in child.appointments}
    plans = {}
    for code in applicable(ctx, by_vaccine):
        series = SERIES[code]
        own = [dose for v in series.vaccines for dose in by_vaccine.get(v, ())
               if assign(code, ctx, dose)]
        own.sort(key=lambda dose: dose.date)
        when = appointments.get(code)
        if when is not None and when < today:
            plan_warnings.append(PlanWarning("appointment_missed", when, code))
            when = None
        plans[code] = _plan_series(series, ctx, own, live_doses, when)
    plans.update(_planned_live_conflicts(plans))
    if any(dose.vaccine in ("dpt_ipv", "hib") for dose in doses) and by_vaccine.get(
            "dpt_ipv_hib"):
        plan_warnings.append(PlanWarning("mixed_4in1_5in1"))
    return Plan(today, child, plans, tuple(plan_warnings))


def reschedule(child: ChildRecord, *, today: date, series: str,
               new_date: date | None = None) -> Plan:
    """One step after a missed or postponed dose: book `series`' next dose on `new_date` (or
    drop its appointment when `new_date` is None: missed, plan from today) and recompute
    every date of every series from the new facts."""
    kept = tuple((code, day) for code, day in child.appointments if code != series)
    if new_date is not None:
        kept += ((series, new_date),)
    return schedule(replace(child, appointments=kept), today=today)
