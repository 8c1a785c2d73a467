"""Infant health checkups (乳幼児健康診査) in the 母子手帳アプリ (取組23): which checkups a child
is due for with the dates of their period, booking a session of a group checkup at the health
centre for the child, and the hooks that let the bookings engine ask childcare about a booking
made for a child (`bookings.subjects`; registered in `ChildcareConfig.ready()`).

A booking for a child is an ordinary booking of the guardian (reminders, the calendar file,
check-in and cancelling are the engine's), whose `subject` is "childcare.checkup:<child
id>:<checkup code>" — ids only, never the child's name, and the database keeps one live
booking per key: one booking per child and checkup. A session is bookable for a child only
when its date lies inside the child's period for that checkup (`CheckupKind.window`).

The bookings engine is optional: without it the checkups and their periods are still shown,
without sessions (imports of the engine stay inside the functions that need it).
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can, is_staff_member

from ..immunisation.dates import reach_months
from ..models import CheckupKind, ChildProfile
from ..permissions import child_in_scope, is_guardian_of

SUBJECT_KIND = "childcare.checkup"
DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "checkup_kinds.json"
LIVE_STATUSES = ("confirmed", "waitlisted", "checked_in")  # bookings.Booking.LIVE_STATUSES
HINT = gettext_lazy("Infant health checkups are booked for a child: open your child's page "
                    "in the maternal and child health handbook (母子手帳) on this portal and "
                    "choose a session inside the child's period.")


class CheckupRefused(ValidationFailed):
    code = "checkup_refused"


# --- reference data --------------------------------------------------------------------------

def checkup_kinds_import(*, data: dict, actor=None) -> int:
    """Create or update the checkup kinds of `data` (`data/checkup_kinds.json`); idempotent.
    Audited when a staff member runs it."""
    fields = ("name", "name_en", "from_months", "until_months", "delivery", "resource_code",
              "description", "description_en", "source", "confirmed", "sort_order")
    with transaction.atomic():
        for row in data.get("kinds", []):
            CheckupKind.objects.update_or_create(
                code=row["code"], defaults={key: row[key] for key in fields if key in row})
        if actor is not None:
            audit_record(actor=actor, action="childcare.checkup_kinds_import",
                         details={"kinds": len(data.get("kinds", []))})
    return len(data.get("kinds", []))


def checkup_kind_save(*, kind: CheckupKind, actor) -> CheckupKind:
    """Save a checkup kind from the records administration; audited. A group checkup names
    the resource of its sessions."""
    if not can(actor, "childcare.change_checkupkind" if kind.pk else
               "childcare.add_checkupkind"):
        raise PermissionDeniedError()
    if kind.until_months <= kind.from_months:
        raise ValidationFailed(_("The period must end after it starts."), field="until_months")
    if kind.delivery == CheckupKind.Delivery.GROUP and not kind.resource_code:
        raise ValidationFailed(_("A group checkup needs the bookings resource of its "
                                 "sessions."), field="resource_code")
    with transaction.atomic():
        kind.save()
        audit_record(actor=actor, action="childcare.checkup_kind.save", target=kind,
                     details={"code": kind.code, "from": kind.from_months,
                              "until": kind.until_months, "resource": kind.resource_code,
                              "active": kind.is_active})
    return kind


def load_checkup_kinds() -> str:
    """The reference loader (`core.registry.register_reference_loader`)."""
    count = checkup_kinds_import(data=json.loads(DATA_FILE.read_text(encoding="utf-8")))
    return f"{count} infant health checkups"


# --- ages and subjects -----------------------------------------------------------------------

def age_in_months(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Completed months of age on `day`: N once the day one reaches N months is over
    (年齢計算ニ関スル法律; the month-end rule of `immunisation.dates.reach_months`)."""
    months = max((day.year - date_of_birth.year) * 12 + day.month - date_of_birth.month, 0)
    while months > 0 and reach_months(date_of_birth, months) >= day:
        months -= 1
    while reach_months(date_of_birth, months + 1) < day:
        months += 1
    return months


def age_label(date_of_birth: datetime.date, day: datetime.date) -> str:
    """"1歳7か月" / "1 year 7 months" in the active language."""
    months = age_in_months(date_of_birth, day)
    years, months = divmod(months, 12)
    month_part = ngettext("%(count)s month", "%(count)s months", months) % {"count": months}
    if not years:
        return month_part
    year_part = ngettext("%(count)s year", "%(count)s years", years) % {"count": years}
    return _("%(years)s %(months)s") % {"years": year_part, "months": month_part}


