"""The immunisation records (取組23 母子手帳アプリ): the engine's view of a child, and every write
a guardian (or the health centre, from the 予防接種台帳) makes to them — children, doses, and
the one-step reschedule of a missed or postponed dose.

Each write is a keyword-only function with an explicit actor, runs in one transaction and
writes its audit event (`core.audit.audit_record`) in that transaction; bad input raises
`ValidationFailed` with a translated message and changes nothing. Impossible histories are
NOT refused here (a dose given too early, a product switched, a dose outside the age): the
engine marks them and the plan says so in words. What is refused is what cannot be a fact: a
dose before birth or in the future, a birth date in the future, a product that does not exist
for the vaccine. Audit details never carry names or dates of birth.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..immunisation import dates as legal_dates
from ..immunisation.engine import ChildRecord, Plan, reschedule, schedule
from ..models import ChildProfile, DoseAppointment, DoseRecord, Vaccine
from ..models.immunisation import VACCINE_PRODUCTS

ADD_DOSE = "childcare.add_doserecord"
OLDEST_YEARS = 20  # the oldest routine dose is the 日本脳炎 特例 (until the 20歳 day)


def child_record_for_engine(child: ChildProfile) -> ChildRecord:
    """The engine's frozen view of a child: birth date, sex, doses and planned dates."""
    doses = tuple((dose.vaccine, dose.product or None, dose.given_on)
                  for dose in child.doses.all())
    appointments = tuple((row.series, row.planned_on) for row in child.appointments.all())
    return ChildRecord(date_of_birth=child.date_of_birth, sex=child.sex, doses=doses,
                       appointments=appointments)


def child_plan(child: ChildProfile, *, today: date) -> Plan:
    return schedule(child_record_for_engine(child), today=today)


# -- helpers -----------------------------------------------------------------------------------

