"""The immunisation plan in words (取組23 母子手帳アプリ): every code the schedule engine returns
— statuses, dose labels, the reasons a dose does not count and the warnings — turned into a
translated sentence for the guardian's and the staff pages, and the plan turned into rows a
template can show without logic. The engine stays pure; the words live here."""

from collections import defaultdict

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Product, Vaccine
from ..series_names import series_name

STATUS_NAMES = {
    "complete": gettext_lazy("Complete"),
    "due": gettext_lazy("Due now"),
    "upcoming": gettext_lazy("Not due yet"),
    "overdue": gettext_lazy("Overdue, still free"),
    "expired": gettext_lazy("Free period ended"),
    "invalid_dose": gettext_lazy("A dose does not count"),
}

STATUS_NOTES = {
    "complete": gettext_lazy("Every dose of this vaccine has been given."),
    "due": gettext_lazy("The next dose can be given now: this is the recommended period."),
    "upcoming": gettext_lazy("The next dose is not due yet."),
    "overdue": gettext_lazy("The recommended period has passed, but the dose is still free "
                            "of charge (routine vaccination). Please book it soon."),
    "expired": gettext_lazy("The dose can no longer be given free of charge as a routine "
                            "vaccination. Ask your doctor about a voluntary dose (at your "
                            "own cost)."),
    "invalid_dose": gettext_lazy("A dose recorded for this vaccine does not count (see the "
                                 "history below). The next dose is planned as if it had not "
                                 "been given."),
}

REASONS = {
    "before_birth": gettext_lazy("The date is before the date of birth: please check it."),
    "after_today": gettext_lazy("The date is in the future: please check it."),
    "duplicate_same_day": gettext_lazy("Another dose of this vaccine is recorded on the same "
                                       "day."),
    "extra_dose": gettext_lazy("More doses than this vaccine needs: this one is not "
                               "counted."),
    "before_min_age": gettext_lazy("Given before the minimum age for this dose."),
    "interval_too_short": gettext_lazy("Given too soon after the previous dose (the minimum "
                                       "interval was not kept)."),
    "unknown_product_code": gettext_lazy("The product recorded is not a product of this "
                                         "vaccine."),
    "product_mix": gettext_lazy("A different product from the earlier doses: this vaccine "
                                "must be completed with the product it was started with."),
    "live_interval": gettext_lazy("Given less than 27 days after another injectable live "
                                  "vaccine (27 days or more must pass between them)."),
}

STATUS_ORDER = ("invalid_dose", "overdue", "due", "upcoming", "expired", "complete")