def subject_key(child: ChildProfile, kind: CheckupKind) -> str:
    return f"{SUBJECT_KIND}:{child.pk}:{kind.code}"


def parse_subject(subject: str) -> tuple[int, str] | None:
    parts = (subject or "").split(":")
    if len(parts) != 3 or parts[0] != SUBJECT_KIND or not parts[1].isdigit() or not parts[2]:
        return None
    return int(parts[1]), parts[2]


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def local_name(obj, field_name: str = "name") -> str:
    from django.utils.translation import get_language

    english = (get_language() or "ja").split("-")[0] != "ja"
    return (getattr(obj, f"{field_name}_en", "") if english else "") or getattr(obj, field_name)


# --- what a child is due for -------------------------------------------------------------------

@dataclass
class CheckupEntry:
    """One checkup of one child: its period, where the child stands, the child's booking and
    the sessions that can be booked now."""

    kind: CheckupKind
    starts_on: datetime.date
    ends_on: datetime.date
    state: str  # "upcoming", "open" or "passed"
    booking: object = None  # the live (or attended) booking for this child and checkup
    sessions: list = field(default_factory=list)  # [(day, [slot, ...])] bookable now
    bookable_from: datetime.date | None = None  # when sessions of the period open for booking
    resource: object = None

    @property
    def description(self) -> str:
        return local_name(self.kind, "description")


def _state(starts_on, ends_on, today) -> str:
    if today < starts_on:
        return "upcoming"
    return "passed" if today > ends_on else "open"


def _bookable_sessions(resource, starts_on, ends_on, *, now):
    """The slots of `resource` inside [starts_on, ends_on] that a guardian can book now,
    grouped by day; and the first day of the period not yet open for booking."""
    from cityhall.bookings import selectors
    from cityhall.bookings.services import bookable_window

    first, last = bookable_window(resource, now)
    start, end = max(starts_on, first), min(ends_on, last)
    later = starts_on - datetime.timedelta(days=resource.book_days_ahead) \
        if starts_on > last else None
    if start > end:
        return [], later
    notice = datetime.timedelta(minutes=resource.min_notice_minutes)
    by_day: dict[datetime.date, list] = {}
    for slot in selectors.availability(resource, start=start, days=(end - start).days + 1,
                                       now=now):
        if slot.is_closed or slot.free <= 0 or slot.starts_at - notice < now:
            continue
        by_day.setdefault(timezone.localdate(slot.starts_at), []).append(slot)
    return sorted(by_day.items()), later


