"""Immunisation reminders (取組23 母子手帳アプリ): the daily pass over every child, and the
sending of what it found through the notification door (`core.notify.notify_user`).

Once a day (`immunisation_daily_run`, run by the hourly periodic task once the local hour
reaches CHILDCARE_REMINDER_HOUR) every child's plan is computed by the schedule engine and
each opted-in child gets, at most once each:
- `due`:      dose N of a series is due (its 標準 window has started, or it is past it but
              still free), unless a date is already planned for it;
- `ends_30`, `ends_7`: the free (定期) period of the next dose ends in ≤30 / ≤7 days while
              the series is not complete;
- `tomorrow`: the planned date of a series is tomorrow;
- `missed`:   a planned date passed (in the last 14 days) and no dose was recorded: choose a
              new date, in one step, on the plan page.
The same pass counts the coverage figures staff see (`coverage.py`), stored on the day's run.

Idempotent everywhere: a reminder row's key (child, series, dose, kind, date) is unique, so
the pass may run any number of times; rows are stored (pending) before anything is sent; a
child's pending rows go out together as one notice from a durable task, claimed in the same
transaction as the send, so a notice is sent once and a failing sender leaves the rows
`failed` and retryable (the task retries with back-off, and every hourly tick queues again
what is still waiting). Nothing personal is logged: ids and counts only.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from cityhall.core.background import enqueue_on_commit

from ..coverage import children_in_chunks, counts_to_rows, coverage_add
from ..immunisation.engine import Plan, schedule
from ..immunisation.series import SERIES
from ..models import ChildProfile, ImmunisationDailyRun, ImmunisationReminder
from ..series_names import series_name

logger = logging.getLogger(__name__)

Kind = ImmunisationReminder.Kind
Status = ImmunisationReminder.Status

# The guardian's plan page of the child; should the URL be missing (a site that removed the
# pages) the notice links the portal's home page.
PLAN_URL_NAME = "childcare:child"
FALLBACK_URL_NAME = "core:home"

ENDS_AHEAD_DAYS = (30, 7)
MISSED_LOOKBACK_DAYS = 14  # a planned date missed longer ago is not announced any more
STALE_AFTER_DAYS = 7  # a row not sent within a week of its run is skipped, not sent late
MAX_ATTEMPTS = 10  # after this many failed sends a row stays failed (staff see TaskFailure)
REQUEUE_AFTER = datetime.timedelta(hours=1)
CHUNK = 1000  # children queued per transaction


def reminder_hour() -> int:
    return int(getattr(settings, "CHILDCARE_REMINDER_HOUR", 9))


# --- what to tell: a pure function of the plan ------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    series: str
    dose: int
    kind: str
    on: datetime.date
    facts: dict = field(default_factory=dict, compare=False)


def _iso(day):
    return day.isoformat() if day else None


def reminders_for_plan(plan: Plan, *, today: datetime.date) -> list[Candidate]:
    """What a child's plan says to tell the guardian today (before de-duplication)."""
    out = []
    appointments = dict(plan.child.appointments)
    for code, sp in plan.series.items():
        if sp.status in ("complete", "expired"):
            continue
        dose = sp.next_dose or 0
        facts = {"earliest": _iso(sp.earliest), "last_funded": _iso(sp.last_funded),
                 "recommended": [_iso(sp.recommended[0]), _iso(sp.recommended[1])]
                 if sp.recommended else None}
        booked = appointments.get(code)
        if sp.status in ("due", "overdue") and not (booked and booked >= today):
            start = sp.earliest or today
            if sp.recommended:
                start = max(start, sp.recommended[0])
            out.append(Candidate(code, dose, Kind.DUE, start, facts))
        if sp.last_funded and sp.next_date and sp.next_date <= sp.last_funded:
            left = (sp.last_funded - today).days
            if 0 <= left <= ENDS_AHEAD_DAYS[1]:
                out.append(Candidate(code, dose, Kind.ENDS_7, sp.last_funded, facts))
            elif ENDS_AHEAD_DAYS[1] < left <= ENDS_AHEAD_DAYS[0]:
                out.append(Candidate(code, dose, Kind.ENDS_30, sp.last_funded, facts))
        if booked and booked == today + datetime.timedelta(days=1):
            out.append(Candidate(code, dose, Kind.TOMORROW, booked, facts))
    for warning in plan.warnings:
        if warning.code != "appointment_missed":
            continue
        code, planned = warning.detail, warning.date
        sp = plan.series.get(code)
        if sp is None or sp.status in ("complete", "expired"):
            continue
        if not today - datetime.timedelta(days=MISSED_LOOKBACK_DAYS) <= planned < today:
            continue
        vaccines = SERIES[code].vaccines if code not in ("mr1", "mr2") else ("mr",)
        since = planned - datetime.timedelta(days=MISSED_LOOKBACK_DAYS)
        if any(vaccine in vaccines and day >= since for vaccine, _p, day in plan.child.doses):
            continue  # a dose was recorded around the date: the appointment was kept
        out.append(Candidate(code, sp.next_dose or 0, Kind.MISSED, planned,
                             {"last_funded": _iso(sp.last_funded)}))
    return out


