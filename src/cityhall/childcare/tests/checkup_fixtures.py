"""Fixtures of the infant health checkup tests (取組23): a guardian's child, a checkup whose
sessions are slots of a small test resource open every day (so that any date can be a
session), and a fixed "now". Test modules import what they use from here."""

import datetime

import pytest

from cityhall.bookings import services as bookings
from cityhall.bookings.models import Resource
from cityhall.childcare.models import CheckupKind, ChildProfile

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
# A Monday that is no public holiday; the service tests pass `now` explicitly.
NOW = datetime.datetime(2031, 6, 2, 8, 0, tzinfo=TOKYO)


def make_child(guardian, *, name="港 さくら", born=datetime.date(2031, 2, 15)) -> ChildProfile:
    return ChildProfile.objects.create(guardian=guardian, name=name, date_of_birth=born,
                                       branch_office=guardian.town.branch_office)


@pytest.fixture
def sessions(minato):
    """A resource of reception times (13:00–15:00 every day, 2 places each, bookable a year
    ahead) and the 3–4 month checkup of the test whose sessions they are."""
    resource = Resource.objects.create(
        code="test-checkup-sessions", kind=Resource.Kind.HEALTH_CHECKUP,
        name="テスト 3～4か月児健診", name_en="Test checkup at 3–4 months", capacity=2,
        slot_minutes=30, audience=Resource.Audience.RESIDENTS, book_days_ahead=365,
        max_active_bookings=1, closed_on_public_holidays=False, closed_new_year=False,
        checkin_required=True, checkin_opens_minutes=30, no_show_after_minutes=30,
        waitlist_enabled=False, reminder_hours=48)
    for weekday in range(7):
        resource.opening_hours.create(weekday=weekday, opens=datetime.time(13),
                                      closes=datetime.time(15))
    CheckupKind.objects.create(
        code="test-4m", name="テスト 3～4か月児健康診査", name_en="Test checkup at 3–4 months",
        from_months=3, until_months=5, delivery=CheckupKind.Delivery.GROUP,
        resource_code=resource.code, source="test", confirmed=False)
    return resource


@pytest.fixture
def kind(sessions):
    return CheckupKind.objects.get(code="test-4m")


def session(resource, day: datetime.date, hour: int = 13, minute: int = 0):
    bookings.slots_ensure(resource=resource, start=day, end=day)
    return resource.slots.get(starts_at=datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=TOKYO))
