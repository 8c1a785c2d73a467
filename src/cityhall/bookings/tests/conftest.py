"""Fixtures of the bookings engine's tests: a small resource with a known calendar, a fixed
"now", and tasks run as a worker would run them after the commit."""

import datetime

import pytest

from cityhall.bookings import services
from cityhall.bookings.models import Resource

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
# A Monday that is no public holiday; tests pass `now` explicitly, so they do not depend on
# the day they run.
NOW = datetime.datetime(2031, 6, 2, 8, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def _tasks_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}
    settings.PAYMENT_PROVIDERS = ["counter", "sandbox"]


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def now():
    return NOW


def make_resource(code="test-seats", **overrides) -> Resource:
    fields = dict(kind=Resource.Kind.LIBRARY_SEAT, name="テスト学習席", name_en="Test seats",
                  capacity=2, slot_minutes=60, audience=Resource.Audience.ANYONE,
                  book_days_ahead=30, max_active_bookings=5, closed_on_public_holidays=False,
                  closed_new_year=False)
    fields.update(overrides)
    resource = Resource.objects.create(code=code, **fields)
    for weekday in range(7):
        resource.opening_hours.create(weekday=weekday, opens=datetime.time(9),
                                      closes=datetime.time(17))
    return resource


@pytest.fixture
def seats(minato):
    return make_resource()


def slot_at(resource, day: datetime.date, hour: int, minute: int = 0):
    services.slots_ensure(resource=resource, start=day, end=day)
    return resource.slots.get(starts_at=datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=TOKYO))


# In these tests a persona is the user who books (their profile is `user.resident_profile`).
@pytest.fixture
def hanako(resident_persona):
    return resident_persona("hanako").user


@pytest.fixture
def taro(resident_persona):
    return resident_persona("taro").user


@pytest.fixture
def emily(resident_persona):
    return resident_persona("emily").user
