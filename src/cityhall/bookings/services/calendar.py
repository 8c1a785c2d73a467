"""The opening calendar of bookable resources: which days are closed (public holidays from
the `holidays` library, the New Year, closures) and which slots the weekly hours give."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from cityhall.core.calendar import is_new_year_break, is_public_holiday

from ..models import Resource, Slot


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- slots --------------------------------------------------------------------------------

def is_closed_day(resource: Resource, day: datetime.date, closures=None) -> bool:
    if resource.closed_new_year and is_new_year_break(day):
        return True
    if resource.closed_on_public_holidays and is_public_holiday(day):
        return True
    if closures is None:
        closures = list(resource.closures.all())
    return any(closure.starts_on <= day <= closure.ends_on for closure in closures)


def slot_times(resource: Resource, day: datetime.date, hours=None, closures=None):
    """The (start, end) of every slot of `resource` on `day`, as aware datetimes."""
    if is_closed_day(resource, day, closures):
        return []
    if hours is None:
        hours = list(resource.opening_hours.all())
    zone = local_zone()
    length = datetime.timedelta(minutes=resource.slot_minutes)
    times = []
    for window in hours:
        if window.weekday != day.weekday():
            continue
        start = datetime.datetime.combine(day, window.opens, tzinfo=zone)
        closes = datetime.datetime.combine(day, window.closes, tzinfo=zone)
        if start + length > closes:  # a window shorter than one slot is one slot
            times.append((start, closes))
            continue
        while start + length <= closes:
            times.append((start, start + length))
            start += length
    return times


def slots_ensure(*, resource: Resource, start: datetime.date, end: datetime.date) -> int:
    """Create the slots of `resource` from `start` to `end` (inclusive) that its opening
    calendar gives and that do not exist yet. Idempotent and safe to run concurrently; an
    existing slot is never changed here (closing one is `slot_close`)."""
    hours = list(resource.opening_hours.all())
    closures = list(resource.closures.filter(ends_on__gte=start, starts_on__lte=end))
    wanted = []
    day = start
    while day <= end:
        wanted.extend(slot_times(resource, day, hours, closures))
        day += datetime.timedelta(days=1)
    if not wanted:
        return 0
    existing = set(Slot.objects.filter(
        resource=resource, starts_at__gte=wanted[0][0], starts_at__lte=wanted[-1][0],
    ).values_list("starts_at", flat=True))
    new = [Slot(resource=resource, starts_at=s, ends_at=e, capacity=resource.capacity)
           for s, e in wanted if s not in existing]
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def bookable_window(resource: Resource, now=None) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate(now or timezone.now())
    return today, today + datetime.timedelta(days=resource.book_days_ahead)
