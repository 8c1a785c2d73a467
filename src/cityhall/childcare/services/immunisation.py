"""The immunisation records (取組23) as the schedule engine reads them. Writes (children,
doses, planned dates) live beside this as keyword-only services with an explicit actor."""

from datetime import date

from ..immunisation.engine import ChildRecord, Plan, schedule
from ..models import ChildProfile


def child_record_for_engine(child: ChildProfile) -> ChildRecord:
    """The engine's frozen view of a child: birth date, sex, doses and planned dates."""
    doses = tuple((dose.vaccine, dose.product or None, dose.given_on)
                  for dose in child.doses.all())
    appointments = tuple((row.series, row.planned_on) for row in child.appointments.all())
    return ChildRecord(date_of_birth=child.date_of_birth, sex=child.sex, doses=doses,
                       appointments=appointments)


def child_plan(child: ChildProfile, *, today: date) -> Plan:
    return schedule(child_record_for_engine(child), today=today)