# --- the daily pass ----------------------------------------------------------------------------

def immunisation_scan(*, today: datetime.date, queryset=None) -> dict:
    """One pass over the children: store the reminders due today (pending) and count the
    coverage. Returns {"children", "created", "coverage": {(fy, branch, series, bucket): n}}.
    Safe to run again: rows that exist already are left alone."""
    counts, children, created = {}, 0, 0
    for chunk in children_in_chunks(queryset):
        rows = []
        for child, record in chunk:
            children += 1
            plan = schedule(record, today=today)
            coverage_add(counts, child, plan)
            if not child.reminders:
                continue
            rows += [ImmunisationReminder(child_id=child.id, series=c.series, dose=c.dose,
                                          kind=c.kind, on=c.on, facts=c.facts,
                                          created_on=today)
                     for c in reminders_for_plan(plan, today=today)]
        if rows:
            # Only the new ones are inserted (the unique key still guards a concurrent run).
            known = set(ImmunisationReminder.objects.filter(
                child_id__in={row.child_id for row in rows}).values_list(
                "child_id", "series", "dose", "kind", "on"))
            rows = [row for row in rows
                    if (row.child_id, row.series, row.dose, row.kind, row.on) not in known]
            ImmunisationReminder.objects.bulk_create(rows, ignore_conflicts=True,
                                                     batch_size=500)
            created += len(rows)
    return {"children": children, "created": created, "coverage": counts}


