"""Service levels and the monthly summary of street-problem reports (取組13): the SLA states
at their boundaries, the summary's figures on a fixed set of reports around a month boundary
in Japan time, and the CSV in UTF-8 with BOM and in Shift_JIS."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from cityhall.core.errors import PermissionDeniedError, ValidationFailed

from ..models import Report
from ..services import triage
from ..services.reports import report_transition
from .factories import MINATO_LIBRARY, make_report

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


# --- SLA states -----------------------------------------------------------------------------

def test_sla_states_of_a_new_report_at_their_boundaries():
    created = jst(2026, 11, 2, 9, 0)
    report = make_report(now=created)  # road-surface: acknowledge within 24 hours
    due = created + 24 * HOUR
    assert triage.sla_due(report) == due
    tiny = datetime.timedelta(microseconds=1)
    assert triage.sla_state(report, created) == "on_time"
    assert triage.sla_state(report, due - 6 * HOUR - tiny) == "on_time"
    assert triage.sla_state(report, due - 6 * HOUR) == "due_soon"
    assert triage.sla_state(report, due) == "due_soon"
    assert triage.sla_state(report, due + tiny) == "overdue"
    # The queue's overdue filter agrees at the same moments.
    assert not Report.objects.filter(triage._overdue_q(due)).exists()
    assert Report.objects.filter(triage._overdue_q(due + tiny)).get() == report


def test_sla_states_of_an_open_report_count_the_fix_from_the_report():
    created = jst(2026, 11, 2, 9, 0)
    report = make_report(now=created)
    report_transition(report=report, status=Report.Status.ACKNOWLEDGED, actor=None,
                      now=created + HOUR)
    due = created + 14 * DAY
    assert triage.sla_due(report) == due
    assert triage.sla_state(report, due - 3.5 * DAY - datetime.timedelta(seconds=1)) == \
        "on_time"
    assert triage.sla_state(report, due - 3.5 * DAY) == "due_soon"
    assert triage.sla_state(report, due + datetime.timedelta(seconds=1)) == "overdue"
    assert Report.objects.filter(triage._overdue_q(due)).count() == 0
    assert Report.objects.filter(triage._overdue_q(due + HOUR)).count() == 1
    report_transition(report=report, status=Report.Status.FIXED, actor=None,
                      now=created + 20 * DAY)
    assert triage.sla_state(report, created + 30 * DAY) == "closed"
    assert triage.sla_due(report) is None
    assert Report.objects.filter(triage._overdue_q(created + 30 * DAY)).count() == 0


# --- the monthly summary --------------------------------------------------------------------

@pytest.fixture
def november():
    """Reports around November 2026 in Japan time (road-surface: 24 hours, 14 days;
    illegal-dumping: 48 hours, 7 days)."""

    def filed(at, code="road-surface"):
        return make_report(code=code, place=MINATO_LIBRARY, now=at,
                           attributes={} if code == "illegal-dumping" else None)

    def move(report, status, at):
        report_transition(report=report, status=status, actor=None, now=at)

    s = Report.Status
    # October 31, 23:30 JST: October's, but fixed in November after 3 days.
    a = filed(jst(2026, 10, 31, 23, 30))
    move(a, s.ACKNOWLEDGED, jst(2026, 11, 1, 0, 30))
    move(a, s.FIXED, jst(2026, 11, 3, 23, 30))
    # November 1, 00:10 JST (still October 31 in UTC): acknowledged in 2 hours, fixed in 5 days.
    b = filed(jst(2026, 11, 1, 0, 10))
    move(b, s.ACKNOWLEDGED, jst(2026, 11, 1, 2, 10))
    move(b, s.FIXED, jst(2026, 11, 6, 0, 10))
    # Never acknowledged: late, open and overdue.
    e = filed(jst(2026, 11, 10, 10, 0))
    # Dumping, routed to the recycling office: acknowledged in 1 hour, not the city's.
    f = filed(jst(2026, 11, 15, 9, 0), code="illegal-dumping")
    move(f, s.ACKNOWLEDGED, jst(2026, 11, 15, 10, 0))
    move(f, s.NOT_RESPONSIBLE, jst(2026, 11, 17, 9, 0))
    # Acknowledged in 3 hours, fixed in December.
    h = filed(jst(2026, 11, 20, 12, 0))
    move(h, s.ACKNOWLEDGED, jst(2026, 11, 20, 15, 0))
    move(h, s.FIXED, jst(2026, 12, 1, 0, 30))
    # November 30, 23:59 JST: acknowledged 30 hours later (late), in progress, overdue.
    c = filed(jst(2026, 11, 30, 23, 59))
    move(c, s.IN_PROGRESS, jst(2026, 12, 2, 5, 59))
    # December 1, 00:00 JST: December's.
    filed(jst(2026, 12, 1, 0, 0))
    return {"a": a, "b": b, "c": c, "e": e, "f": f, "h": h}


NOW = jst(2026, 12, 20, 12, 0)


def test_the_summary_of_november_in_japan_time(manager, november):
    summary = triage.monthly_summary(user=manager, month=datetime.date(2026, 11, 1), now=NOW)
    assert summary.starts_at == jst(2026, 11, 1)
    assert summary.ends_at == jst(2026, 12, 1)
    dumping, roads = summary.rows
    assert (roads.department, roads.branch_office, roads.category) == (
        "芝地区総合支所 まちづくり課", "芝地区総合支所", "道路の穴・陥没・ひび割れ")
    assert (roads.received, roads.acknowledged_in_time, roads.acknowledge_decided) == (4, 2, 4)
    assert roads.acknowledged_in_time_percent == 50.0
    assert roads.median_hours_to_acknowledge == 3.0  # 2, 3 and 30 hours
    assert (roads.fixed, roads.median_days_to_fix) == (2, 4.0)  # 3 and 5 days
    assert (roads.still_open, roads.overdue) == (2, 2)
    assert dumping.department == "みなとリサイクル清掃事務所"
    assert (dumping.received, dumping.acknowledged_in_time_percent,
            dumping.median_hours_to_acknowledge, dumping.fixed, dumping.median_days_to_fix,
            dumping.still_open, dumping.overdue) == (1, 100.0, 1.0, 0, None, 0, 0)
    total = summary.total
    assert (total.received, total.acknowledged_in_time_percent,
            total.median_hours_to_acknowledge, total.fixed, total.median_days_to_fix,
            total.still_open, total.overdue) == (5, 60.0, 2.5, 2, 4.0, 2, 2)


def test_october_and_december_take_the_reports_on_their_side_of_midnight(manager, november):
    october = triage.monthly_summary(user=manager, month=datetime.date(2026, 10, 1), now=NOW)
    assert (october.total.received, october.total.fixed) == (1, 0)
    december = triage.monthly_summary(user=manager, month=datetime.date(2026, 12, 1), now=NOW)
    assert (december.total.received, december.total.fixed) == (1, 1)


def test_an_acknowledgement_still_in_time_is_not_counted_yet(manager):
    make_report(now=jst(2026, 11, 30, 20, 0))
    summary = triage.monthly_summary(user=manager, month=datetime.date(2026, 11, 1),
                                     now=jst(2026, 12, 1, 8, 0))
    assert (summary.total.received, summary.total.acknowledge_decided) == (1, 0)
    assert summary.total.acknowledged_in_time_percent is None


def test_the_summary_keeps_to_the_staff_members_scope(azabu_officer, hanako, recycle_officer,
                                                      november):
    month = datetime.date(2026, 11, 1)
    assert triage.monthly_summary(user=azabu_officer, month=month, now=NOW).rows == []
    rows = triage.monthly_summary(user=recycle_officer, month=month, now=NOW).rows
    assert [row.category for row in rows] == ["不法投棄"]
    with pytest.raises(PermissionDeniedError):
        triage.monthly_summary(user=hanako.user, month=month)


def test_the_csv_in_utf8_with_bom_and_in_shift_jis(manager, november):
    summary = triage.monthly_summary(user=manager, month=datetime.date(2026, 11, 1), now=NOW)
    utf8 = triage.summary_csv(summary, encoding="utf-8")
    assert utf8.startswith(b"\xef\xbb\xbf")
    lines = utf8.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:5] == ["月", "担当課", "総合支所", "分類", "受付件数"]
    assert lines[2] == ("2026-11,芝地区総合支所 まちづくり課,芝地区総合支所,"
                        "道路の穴・陥没・ひび割れ,4,50.0,3.0,2,4.0,2,2")
    assert lines[-1] == "2026-11,合計,,,5,60.0,2.5,2,4.0,2,2"
    cp932 = triage.summary_csv(summary, encoding="cp932")
    assert not cp932.startswith(b"\xef\xbb\xbf")
    assert cp932.decode("cp932").splitlines() == lines
    with pytest.raises(ValidationFailed):
        triage.summary_csv(summary, encoding="latin-1")
