"""Fixtures of the immunisation reminder and coverage tests (取組23): children made directly
(the guardian's pages are built elsewhere), a notice sender that records instead of sending,
and staff with and without the coverage permission."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission

from cityhall.childcare.models import ChildProfile, DoseAppointment, DoseRecord
from cityhall.core import notify
from cityhall.core.models import BranchOffice, User
from cityhall.core.tests.factories import StaffFactory


def make_child(guardian, dob, *, branch="shiba", sex="F", reminders=True, doses=(),
               name="港 みらい", appointments=()) -> ChildProfile:
    child = ChildProfile.objects.create(
        guardian=guardian, name=name, date_of_birth=dob, sex=sex, reminders=reminders,
        branch_office=BranchOffice.objects.get(code=branch) if branch else None)
    for vaccine, product, day in doses:
        DoseRecord.objects.create(child=child, vaccine=vaccine, product=product or "",
                                  given_on=day)
    for series, day in appointments:
        DoseAppointment.objects.create(child=child, series=series, planned_on=day)
    return child


@pytest.fixture
def sent():
    """Every notice handed to core.notify, instead of delivering it."""
    before = notify.registered_notice_sender()
    notices = []
    notify.register_notice_sender(notices.append)
    yield notices
    notify.register_notice_sender(before)


@pytest.fixture
def failing_sender():
    before = notify.registered_notice_sender()

    def fail(notice):
        raise ConnectionError("the mail server is down")

    notify.register_notice_sender(fail)
    yield
    notify.register_notice_sender(before)


def staff_with(*codenames, branch="shiba", email=None):
    """A staff member of `branch` holding `codenames` (childcare permissions) through a
    test group, read fresh so the permission cache is empty."""
    user = StaffFactory(roles=("counter_clerk",), branch_office=branch,
                        **({"email": email} if email else {}))
    group, _ = Group.objects.get_or_create(name="test-" + "-".join(codenames))
    group.permissions.set(Permission.objects.filter(content_type__app_label="childcare",
                                                    codename__in=codenames))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def coverage_officer(minato):
    """The health centre's view: every branch office."""
    return staff_with("view_coverage", "view_all_children", branch="main",
                      email="coverage.officer@test.cityhall.example")


TODAY = datetime.date(2026, 11, 1)
JUNE_2025 = datetime.date(2025, 6, 1)
DECEMBER_2025 = datetime.date(2025, 12, 1)
BCG_GIVEN = ("bcg", None, datetime.date(2025, 11, 15))
BCG_BEFORE_BIRTH = ("bcg", None, datetime.date(2025, 5, 1))


@pytest.fixture
def coverage_children(hanako):
    """The small population of the coverage tests, as of TODAY (BCG statuses):
    FY2025 cohort  shiba: 4 complete, 2 expired            (6)
                   azabu: 5 complete, 2 overdue, 1 expired, 1 invalid  (9)
                   akasaka: 1 complete                      (1)
    FY2026 cohort  shiba: 1 child born 2026-06-01 (BCG due)."""
    children = []
    for _ in range(4):
        children.append(make_child(hanako, JUNE_2025, sex="M", doses=[BCG_GIVEN]))
    for _ in range(2):
        children.append(make_child(hanako, JUNE_2025, sex="M"))
    for _ in range(5):
        children.append(make_child(hanako, JUNE_2025, branch="azabu", sex="M",
                                   doses=[BCG_GIVEN]))
    for _ in range(2):
        children.append(make_child(hanako, DECEMBER_2025, branch="azabu", sex="M"))
    children.append(make_child(hanako, JUNE_2025, branch="azabu", sex="M"))
    children.append(make_child(hanako, JUNE_2025, branch="azabu", sex="M",
                               doses=[BCG_BEFORE_BIRTH]))
    children.append(make_child(hanako, JUNE_2025, branch="akasaka", sex="M",
                               doses=[BCG_GIVEN]))
    children.append(make_child(hanako, datetime.date(2026, 6, 1), sex="M"))
    return children