def immunisation_daily_run(*, now=None, force: bool = False) -> dict:
    """The daily job (called every hour; does the pass once a day, from the local hour
    CHILDCARE_REMINDER_HOUR): the scan, the day's coverage, then queue the sending. An
    unfinished run (a worker died) is done again; a finished one only queues what waits."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    if not force and local.hour < reminder_hour():
        return {"ran": False, "queued": 0}
    run, _created = ImmunisationDailyRun.objects.get_or_create(day=today)
    result = {"ran": False}
    if run.finished_at is None:
        scan = immunisation_scan(today=today)
        ImmunisationDailyRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), children=scan["children"],
            reminders_created=F("reminders_created") + scan["created"],
            coverage=counts_to_rows(scan["coverage"]))
        logger.info("Immunisation daily run %s: %s children, %s reminders made", today,
                    scan["children"], scan["created"])
        result = {"ran": True, "children": scan["children"], "created": scan["created"]}
    result["queued"] = reminders_queue(now=now)
    return result


# --- sending -----------------------------------------------------------------------------------

def reminders_queue(*, now=None) -> int:
    """Queue one sending task per child with reminders waiting (pending, or failed and not
    given up), unless queued in the last hour. Returns how many children were queued."""
    from ..tasks import send_child_reminders

    now = now or timezone.now()
    waiting = ImmunisationReminder.objects.filter(
        Q(status=Status.PENDING) | Q(status=Status.FAILED, attempts__lt=MAX_ATTEMPTS)).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
    child_ids = sorted(set(waiting.values_list("child_id", flat=True)))
    for start in range(0, len(child_ids), CHUNK):
        ids = child_ids[start:start + CHUNK]
        with transaction.atomic():
            waiting.filter(child_id__in=ids).update(queued_at=now)
            for child_id in ids:
                enqueue_on_commit(send_child_reminders, child_id)
    return len(child_ids)


def plan_url(child_id: int) -> str:
    try:
        path = reverse(PLAN_URL_NAME, args=[child_id])
    except NoReverseMatch:
        path = reverse(FALLBACK_URL_NAME)
    return settings.PORTAL_URL.rstrip("/") + path


def _date(value) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return formats.date_format(value, "DATE_FORMAT")


def _line(row: ImmunisationReminder, today: datetime.date) -> str:
    facts = row.facts or {}
    values = {"series": series_name(row.series), "dose": row.dose, "date": _date(row.on)}
    last = facts.get("last_funded")
    if row.kind == Kind.DUE:
        recommended = facts.get("recommended")
        lines = [_("Dose %(dose)s of %(series)s is due now: it can be given from %(date)s.")
                 % values]
        if recommended and recommended[1] and datetime.date.fromisoformat(
                recommended[1]) < today:
            lines.append(_("Its recommended period ended on %(end)s.")
                         % {"end": _date(recommended[1])})
        elif recommended:
            lines.append(_("The recommended period is %(start)s to %(end)s.")
                         % {"start": _date(recommended[0]), "end": _date(recommended[1])})
        if last:
            lines.append(_("It is free of charge (定期接種) until %(last)s.")
                         % {"last": _date(last)})
        return " ".join(lines)
    if row.kind in (Kind.ENDS_30, Kind.ENDS_7):
        return _("The free (定期接種) period for dose %(dose)s of %(series)s ends on %(date)s. "
                 "After that date the city no longer pays for it.") % values
    if row.kind == Kind.TOMORROW:
        return _("Your planned date for dose %(dose)s of %(series)s is tomorrow, %(date)s.") \
            % values
    return _("The planned date %(date)s for dose %(dose)s of %(series)s has passed. If the "
             "dose was not given, choose a new date on the plan page: the rest of the plan "
             "follows in one step.") % values


def _notice_text(child, rows, language, today) -> tuple[str, str]:
    from cityhall.core.selectors import current_municipality

    with translation.override(language):
        municipality = current_municipality()
        city = (municipality.name if language == "ja" else municipality.name_en) \
            if municipality else ""
        subject = _("[%(city)s] Immunisation reminder for %(name)s") % {
            "city": city, "name": child.name}
        lines = [_line(row, today) for row in rows]
        lines.append(_("You receive these reminders because they are turned on for this "
                       "child; you can turn them off on the child's page."))
        lines.append(_("See %(name)s's immunisation plan, and choose or change dates, here:")
                     % {"name": child.name})
    return subject, "\n\n".join(lines)


def _stale(row, today) -> bool:
    if row.created_on < today - datetime.timedelta(days=STALE_AFTER_DAYS):
        return True
    if row.kind == Kind.TOMORROW:
        return today >= row.on
    if row.kind in (Kind.ENDS_30, Kind.ENDS_7):
        return today > row.on
    return False


def reminders_send_for_child(*, child_id: int, today: datetime.date | None = None) -> str:
    """Send a child's waiting reminders to the guardian as one notice in their language.

    The rows are locked and marked sent in the same transaction as the send: a crash before
    the commit leaves them waiting, and the notice key (the row ids) makes the
    notifications engine deliver it once even then. A failing sender marks the rows
    `failed` (retryable) and raises, so the durable task tries again with back-off."""
    from cityhall.core.notify import notify_user

    today = today or timezone.localdate()
    retryable = Q(status=Status.PENDING) | Q(status=Status.FAILED, attempts__lt=MAX_ATTEMPTS)
    child = ChildProfile.objects.select_related("guardian__user").filter(pk=child_id).first()
    if child is None:
        return "no such child"
    waiting = ImmunisationReminder.objects.filter(retryable, child_id=child_id)
    rows = list(waiting.order_by("on", "pk"))
    stale = [row.pk for row in rows if _stale(row, today) or not child.reminders]
    if stale:
        ImmunisationReminder.objects.filter(pk__in=stale).filter(retryable).update(
            status=Status.SKIPPED)
    ids = [row.pk for row in rows if row.pk not in stale]
    if not ids:
        return "nothing to send"
    language = child.guardian.preferred_language or settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            rows = list(ImmunisationReminder.objects.select_for_update().filter(
                retryable, pk__in=ids).order_by("on", "pk"))
            if not rows:
                return "already sent"
            subject, body = _notice_text(child, rows, language, today)
            notify_user(user=child.guardian.user, topic="childcare.immunisation_reminder",
                        key="childcare.immunisation_reminder:" + "-".join(
                            str(row.pk) for row in rows),
                        subject=subject, body=body, url=plan_url(child.pk))
            ImmunisationReminder.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1,
                last_error="")
    except Exception as exc:
        ImmunisationReminder.objects.filter(retryable, pk__in=ids).update(
            status=Status.FAILED, attempts=F("attempts") + 1,
            last_error=type(exc).__name__[:200])
        logger.warning("Immunisation reminders for child %s not sent (%s); will try again",
                       child_id, type(exc).__name__)
        raise
    return "sent"