def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _day(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _guardian_profile(actor):
    profile = getattr(actor, "resident_profile", None) if actor is not None else None
    if profile is None or not actor.is_authenticated:
        raise ValidationFailed(_("Please fill in your resident details before adding a "
                                 "child."), code="no_profile")
    return profile


def _is_guardian(actor, child: ChildProfile) -> bool:
    return (actor is not None and actor.is_authenticated
            and child.guardian.user_id == actor.pk)


def _require_guardian(actor, child: ChildProfile) -> None:
    if not _is_guardian(actor, child):
        raise PermissionDeniedError()


def _text(value, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationFailed(_("Please use at most %(count)s characters.") % {
            "count": max_length}, field=field)
    return text


def _child_fields(*, name, name_kana, date_of_birth, sex, today) -> dict:
    if not isinstance(date_of_birth, date):
        raise ValidationFailed(_("Please enter the date of birth."), field="date_of_birth")
    if date_of_birth > today:
        raise ValidationFailed(_("The date of birth cannot be in the future."),
                               field="date_of_birth")
    oldest = legal_dates.add_years(today, -OLDEST_YEARS)
    if date_of_birth < oldest:
        raise ValidationFailed(_(
            "The immunisation plan is for children and young people under %(years)s: please "
            "enter a date of birth on or after %(date)s.") % {"years": OLDEST_YEARS,
                                                        "date": _day(oldest)},
            field="date_of_birth")
    sex = sex or ""
    if sex not in ChildProfile.Sex.values:
        raise ValidationFailed(_("Please choose one of the options."), field="sex")
    name = _text(name, field="name", max_length=100)
    if not name:
        raise ValidationFailed(_("Please enter the child's name."), field="name")
    return {"name": name,
            "name_kana": _text(name_kana, field="name_kana", max_length=100),
            "date_of_birth": date_of_birth, "sex": sex}


# -- children ----------------------------------------------------------------------------------

def child_add(*, actor, name: str, date_of_birth: date, name_kana: str = "", sex: str = "",
              reminders: bool = True, today: date | None = None) -> ChildProfile:
    """A guardian adds a child to their records. The guardian is the actor's resident
    profile; the branch office (what scopes staff) is that of the guardian's town."""
    guardian = _guardian_profile(actor)
    fields = _child_fields(name=name, name_kana=name_kana, date_of_birth=date_of_birth,
                           sex=sex, today=_today(today))
    with transaction.atomic():
        child = ChildProfile.objects.create(
            guardian=guardian, branch_office_id=guardian.town.branch_office_id,
            reminders=bool(reminders), is_demo=guardian.is_demo, **fields)
        audit_record(actor=actor, action="childcare.child.add", target=child,
                     details={"branch_office": child.branch_office_id})
    return child


def child_update(*, child: ChildProfile, actor, name: str, date_of_birth: date,
                 name_kana: str = "", sex: str = "", reminders: bool = True,
                 today: date | None = None) -> ChildProfile:
    """The guardian corrects a child's details. The branch office follows the guardian's
    current town (a family that moved is served by its new branch office)."""
    _require_guardian(actor, child)
    fields = _child_fields(name=name, name_kana=name_kana, date_of_birth=date_of_birth,
                           sex=sex, today=_today(today))
    fields["reminders"] = bool(reminders)
    fields["branch_office_id"] = child.guardian.town.branch_office_id
    with transaction.atomic():
        locked = ChildProfile.objects.select_for_update().get(pk=child.pk)
        changed = sorted(key.removesuffix("_id") for key, value in fields.items()
                         if getattr(locked, key) != value)
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save()
        audit_record(actor=actor, action="childcare.child.update", target=locked,
                     details={"changed": changed})
    for key, value in fields.items():
        setattr(child, key, value)
    return locked


def child_delete(*, child: ChildProfile, actor) -> None:
    """The guardian removes a child and all its doses and planned dates."""
    _require_guardian(actor, child)
    with transaction.atomic():
        audit_record(actor=actor, action="childcare.child.delete", target=child,
                     details={"doses": child.doses.count()})
        ChildProfile.objects.filter(pk=child.pk).delete()


# -- doses -------------------------------------------------------------------------------------

def _dose_source(actor, child: ChildProfile) -> str:
    if _is_guardian(actor, child):
        return DoseRecord.Source.GUARDIAN
    from ..permissions import child_in_scope

    if can(actor, ADD_DOSE) and child_in_scope(actor, child):
        return DoseRecord.Source.STAFF
    raise PermissionDeniedError()


def dose_add(*, child: ChildProfile, actor, vaccine: str, given_on: date, product: str = "",
             clinic: str = "", lot_number: str = "", today: date | None = None) -> DoseRecord:
    """Record one dose. The guardian records from the handbook (source "guardian"); staff
    who may add doses record from the 予防接種台帳 (source "staff")."""
    source = _dose_source(actor, child)
    today = _today(today)
    if vaccine not in Vaccine.values:
        raise ValidationFailed(_("Please choose the vaccine."), field="vaccine")
    product = product or ""
    allowed = VACCINE_PRODUCTS.get(vaccine, ())
    if allowed and not product:
        raise ValidationFailed(_(
            "Please choose the product of this vaccine (%(products)s): it is on the sticker "
            "in the handbook, and it decides how many doses are needed.") % {
            "products": _(", ").join(str(p.label) for p in allowed)}, field="product")
    if product and product not in allowed:
        if allowed:
            raise ValidationFailed(_("This product is not a product of the vaccine chosen."),
                                   field="product")
        raise ValidationFailed(_("This vaccine has no product to choose: leave the product "
                                 "empty."), field="product")
    if not isinstance(given_on, date):
        raise ValidationFailed(_("Please enter the date the dose was given."), field="given_on")
    if given_on > today:
        raise ValidationFailed(_("The date given cannot be in the future: record a dose after "
                                 "it has been given, or plan it on the plan page."),
                               field="given_on")
    if given_on < child.date_of_birth:
        raise ValidationFailed(_("The date given is before the child's date of birth "
                                 "(%(date)s).") % {"date": _day(child.date_of_birth)},
                               field="given_on")
    clinic = _text(clinic, field="clinic", max_length=200)
    lot_number = _text(lot_number, field="lot_number", max_length=40)
    with transaction.atomic():
        dose = DoseRecord.objects.create(
            child=child, vaccine=vaccine, product=product, given_on=given_on, clinic=clinic,
            lot_number=lot_number, source=source,
            recorded_by=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, action="childcare.dose.add", target=dose,
                     details={"child": child.pk, "vaccine": vaccine, "source": source})
    return dose


def dose_remove(*, dose: DoseRecord, actor) -> None:
    """The guardian removes a dose they entered. A dose from the 予防接種台帳 or a clinic's
    report is the city's record: the guardian asks the health centre to correct it."""
    _require_guardian(actor, dose.child)
    if dose.source != DoseRecord.Source.GUARDIAN:
        raise ValidationFailed(_("This dose comes from the city's immunisation register. "
                                 "Please ask the health centre to correct it."),
                               code="not_own_entry")
    with transaction.atomic():
        audit_record(actor=actor, action="childcare.dose.remove", target=dose,
                     details={"child": dose.child_id, "vaccine": dose.vaccine})
        DoseRecord.objects.filter(pk=dose.pk).delete()


# -- the one-step reschedule -------------------------------------------------------------------

def plan_reschedule(*, child: ChildProfile, actor, series: str, new_date: date | None = None,
                    today: date | None = None) -> Plan:
    """After a missed or postponed dose, in one step: with `new_date` the next dose of
    `series` is planned on that date, without it (missed) the planned date is dropped and the
    series is planned from today. Returns the recomputed plan of every series (the engine's
    `reschedule`: later doses of the series move with the new date, and live-vaccine gaps
    with the other series are checked again).

    Refused: a series that is not in the child's plan or has no dose left to plan, a date in
    the past, a date before the earliest legal date of that dose (the message gives it)."""
    _require_guardian(actor, child)
    today = _today(today)
    record = child_record_for_engine(child)
    current = schedule(record, today=today).series.get(series)
    if current is None:
        raise ValidationFailed(_("This vaccine is not in the child's plan."), field="series")
    if current.status in ("complete", "expired") or current.earliest is None:
        raise ValidationFailed(_("There is no publicly funded dose left to plan in this "
                                 "series."), field="series")
    if new_date is not None:
        if not isinstance(new_date, date):
            raise ValidationFailed(_("Please enter the new date."), field="new_date")
        if new_date < today:
            raise ValidationFailed(_("The new date is in the past: please choose today or a "
                                     "later date."), field="new_date")
        if new_date < current.earliest:
            raise ValidationFailed(_(
                "This dose cannot be given before %(date)s (the earliest date allowed by the "
                "rules): please choose that date or a later one.") % {
                "date": _day(current.earliest)}, field="new_date")
        latest = legal_dates.add_years(child.date_of_birth, OLDEST_YEARS + 1)
        if new_date > latest:
            raise ValidationFailed(_("Please choose a date before %(date)s.") % {
                "date": _day(latest)}, field="new_date")
    with transaction.atomic():
        if new_date is None:
            DoseAppointment.objects.filter(child=child, series=series).delete()
        else:
            DoseAppointment.objects.update_or_create(child=child, series=series,
                                                     defaults={"planned_on": new_date})
        audit_record(actor=actor, action="childcare.appointment.reschedule", target=child,
                     details={"series": series, "missed": new_date is None})
    return reschedule(record, today=today, series=series, new_date=new_date)