def child_checkups(child: ChildProfile, *, now=None) -> list[CheckupEntry]:
    """Every offered checkup of `child` with its period and state, the child's booking of it
    and, for a group checkup whose period is open or coming and that is not booked yet, the
    sessions a guardian can book now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    kinds = list(CheckupKind.objects.filter(is_active=True))
    bookings_installed = apps.is_installed("cityhall.bookings")
    booked, resources = {}, {}
    if bookings_installed:
        from cityhall.bookings.models import Booking, Resource

        keys = {subject_key(child, kind): kind.code for kind in kinds}
        for booking in Booking.objects.filter(subject__in=keys, status__in=LIVE_STATUSES) \
                .select_related("slot", "resource__facility"):
            booked[keys[booking.subject]] = booking
        codes = [kind.resource_code for kind in kinds if kind.resource_code]
        resources = {resource.code: resource for resource in Resource.objects.filter(
            code__in=codes, is_active=True).select_related("facility")}
    entries = []
    for kind in kinds:
        starts_on, ends_on = kind.window(child.date_of_birth)
        entry = CheckupEntry(kind=kind, starts_on=starts_on, ends_on=ends_on,
                             state=_state(starts_on, ends_on, today),
                             booking=booked.get(kind.code),
                             resource=resources.get(kind.resource_code))
        if (entry.resource is not None and entry.booking is None
                and kind.delivery == CheckupKind.Delivery.GROUP and entry.state != "passed"):
            entry.sessions, entry.bookable_from = _bookable_sessions(
                entry.resource, starts_on, ends_on, now=now)
        entries.append(entry)
    return entries


# --- booking -------------------------------------------------------------------------------------

def checkup_book(*, child: ChildProfile, kind: CheckupKind, slot, actor, now=None):
    """Book `slot` (a session of `kind`) for `child`, as its guardian `actor`. The booking is
    the guardian's, made for the child (`subject`); the bookings engine takes the place
    (capacity held by the database) and asks `check_booking` whether the session is inside
    the child's period. Refused with a translated message, nothing changed: not the
    guardian's child ("not found"), a clinic checkup, a session of another checkup or outside
    the period, too late, a checkup already booked for the child, a full session."""
    from cityhall.bookings import services as bookings

    if not is_guardian_of(actor, child):
        raise NotFoundError()
    if kind.delivery != CheckupKind.Delivery.GROUP:
        raise CheckupRefused(_("This checkup is not booked here: take the voucher to a "
                               "contracted clinic."))
    return bookings.booking_create(slot=slot, user=actor, actor=actor,
                                   subject=subject_key(child, kind), now=now)


# --- the hooks of the bookings engine (bookings.subjects) ------------------------------------

def claims_resource(resource) -> bool:
    """Bookings of a resource that is the session resource of a checkup are for a child."""
    return CheckupKind.objects.filter(resource_code=resource.code).exists()


def check_booking(*, subject, resource, slot, user, actor, now) -> None:
    """May `user` book `slot` of `resource` for the child and checkup of `subject`?"""
    parsed = parse_subject(subject)
    if parsed is None:
        raise CheckupRefused(_("Choose the child and the checkup to book."))
    child_id, code = parsed
    child = ChildProfile.objects.select_related("guardian").filter(pk=child_id).first()
    if child is None or child.guardian.user_id != user.pk:
        raise NotFoundError()
    kind = CheckupKind.objects.filter(code=code, is_active=True).first()
    if kind is None or kind.delivery != CheckupKind.Delivery.GROUP or \
            kind.resource_code != resource.code:
        raise CheckupRefused(_("This session is not one of this checkup. Choose a session "
                               "from the checkup's list."))
    starts_on, ends_on = kind.window(child.date_of_birth)
    day = timezone.localdate(slot.starts_at)
    if not starts_on <= day <= ends_on:
        raise CheckupRefused(
            _("The session on %(day)s is outside your child's period for the %(checkup)s "
              "(%(start)s to %(end)s). Choose a session in that period.")
            % {"day": _day(day), "checkup": local_name(kind), "start": _day(starts_on),
               "end": _day(ends_on)}, code="outside_period")
    if slot.starts_at - datetime.timedelta(minutes=resource.min_notice_minutes) < now:
        raise CheckupRefused(_("This session can no longer be booked online. Choose a later "
                               "one."))


def describe_bookings(bookings, *, viewer) -> dict:
    """Whom each checkup booking is for: "<child's name> (<age on the session day>)". The
    guardian sees their own children. Staff see a child whose record they may read
    (`permissions.child_in_scope`: the health centre reads every child), and each such read
    is written to the audit log; other staff see that it is a child, without the name."""
    parsed = {booking.pk: parse_subject(booking.subject) for booking in bookings}
    ids = {value[0] for value in parsed.values() if value}
    children = {child.pk: child for child in ChildProfile.objects.filter(
        pk__in=ids).select_related("guardian", "branch_office")}
    staff = is_staff_member(viewer)
    shown, found = set(), {}
    for booking in bookings:
        child = children.get((parsed.get(booking.pk) or (None,))[0])
        if child is None:
            continue
        if is_guardian_of(viewer, child) or (staff and child_in_scope(viewer, child)):
            age = age_label(child.date_of_birth, timezone.localdate(booking.slot.starts_at))
            found[booking.pk] = _("%(name)s (%(age)s)") % {"name": child.name, "age": age}
            if staff:
                shown.add(child)
        elif staff:
            found[booking.pk] = _("A child (you may not read this child's record)")
    if shown:
        with transaction.atomic():
            for child in sorted(shown, key=lambda child: child.pk):
                audit_record(actor=viewer, action="childcare.child.read", target=child,
                             purpose="infant checkup session",
                             details={"name_and_age": True})
    return found


def register_with_bookings() -> None:
    """Called from `ChildcareConfig.ready()` where the bookings engine is installed."""
    from cityhall.bookings.subjects import SubjectKind, register_subject_kind

    register_subject_kind(SubjectKind(key=SUBJECT_KIND, claims=claims_resource,
                                      check=check_booking, describe=describe_bookings,
                                      hint=HINT))


__all__ = ["CheckupEntry", "CheckupRefused", "age_in_months", "age_label", "check_booking",
           "checkup_book", "checkup_kind_save", "checkup_kinds_import", "child_checkups",
           "claims_resource", "describe_bookings", "load_checkup_kinds", "parse_subject",
           "register_with_bookings", "subject_key"]
