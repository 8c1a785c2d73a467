"""Fixtures and helpers of the back-office tests of street-problem reports (import them
explicitly in each test module)."""

import pytest

from cityhall.core.models import AuditEvent

from ..models import Report, ReportFollower, ReportPhoto, ReportUpdate

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OFFICER_ROLES = ("street_reports_officer",)


@pytest.fixture
def officer(staff_persona):
    """芝 道路係: street-reports officer of 芝地区総合支所 まちづくり課 (a branch office's
    department: sees every report in the shiba area)."""
    return staff_persona("roads_shiba")


@pytest.fixture
def manager(staff_persona):
    """土木 統括: street-reports manager of 土木課 (main city hall), sees every report."""
    return staff_persona("roads_manager")


@pytest.fixture
def staff_member(minato):
    """Make a staff member: `staff_member("azabu", "azabu-machizukuri")`."""
    from cityhall.core.tests.factories import StaffFactory

    def make(branch_office: str, department: str, roles=OFFICER_ROLES):
        return StaffFactory(branch_office=branch_office, department=department, roles=roles)

    return make


@pytest.fixture
def azabu_officer(staff_member):
    """An officer of 麻布地区総合支所 まちづくり課: another branch office's department."""
    return staff_member("azabu", "azabu-machizukuri")


@pytest.fixture
def recycle_officer(staff_member):
    """An officer of みなとリサイクル清掃事務所 (main city hall; no branch office area)."""
    return staff_member("main", "recycle-seiso")


def snapshot(report: Report):
    """What a refused action must leave as it was."""
    fields = ["status", "department_id", "branch_office_id", "town_id", "town_source",
              "latitude", "longitude", "address", "assigned_to_id", "duplicate_of_id",
              "public_description", "is_public", "acknowledged_at", "closed_at",
              "expected_at", "updated_at"]
    row = Report.objects.filter(pk=report.pk).values(*fields).get()
    return (row, ReportUpdate.objects.filter(report=report).count(),
            list(ReportPhoto.objects.filter(report=report).order_by("pk").values_list(
                "pk", "is_public")),
            ReportFollower.objects.count(),
            AuditEvent.objects.exclude(action="reports.report.read").count())
