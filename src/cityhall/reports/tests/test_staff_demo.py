"""The demo street-problem reports (取組13): about forty, invented and marked so, spread over
the categories, the five branch offices' areas and the statuses, loaded once."""

import pytest

from cityhall.core.models import AuditEvent

from ..demo import DEMO_REPORTS, reports_demo_load
from ..models import Report, ReportUpdate
from ..services import triage

pytestmark = pytest.mark.django_db


def test_the_demo_reports(staff_persona):
    officer = staff_persona("roads_shiba")
    staff_persona("roads_manager")
    assert reports_demo_load() == f"{len(DEMO_REPORTS)} demo street-problem reports"
    reports = Report.objects.all()
    assert reports.count() == len(DEMO_REPORTS) >= 40
    assert not reports.filter(is_demo=False).exists()
    assert set(reports.values_list("status", flat=True)) == set(Report.Status.values)
    assert set(reports.values_list("branch_office__code", flat=True)) == {
        "shiba", "azabu", "akasaka", "takanawa", "shibaura-konan"}
    assert reports.values("category").distinct().count() == 10
    assert reports.filter(is_public=True).count() >= 25
    assert reports.filter(town_source=Report.TownSource.NEAREST).count() == reports.count()
    duplicate = reports.get(status=Report.Status.DUPLICATE)
    assert duplicate.duplicate_of.category == duplicate.category
    assert reports.filter(assigned_to=officer).exists()
    assert not ReportUpdate.objects.filter(notified_at__isnull=True).exists()
    assert ReportUpdate.objects.exclude(public_note="").count() >= 25
    states = {triage.sla_state(report) for report in reports.select_related("category")}
    assert states == {"on_time", "due_soon", "overdue", "closed"}
    events = AuditEvent.objects.count()
    assert reports_demo_load() == "demo reports already loaded"
    assert Report.objects.count() == len(DEMO_REPORTS)
    assert AuditEvent.objects.count() == events