def day(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""




def vaccine_name(code: str) -> str:
    return str(dict(Vaccine.choices).get(code, code))


def product_name(code: str | None) -> str:
    return str(dict(Product.choices).get(code, code or ""))


def dose_label(label: str | None) -> str:
    """`dose2` → "Dose 2", `initial1` → "Primary dose 1", `booster`, `je1_3`, `je2`."""
    if not label:
        return ""
    if label == "booster":
        return _("Booster")
    if label == "je2":
        return _("Stage 2")
    if label == "je1_3":
        return _("Stage 1 booster")
    if label.startswith("je1_"):
        return _("Stage 1, primary dose %(number)s") % {"number": label[4:]}
    if label.startswith("initial"):
        return _("Primary dose %(number)s") % {"number": label[7:]}
    if label.startswith("dose"):
        return _("Dose %(number)s") % {"number": label[4:]}
    return label


def reason_text(reason: str | None) -> str:
    if not reason:
        return ""
    text = REASONS.get(reason)
    return str(text) if text else _("Please check this dose with your doctor (%(code)s).") % {
        "code": reason}


def _switch_text(warning) -> str:
    if warning.detail == "dpt_ipv_hib":
        return _("On %(date)s a 5-in-1 dose was given to a child who had started 4-in-1 and "
                 "Hib; it counts for both. Please confirm the rest of the plan with your "
                 "doctor.") % {"date": day(warning.date)}
    before, _arrow, after = warning.detail.partition("->")
    return _("The product changed on %(date)s (%(before)s → %(after)s). This change is "
             "allowed; please confirm it with your doctor.") % {
        "date": day(warning.date), "before": product_name(before),
        "after": product_name(after)}


def warning_text(warning) -> str:
    """One engine warning (`PlanWarning`) as a sentence in the page's language."""
    on = day(warning.date)
    code = warning.code
    if code == "product_switch":
        return _switch_text(warning)
    if code == "product_not_routine_on_date":
        name = product_name(warning.detail) if warning.detail in Product.values else \
            vaccine_name(warning.detail)
        return _("The dose on %(date)s used %(product)s, which was not a routine (free) "
                 "vaccine on that date.") % {"date": on, "product": name}
    if code == "live_conflict_planned":
        return _("The next dose on %(date)s is within 27 days of the next dose of "
                 "%(other)s. Two injectable live vaccines are given on the same day or 27 "
                 "days or more apart.") % {"date": on, "other": series_name(warning.detail)}
    if code == "appointment_missed":
        return _("The planned date %(date)s for %(series)s has passed. If the dose was "
                 "given, record it; if not, plan a new date.") % {
            "date": on, "series": series_name(warning.detail)}
    if code == "unknown_vaccine":
        return _("A dose on %(date)s is of a vaccine the plan does not know (%(vaccine)s).") % {
            "date": on, "vaccine": warning.detail}
    texts = {
        "unknown_product": _("The product of the dose on %(date)s is not recorded; the plan "
                             "assumes the shorter schedule. Please add the product from the "
                             "handbook."),
        "not_publicly_funded": _("The dose on %(date)s was given after the free (routine) "
                                 "period; it counts, as a voluntary dose."),
        "interval_doctor_discretion": _("The dose on %(date)s was given 20 to 26 days after "
                                        "the previous one: this is allowed only when the "
                                        "doctor considers it necessary."),
        "hpv9_second_before_5_months": _("The second dose on %(date)s came less than 5 "
                                         "months after the first, so a third dose is "
                                         "needed."),
        "rota_first_dose_after_14w6d": _("The first rotavirus dose on %(date)s was given "
                                         "after 14 weeks and 6 days of age, later than "
                                         "recommended."),
        "extra_dose": _("More doses are recorded than this vaccine needs; the extra ones are "
                        "not counted."),
        "had_invalid_dose": _("A dose recorded does not count, but the vaccine was completed "
                              "with the other doses."),
        "appointment_too_early": _("The planned date %(date)s is before the earliest date "
                                   "allowed, so the dose would not count. Please choose a "
                                   "new date."),
        "appointment_after_public_window": _("The planned date %(date)s is after the free "
                                             "(routine) period ends."),
        "live_conflict": _("The planned date %(date)s is less than 27 days after another "
                           "injectable live vaccine, so the dose would not count."),
        "cannot_complete_publicly_funded": _("Even at the earliest dates, this vaccine cannot "
                                             "be completed within the free period (a dose "
                                             "would fall on %(date)s). Please ask your "
                                             "doctor."),
        "mixed_4in1_5in1": _("Both 4-in-1/Hib and 5-in-1 doses are recorded. Please confirm "
                             "the plan with your doctor."),
    }
    text = texts.get(code)
    if text is None:
        return _("Please check this with your doctor (%(code)s).") % {"code": code}
    return text % {"date": on} if "%(date)s" in text else text


# -- the plan as rows --------------------------------------------------------------------------

def _dose_verdicts(plan) -> dict:
    """(vaccine, date, product) → {series: [its results for such a dose, in order]}."""
    verdicts = defaultdict(lambda: defaultdict(list))
    for code, series in plan.series.items():
        for result in series.doses:
            verdicts[(result.vaccine, result.date, result.product)][code].append(result)
    return verdicts


def dose_rows(doses, plan) -> list[dict]:
    """The dose history, each with what it counts as or why it does not count (two identical
    entries take the series' verdicts in turn: the second is the same-day duplicate)."""
    verdicts = _dose_verdicts(plan)
    rows = []
    for dose in doses:
        by_series = verdicts.get((dose.vaccine, dose.given_on, dose.product or None), {})
        results = [(code, queue.pop(0)) for code, queue in by_series.items() if queue]
        counts = [_("%(series)s: dose %(number)s") % {"series": series_name(code),
                                                      "number": result.number}
                  for code, result in results if result.valid]
        invalid = [reason_text(result.reason) for _code, result in results if not result.valid]
        rows.append({"dose": dose, "vaccine": vaccine_name(dose.vaccine),
                     "product": product_name(dose.product) if dose.product else "",
                     "counts": counts, "invalid": sorted(set(invalid)),
                     "valid": bool(counts) and not invalid})
    return rows


def series_rows(plan, appointments: dict) -> list[dict]:
    """One row per series, in the engine's order, with every fact in words."""
    rows = []
    for code, series in plan.series.items():
        projected = [{"label": dose_label(p.label), "date": p.date,
                      "after_free": p.date > p.last_funded} for p in series.projected]
        rows.append({
            "code": code, "name": series_name(code), "status": series.status,
            "status_name": str(STATUS_NAMES.get(series.status, series.status)),
            "status_note": str(STATUS_NOTES.get(series.status, "")),
            "doses_valid": series.doses_valid, "doses_required": series.doses_required,
            "next_label": dose_label(series.next_label), "next_date": series.next_date,
            "earliest": series.earliest, "recommended": series.recommended,
            "last_funded": series.last_funded,
            "product": product_name(series.product) if series.product else "",
            "projected": projected, "later": projected[1:],
            "planned_on": appointments.get(code),
            "warnings": [warning_text(w) for w in series.warnings],
            "can_plan": series.status not in ("complete", "expired")
            and series.earliest is not None,
        })
    return rows


def plan_warnings(plan) -> list[str]:
    return [warning_text(w) for w in plan.warnings]


def one_line_status(plan) -> str:
    """A child's plan in one line for the list of children."""
    counts = defaultdict(int)
    for series in plan.series.values():
        counts[series.status] += 1
    parts = []
    if counts["invalid_dose"]:
        parts.append(ngettext("%(count)s vaccine with a dose that does not count",
                              "%(count)s vaccines with a dose that does not count",
                              counts["invalid_dose"]) % {"count": counts["invalid_dose"]})
    if counts["overdue"]:
        parts.append(ngettext("%(count)s overdue (still free)", "%(count)s overdue (still "
                              "free)", counts["overdue"]) % {"count": counts["overdue"]})
    if counts["due"]:
        parts.append(ngettext("%(count)s due now", "%(count)s due now",
                              counts["due"]) % {"count": counts["due"]})
    upcoming = sorted(((s.next_date, code) for code, s in plan.series.items()
                       if s.status == "upcoming" and s.next_date), key=lambda item: item)
    if upcoming and not parts:
        when, code = upcoming[0]
        parts.append(_("Next: %(series)s from %(date)s") % {"series": series_name(code),
                                                            "date": day(when)})
    if not parts:
        if all(s.status in ("complete", "expired") for s in plan.series.values()):
            return _("Nothing left to plan")
        return _("Nothing due now")
    return _("; ").join(parts)
