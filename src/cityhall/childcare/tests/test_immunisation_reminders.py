"""Immunisation reminders (取組23): the right kinds on the right days, stored before they are
sent, sent once (a second run sends nothing new), none for opted-out children, in the
guardian's language, and a failing sender leaves the rows to be tried again."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from cityhall.childcare.immunisation.engine import ChildRecord, schedule
from cityhall.childcare.models import DoseRecord, ImmunisationDailyRun, ImmunisationReminder
from cityhall.childcare.services import reminders
from cityhall.childcare.services.reminders import (
    immunisation_daily_run,
    immunisation_scan,
    reminders_for_plan,
    reminders_send_for_child,
)
from cityhall.core.periodic import registered_periodic_tasks

from .imm_ops_fixtures import make_child

pytestmark = pytest.mark.django_db

D = datetime.date
BORN = D(2026, 1, 10)  # 生後2月に至る日: 2026-03-09
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
Kind = ImmunisationReminder.Kind
Status = ImmunisationReminder.Status


def kinds(record, today, series=None):
    plan = schedule(record, today=today)
    return [(c.series, c.dose, str(c.kind), c.on) for c in reminders_for_plan(plan, today=today)
            if series is None or c.series == series]


def rows(child=None):
    queryset = ImmunisationReminder.objects.all()
    if child is not None:
        queryset = queryset.filter(child=child)
    return sorted((r.series, r.dose, r.kind, r.on, r.status) for r in queryset)


INFANT_DUE = [("dpt_ipv_hib", 1, "due", D(2026, 3, 9)), ("hepb", 1, "due", D(2026, 3, 9)),
              ("pcv", 1, "due", D(2026, 3, 9)), ("rota", 1, "due", D(2026, 3, 9))]


# --- the right kinds on the right days (the engine's plan, dates frozen by `today`) ---------

def test_the_first_doses_become_due_on_the_day_the_child_reaches_two_months():
    child = ChildRecord(BORN, "F")
    assert kinds(child, D(2026, 3, 8)) == []
    assert sorted(kinds(child, D(2026, 3, 9))) == INFANT_DUE


def test_the_free_period_reminders_come_30_and_7_days_before_its_end():
    child = ChildRecord(BORN, "F")  # ロタ: free until 2026-06-27 (24 weeks)
    ends = [(day, [k for k in kinds(child, day, "rota") if k[2] != "due"])
            for day in (D(2026, 5, 27), D(2026, 5, 28), D(2026, 6, 19), D(2026, 6, 20),
                        D(2026, 6, 27), D(2026, 6, 28))]
    assert ends == [
        (D(2026, 5, 27), []),
        (D(2026, 5, 28), [("rota", 1, "ends_30", D(2026, 6, 27))]),
        (D(2026, 6, 19), [("rota", 1, "ends_30", D(2026, 6, 27))]),
        (D(2026, 6, 20), [("rota", 1, "ends_7", D(2026, 6, 27))]),
        (D(2026, 6, 27), [("rota", 1, "ends_7", D(2026, 6, 27))]),
        (D(2026, 6, 28), []),  # expired: nothing more to say
    ]
    complete = ChildRecord(BORN, "F", doses=(("rota", "rota1", D(2026, 3, 9)),
                                             ("rota", "rota1", D(2026, 4, 6))))
    assert kinds(complete, D(2026, 5, 28), "rota") == []


def test_a_planned_date_is_announced_the_day_before_and_replaces_the_due_reminder():
    child = ChildRecord(BORN, "F", appointments=(("bcg", D(2026, 6, 15)),))
    assert kinds(child, D(2026, 6, 13), "bcg") == []
    assert kinds(child, D(2026, 6, 14), "bcg") == [("bcg", 1, "tomorrow", D(2026, 6, 15))]
    assert kinds(ChildRecord(BORN, "F"), D(2026, 6, 14), "bcg") == [
        ("bcg", 1, "due", D(2026, 6, 9))]


def test_a_missed_date_is_announced_for_two_weeks_unless_a_dose_was_recorded():
    child = ChildRecord(BORN, "F", appointments=(("bcg", D(2026, 6, 15)),))
    assert kinds(child, D(2026, 6, 17), "bcg") == [("bcg", 1, "due", D(2026, 6, 9)),
                                                   ("bcg", 1, "missed", D(2026, 6, 15))]
    assert kinds(child, D(2026, 7, 1), "bcg") == [("bcg", 1, "due", D(2026, 6, 9))]
    pcv = ChildRecord(BORN, "F", doses=(("pcv", "pcv20", D(2026, 3, 20)),),
                      appointments=(("pcv", D(2026, 3, 20)),))
    assert [k for k in kinds(pcv, D(2026, 3, 23), "pcv") if k[2] == "missed"] == []


# --- stored once, sent once ----------------------------------------------------------------

def test_the_daily_pass_stores_each_reminder_once_and_sends_it_once(hanako, sent):
    child = make_child(hanako, BORN)
    scan = immunisation_scan(today=D(2026, 3, 9))
    assert (scan["children"], scan["created"]) == (1, 4)
    assert rows(child) == sorted((*k, "pending") for k in [
        ("hepb", 1, "due", D(2026, 3, 9)), ("rota", 1, "due", D(2026, 3, 9)),
        ("dpt_ipv_hib", 1, "due", D(2026, 3, 9)), ("pcv", 1, "due", D(2026, 3, 9))])
    assert reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9)) == "sent"
    assert len(sent) == 1  # the four doses in one notice
    notice = sent[0]
    assert notice.recipient_id == hanako.user_id
    assert notice.topic == "childcare.immunisation_reminder"
    assert all(row[4] == "sent" for row in rows(child))

    # The pass again the same day, the next day, and sending again: nothing new.
    assert immunisation_scan(today=D(2026, 3, 9))["created"] == 0
    assert immunisation_scan(today=D(2026, 3, 10))["created"] == 0
    assert reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 10)) == \
        "nothing to send"
    assert len(sent) == 1
    assert ImmunisationReminder.objects.count() == 4


def test_opted_out_children_get_no_reminder_but_are_counted(hanako, sent):
    quiet = make_child(hanako, BORN, reminders=False)
    scan = immunisation_scan(today=D(2026, 3, 9))
    assert (scan["children"], scan["created"]) == (1, 0)
    assert sum(scan["coverage"].values()) == 11  # every series of a girl born in 2026
    assert reminders_send_for_child(child_id=quiet.pk, today=D(2026, 3, 9)) == \
        "nothing to send"
    assert sent == []


def test_turning_reminders_off_after_the_pass_skips_what_waits(hanako, sent):
    child = make_child(hanako, BORN)
    immunisation_scan(today=D(2026, 3, 9))
    child.reminders = False
    child.save(update_fields=["reminders"])
    assert reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9)) == \
        "nothing to send"
    assert sent == []
    assert {row[4] for row in rows(child)} == {"skipped"}


def test_a_stale_reminder_is_skipped_not_sent_late(hanako, sent):
    child = make_child(hanako, BORN, appointments=[("bcg", D(2026, 6, 15))])
    immunisation_scan(today=D(2026, 6, 14))
    # The worker was down until the planned day itself: "tomorrow" is no longer true.
    reminders_send_for_child(child_id=child.pk, today=D(2026, 6, 15))
    assert {(row[0], row[2], row[4]) for row in rows(child)} == {
        ("hepb", "due", "sent"), ("rota", "due", "sent"), ("rota", "ends_30", "sent"),
        ("dpt_ipv_hib", "due", "sent"), ("pcv", "due", "sent"), ("bcg", "tomorrow", "skipped")}
    assert len(sent) == 1
    # Down for more than a week: nothing of that run is sent late.
    other = make_child(hanako, BORN)
    immunisation_scan(today=D(2026, 3, 9))
    reminders_send_for_child(child_id=other.pk, today=D(2026, 3, 17))
    assert {row[4] for row in rows(other)} == {"skipped"}
    assert len(sent) == 1


# --- the guardian's language ---------------------------------------------------------------

@pytest.mark.parametrize(("guardian", "city", "date_text"), [
    ("hanako", "港区", "2026年3月9日"),
    ("emily", "Minato City", "March 9, 2026"),
])
def test_the_notice_is_written_in_the_guardians_language(request, sent, guardian, city,
                                                         date_text):
    profile = request.getfixturevalue(guardian)
    child = make_child(profile, BORN, name="高輪 ひかり")
    immunisation_scan(today=D(2026, 3, 9))
    reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9))
    (notice,) = sent
    assert city in notice.subject and "高輪 ひかり" in notice.subject
    assert date_text in notice.body
    assert notice.key.startswith("childcare.immunisation_reminder:")
    assert notice.url.startswith("http")


def test_without_the_plan_page_the_notice_links_the_portal(hanako, sent, monkeypatch,
                                                           settings):
    monkeypatch.setattr(reminders, "PLAN_URL_NAME", "childcare:no_such_page")
    child = make_child(hanako, BORN)
    immunisation_scan(today=D(2026, 3, 9))
    reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9))
    assert sent[0].url == settings.PORTAL_URL + reverse("core:home")


# --- a failing sender ----------------------------------------------------------------------

def test_a_failing_sender_leaves_the_rows_retryable_and_a_later_try_sends_once(
        hanako, failing_sender, sent_later):
    child = make_child(hanako, BORN)
    immunisation_scan(today=D(2026, 3, 9))
    with pytest.raises(ConnectionError):
        reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9))
    failed = list(ImmunisationReminder.objects.filter(child=child))
    assert {(r.status, r.attempts, r.last_error) for r in failed} == {
        ("failed", 1, "ConnectionError")}
    assert ImmunisationReminder.objects.filter(sent_at__isnull=False).count() == 0

    notices = sent_later()
    assert reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9)) == "sent"
    assert len(notices) == 1
    assert {(r.status, r.attempts) for r in ImmunisationReminder.objects.all()} == {
        ("sent", 2)}


@pytest.fixture
def sent_later():
    """Swap the failing sender for a recording one, when the test says so."""
    from cityhall.core import notify

    def swap():
        notices = []
        notify.register_notice_sender(notices.append)
        return notices

    return swap


# --- the daily run -------------------------------------------------------------------------

def at(day, hour):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


def test_the_daily_run_waits_for_its_hour_then_runs_once_a_day(
        hanako, sent, django_capture_on_commit_callbacks, settings):
    settings.CHILDCARE_REMINDER_HOUR = 9
    child = make_child(hanako, BORN)
    assert immunisation_daily_run(now=at(D(2026, 3, 9), 8)) == {"ran": False, "queued": 0}
    assert not ImmunisationDailyRun.objects.exists()
    with django_capture_on_commit_callbacks() as queued:
        first = immunisation_daily_run(now=at(D(2026, 3, 9), 9))
    assert first == {"ran": True, "children": 1, "created": 4, "queued": 1}
    assert len(queued) == 1  # one sending task for the child
    run = ImmunisationDailyRun.objects.get()
    assert (run.day, run.children, run.reminders_created) == (D(2026, 3, 9), 1, 4)
    assert run.finished_at is not None and run.coverage

    # Ticks later the same day: no second pass; within the hour nothing is queued again.
    assert immunisation_daily_run(now=at(D(2026, 3, 9), 10)) == {"ran": False, "queued": 0}
    # After an hour, what still waits (the task was lost) is queued again, then sent once.
    assert immunisation_daily_run(now=at(D(2026, 3, 9), 11))["queued"] == 1
    reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9))
    reminders_send_for_child(child_id=child.pk, today=D(2026, 3, 9))
    assert len(sent) == 1
    assert immunisation_daily_run(now=at(D(2026, 3, 9), 13))["queued"] == 0
    assert ImmunisationDailyRun.objects.count() == 1


def test_an_unfinished_run_is_done_again_without_duplicates(hanako):
    make_child(hanako, BORN)
    ImmunisationDailyRun.objects.create(day=D(2026, 3, 9))  # a worker died mid-run
    immunisation_scan(today=D(2026, 3, 9))  # and had stored the reminders already
    result = immunisation_daily_run(now=at(D(2026, 3, 9), 12))
    assert (result["ran"], result["created"]) == (True, 0)
    assert ImmunisationReminder.objects.count() == 4


def test_the_daily_task_is_registered_and_the_sending_task_is_durable(hanako, sent):
    from cityhall.childcare.tasks import immunisation_daily, send_child_reminders
    from cityhall.core.background import PermanentTaskError
    from cityhall.core.models import TaskFailure

    assert registered_periodic_tasks()[immunisation_daily.module_path] == (
        immunisation_daily, 3600)
    child = make_child(hanako, BORN)
    immunisation_scan(today=D(2026, 3, 9))
    # What a worker runs, on the real date: rows made for March 2026 are stale by then.
    assert send_child_reminders.call(child.pk) == "nothing to send"
    assert sent == []
    with pytest.raises(PermanentTaskError):
        send_child_reminders.call(child.pk + 1000)
    assert TaskFailure.objects.filter(task_path=send_child_reminders.module_path).count() == 1


def test_many_children_are_read_in_chunks(hanako, monkeypatch, django_assert_max_num_queries):
    for _ in range(7):
        make_child(hanako, BORN)
    DoseRecord.objects.create(child=make_child(hanako, BORN), vaccine="hepb",
                              given_on=D(2026, 3, 9))
    monkeypatch.setattr("cityhall.childcare.coverage.CHUNK", 3)
    with django_assert_max_num_queries(3 * 4 + 2 * 3 + 1):
        scan = immunisation_scan(today=D(2026, 3, 9))
    assert (scan["children"], scan["created"]) == (8, 7 * 4 + 3)


def test_the_pass_reads_each_child_as_the_engine_door_does(hanako):
    from cityhall.childcare.coverage import children_in_chunks
    from cityhall.childcare.services.immunisation import child_record_for_engine

    made = [make_child(hanako, BORN, doses=[("pcv", "pcv20", D(2026, 3, 20)),
                                            ("hepb", None, D(2026, 3, 9))],
                       appointments=[("bcg", D(2026, 6, 15)), ("hepb", D(2026, 4, 10))]),
            make_child(hanako, BORN, sex="M")]
    (chunk,) = list(children_in_chunks())
    for (row, record), child in zip(chunk, made, strict=True):
        door = child_record_for_engine(child)
        assert row.id == child.pk and row.branch_office_id == child.branch_office_id
        assert (record.date_of_birth, record.sex, record.doses) == (
            door.date_of_birth, door.sex, door.doses)
        assert sorted(record.appointments) == sorted(door.appointments)


def test_operators_can_run_the_pass_now(hanako, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    make_child(hanako, D(2025, 12, 1))
    out = StringIO()
    with django_capture_on_commit_callbacks():
        call_command("immunisation_daily", "--force", stdout=out)
    assert "ran: True" in out.getvalue() and "children: 1" in out.getvalue()
    call_command("immunisation_daily", "--force", stdout=out)
    assert ImmunisationDailyRun.objects.count() == 1
