"""The back office's work on street-problem reports (取組13): scope, triage and service levels.

One door: staff reach a report through `access_report` (it checks the permission and the
staff member's scope, and records the read, since a report carries the reporter's contact
details) and list reports through `reports_for_staff`, which applies the same scope. A staff
member sees the reports of their own department, and, when their department belongs to a
branch office (総合支所), every report in that branch office's area; `view_all_reports`
sees everything.

Each action is one function here: it checks the permission and the scope, locks the report
(`reports.lock_report`), writes a `ReportUpdate` row and the audit event in one transaction,
and tells the followers after commit when the public sees the update. Bad input raises a
translated error before anything is written.

Service levels (SLA): a new report must be acknowledged within its category's
`acknowledge_within_hours`, and an open one fixed within `fix_within_days`, both counted from
the moment it was reported. `monthly_summary` gives the figures per department, branch office
and category for a month in Asia/Tokyo.
"""

import datetime
import statistics
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from cityhall.core.models import BranchOffice, Department, Town
from cityhall.core.permissions import can, is_staff_member

from ..models import (
    Report,
    ReportFollower,
    ReportPhoto,
    ReportUpdate,
    ServiceCategory,
)
from .reports import (
    MAX_DESCRIPTION,
    _clean_note,
    followers_tell_on_commit,
    locate,
    lock_report,
    report_create,
    report_transition,
    route,
)

VIEW = "reports.view_report"
TRIAGE = "reports.triage_report"
MODERATE = "reports.moderate_report"
VIEW_ALL = "reports.view_all_reports"


# --- service levels -------------------------------------------------------------------------

class SlaState:
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    CLOSED = "closed"

    LABELS = {
        ON_TIME: _("On time"),
        DUE_SOON: _("Due soon"),
        OVERDUE: _("Overdue"),
        CLOSED: _("Closed"),
    }


# "Due soon" is the last quarter of the time allowed: 6 hours of a 24-hour acknowledgement,
# 3.5 days of a 14-day fix.
DUE_SOON_FRACTION = 0.25


def sla_period(report: Report) -> datetime.timedelta | None:
    """The time the report's category allows for the step the report waits for."""
    if report.status == Report.Status.NEW:
        return datetime.timedelta(hours=report.category.acknowledge_within_hours)
    if report.status in Report.OPEN_STATUSES:
        return datetime.timedelta(days=report.category.fix_within_days)
    return None


def sla_due(report: Report) -> datetime.datetime | None:
    """When the step the report waits for (acknowledgement, then the fix) is due."""
    period = sla_period(report)
    return report.created_at + period if period is not None else None


def sla_state(report: Report, now: datetime.datetime | None = None) -> str:
    """On time, due soon (the last quarter of the allowed time, the due moment included),
    overdue (after the due moment) or closed."""
    period = sla_period(report)
    if period is None:
        return SlaState.CLOSED
    now = now or timezone.now()
    due = report.created_at + period
    if now > due:
        return SlaState.OVERDUE
    if now >= due - period * DUE_SOON_FRACTION:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


def _overdue_q(now: datetime.datetime) -> Q:
    """Open reports past their due moment, one condition per category (there are few)."""
    condition = Q(pk__in=[])
    for pk, hours, days in ServiceCategory.objects.values_list(
            "pk", "acknowledge_within_hours", "fix_within_days"):
        condition |= Q(category_id=pk, status=Report.Status.NEW,
                       created_at__lt=now - datetime.timedelta(hours=hours))
        condition |= Q(category_id=pk,
                       status__in=[Report.Status.ACKNOWLEDGED, Report.Status.IN_PROGRESS],
                       created_at__lt=now - datetime.timedelta(days=days))
    return condition


# --- scope ----------------------------------------------------------------------------------

def _profile(user):
    return getattr(user, "staff_profile", None) if is_staff_member(user) else None


def staff_scope(user) -> Q | None:
    """The reports a staff member may see, as a condition; None when they may see none."""
    if not can(user, VIEW):
        return None
    if user.has_perm(VIEW_ALL):
        return Q()
    profile = _profile(user)
    if profile is None or profile.department_id is None:
        return None
    scope = Q(department_id=profile.department_id)
    if profile.department.branch_office_id is not None:
        # A branch office's department (e.g. 芝地区総合支所 まちづくり課) is the door for every
        # report in its area, whichever department fixes it.
        scope |= Q(branch_office_id=profile.branch_office_id)
    return scope


def may_see(user, report: Report) -> bool:
    scope = staff_scope(user)
    if scope is None:
        return False
    return Report.objects.filter(scope, pk=report.pk).exists()


@dataclass
class QueueFilters:
    department: Department | None = None
    branch_office: BranchOffice | None = None
    status: str = "open"  # "open", "all" or one Report.Status
    category: ServiceCategory | None = None
    overdue: bool = False
    mine: bool = False


def reports_for_staff(user, filters: QueueFilters | None = None,
                      now: datetime.datetime | None = None) -> QuerySet:
    """The reports a staff member may see, filtered; oldest first (the queue's order)."""
    scope = staff_scope(user)
    queryset = Report.objects.select_related(
        "category", "town", "branch_office", "department__branch_office",
        "assigned_to__staff_profile")
    if scope is None:
        return queryset.none()
    queryset = queryset.filter(scope)
    filters = filters or QueueFilters()
    if filters.department is not None:
        queryset = queryset.filter(department=filters.department)
    if filters.branch_office is not None:
        queryset = queryset.filter(branch_office=filters.branch_office)
    if filters.category is not None:
        queryset = queryset.filter(category=filters.category)
    if filters.status == "open":
        queryset = queryset.filter(status__in=Report.OPEN_STATUSES)
    elif filters.status in Report.Status.values:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue:
        queryset = queryset.filter(_overdue_q(now or timezone.now()))
    if filters.mine:
        queryset = queryset.filter(assigned_to_id=user.pk)
    return queryset.order_by("created_at", "pk")


def _find(reference) -> Report | None:
    reference = str(reference or "").strip()
    if not reference or len(reference) > 20 or "\x00" in reference:
        return None
    return Report.objects.select_related(
        "category", "town__branch_office", "branch_office", "department__branch_office",
        "assigned_to",
        "duplicate_of", "reporter", "open311_client").filter(reference=reference).first()


def access_report(user, reference, purpose: str = "triage") -> Report:
    """The report, if `user` may see it, with the read recorded (it shows the reporter's
    contact details). Staff without the report in their scope get NotFoundError, as if it
    did not exist; users who may see no report at all get PermissionDeniedError."""
    if not can(user, VIEW):
        raise PermissionDeniedError()
    report = _find(reference)
    if report is None or not may_see(user, report):
        raise NotFoundError(_("There is no report with this number in your queues."))
    with transaction.atomic():
        audit_record(actor=user, action="reports.report.read", target=report,
                     purpose=purpose[:100], details={"reference": report.reference})
    return report


def report_for_action(user, reference) -> Report:
    """The report a staff member is about to act on (each action checks its own permission
    and records itself); not an audited read: pages that show the report use
    `access_report`."""
    if not can(user, VIEW):
        raise PermissionDeniedError()
    report = _find(reference)
    if report is None or not may_see(user, report):
        raise NotFoundError(_("There is no report with this number in your queues."))
    return report


def _check(actor, report: Report, permission: str = TRIAGE) -> None:
    if not can(actor, permission):
        raise PermissionDeniedError()
    if not may_see(actor, report):
        raise NotFoundError(_("There is no report with this number in your queues."))


# --- actions --------------------------------------------------------------------------------

def report_status_change(*, report: Report, status: str, actor, public_note: str = "",
                         internal_note: str = "", expected_on: datetime.date | None = None,
                         now: datetime.datetime | None = None) -> ReportUpdate:
    """Acknowledge, start, fix or close a report, or add a reply or a note (the same status),
    with an expected fix date."""
    _check(actor, report)
    now = now or timezone.now()
    expected_at = None
    if expected_on is not None:
        if expected_on < timezone.localdate(now):
            raise ValidationFailed(_("The expected fix date is in the past."),
                                   code="expected_in_past", field="expected_on")
        expected_at = timezone.make_aware(datetime.datetime.combine(expected_on,
                                                                    datetime.time(17, 0)))
    return report_transition(report=report, status=status, actor=actor,
                             public_note=public_note, internal_note=internal_note,
                             expected_at=expected_at, now=now)


def assignable_staff(report: Report):
    """Active staff of the report's department who may triage reports."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(
        is_active=True, is_staff=True, staff_profile__department_id=report.department_id
    ).select_related("staff_profile").order_by("staff_profile__display_name", "email")
    return [user for user in users if can(user, TRIAGE)]


def report_assign(*, report: Report, assignee, actor, internal_note: str = "",
                  now: datetime.datetime | None = None) -> ReportUpdate:
    """Give the report to a staff member of its department (None: to nobody)."""
    _check(actor, report)
    internal_note = _clean_note(internal_note, field="internal_note")
    if assignee is not None and assignee.pk not in {u.pk for u in assignable_staff(report)}:
        raise ValidationFailed(_("Choose a staff member of the report's department."),
                               code="bad_assignee", field="assignee")
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_report(report.pk)
        before = locked.assigned_to_id
        after = assignee.pk if assignee is not None else None
        if before == after:
            raise ValidationFailed(_("The report is already assigned so."),
                                   code="nothing_changed", field="assignee")
        Report.objects.filter(pk=locked.pk).update(assigned_to_id=after, updated_at=now)
        update = ReportUpdate.objects.create(
            report=locked, kind=ReportUpdate.Kind.ASSIGNED, status_before=locked.status,
            status_after=locked.status, internal_note=internal_note, actor=actor,
            created_at=now, details={"before": before, "after": after})
        audit_record(actor=actor, action="reports.report.assign", target=locked,
                     details={"before": before, "after": after})
    report.refresh_from_db()
    return update


def report_hand_off(*, report: Report, department: Department, actor,
                    internal_note: str = "", now: datetime.datetime | None = None
                    ) -> ReportUpdate:
    """Pass an open report to another department (its queue, its staff). The assignment is
    cleared; the previous department no longer sees it unless its branch office's area
    or `view_all_reports` still covers it."""
    _check(actor, report)
    internal_note = _clean_note(internal_note, field="internal_note")
    if not isinstance(department, Department):
        raise ValidationFailed(_("Choose a department."), code="bad_department",
                               field="department")
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_report(report.pk)
        if locked.status not in Report.OPEN_STATUSES:
            raise ConflictError(_("Only an open report can be handed to another department."),
                                code="closed")
        if locked.department_id == department.pk:
            raise ValidationFailed(_("The report is already with this department."),
                                   code="nothing_changed", field="department")
        before = locked.department
        Report.objects.filter(pk=locked.pk).update(department=department, assigned_to=None,
                                                   updated_at=now)
        update = ReportUpdate.objects.create(
            report=locked, kind=ReportUpdate.Kind.HANDED_OFF, status_before=locked.status,
            status_after=locked.status, internal_note=internal_note, actor=actor,
            created_at=now, details={"from": before.code, "to": department.code})
        audit_record(actor=actor, action="reports.report.hand_off", target=locked,
                     details={"from": before.code, "to": department.code})
    report.refresh_from_db()
    return update


def report_merge(*, report: Report, into: Report, actor, public_note: str = "",
                 now: datetime.datetime | None = None) -> ReportUpdate:
    """Close `report` as a duplicate of `into`: its followers follow `into` from now on,
    its photos stay where they are, and reports already merged into it move to `into` (so
    no chain of duplicates forms and no cycle can)."""
    _check(actor, report)
    public_note = _clean_note(public_note, field="public_note")
    if into is None or not may_see(actor, into):
        raise ValidationFailed(_("There is no report with this number in your queues."),
                               code="bad_target", field="into")
    if into.pk == report.pk:
        raise ValidationFailed(_("A report cannot be a duplicate of itself."),
                               code="merge_into_itself", field="into")
    now = now or timezone.now()
    with transaction.atomic():
        # Both rows locked, in a fixed order, so that two merges at once cannot deadlock.
        first, second = sorted([report.pk, into.pk])
        locked_rows = {pk: lock_report(pk) for pk in (first, second)}
        locked, target = locked_rows[report.pk], locked_rows[into.pk]
        if locked.status == Report.Status.DUPLICATE:
            raise ConflictError(_("This report is already a duplicate."), code="is_duplicate")
        if locked.status not in Report.OPEN_STATUSES:
            raise ConflictError(_("Only an open report can be merged into another."),
                                code="closed")
        if target.status == Report.Status.DUPLICATE:
            raise ValidationFailed(
                _("Report %(reference)s is itself a duplicate: merge into the report it "
                  "duplicates.") % {"reference": target.reference},
                code="merge_into_duplicate", field="into")
        before = locked.status
        Report.objects.filter(pk=locked.pk).update(
            status=Report.Status.DUPLICATE, duplicate_of=target, updated_at=now,
            closed_at=now, acknowledged_at=locked.acknowledged_at or now)
        moved = list(Report.objects.filter(duplicate_of=locked).values_list("pk", flat=True))
        Report.objects.filter(pk__in=moved).update(duplicate_of=target)
        followed = _followers_copy(source=locked, target=target)
        update = ReportUpdate.objects.create(
            report=locked, kind=ReportUpdate.Kind.MERGED, status_before=before,
            status_after=Report.Status.DUPLICATE, public_note=public_note, actor=actor,
            created_at=now, details={"into": target.reference})
        ReportUpdate.objects.create(
            report=target, kind=ReportUpdate.Kind.NOTE, status_before=target.status,
            status_after=target.status, actor=actor, created_at=now,
            details={"merged": locked.reference, "followers": followed})
        audit_record(actor=actor, action="reports.report.merge", target=locked,
                     details={"into": target.reference, "followers": followed,
                              "moved_duplicates": len(moved)})
        followers_tell_on_commit(update)
    report.refresh_from_db()
    return update


def _followers_copy(*, source: Report, target: Report) -> int:
    copied = 0
    for follower in ReportFollower.objects.filter(report=source):
        if follower.user_id:
            exists = ReportFollower.objects.filter(report=target, user_id=follower.user_id)
        else:
            exists = ReportFollower.objects.filter(report=target, email=follower.email)
        if exists.exists():
            continue
        ReportFollower.objects.create(report=target, user_id=follower.user_id,
                                      email=follower.email if not follower.user_id else "",
                                      language=follower.language)
        copied += 1
    return copied


def report_relocate(*, report: Report, actor, latitude=None, longitude=None,
                    address: str = "", town: Town | None = None, internal_note: str = "",
                    now: datetime.datetime | None = None) -> ReportUpdate:
    """Correct where a report is: its position or address, or just its town (set by staff).
    The branch office follows the town; the department follows when it was the routing's
    choice (a report handed to another department stays there)."""
    _check(actor, report)
    internal_note = _clean_note(internal_note, field="internal_note")
    address = (address or "").replace("\x00", "").strip()
    has_place = latitude not in (None, "") or longitude not in (None, "") or bool(address)
    if not has_place and town is None:
        raise ValidationFailed(_("Give the corrected position, address or town."),
                               code="nothing_changed", field="town")
    if town is not None and not isinstance(town, Town):
        raise ValidationFailed(_("Choose a town."), code="bad_town", field="town")
    place = locate(latitude=latitude, longitude=longitude, address=address) if has_place \
        else None
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_report(report.pk)
        changes = {}
        if place is not None:
            changes.update(latitude=place.latitude, longitude=place.longitude,
                           address=place.address)
        new_town = town if town is not None else (place.town if place else locked.town)
        new_source = Report.TownSource.STAFF if town is not None else (
            place.town_source if place else locked.town_source)
        changes.update(town=new_town, town_source=new_source,
                       branch_office=new_town.branch_office if new_town else None)
        routed_before = route(category=locked.category, branch_office=locked.branch_office)
        if locked.department_id == routed_before.pk:
            changes["department"] = route(category=locked.category,
                                          branch_office=changes["branch_office"])
        before = _place_summary(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        after = _place_summary(locked)
        if before == after:
            raise ValidationFailed(_("This is where the report already is."),
                                   code="nothing_changed", field="town")
        Report.objects.filter(pk=locked.pk).update(**changes, updated_at=now)
        update = ReportUpdate.objects.create(
            report=locked, kind=ReportUpdate.Kind.ROUTED, status_before=locked.status,
            status_after=locked.status, internal_note=internal_note, actor=actor,
            created_at=now, details={"before": before, "after": after})
        audit_record(actor=actor, action="reports.report.relocate", target=locked,
                     details={"before": before, "after": after})
    report.refresh_from_db()
    return update


def _place_summary(report: Report) -> dict:
    return {"latitude": str(report.latitude) if report.latitude is not None else "",
            "longitude": str(report.longitude) if report.longitude is not None else "",
            "address": report.address, "town": report.town_id,
            "town_source": report.town_source, "branch_office": report.branch_office_id,
            "department": report.department_id}


def report_moderate(*, report: Report, public_description: str, is_public: bool,
                    public_photo_ids, actor, now: datetime.datetime | None = None
                    ) -> ReportUpdate:
    """Decide what the public sees: the description as staff rewrote it (without names,
    plates or phone numbers) and which photos."""
    _check(actor, report, MODERATE)
    text = (public_description or "").replace("\x00", "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            _("The description is too long (at most %(limit)d characters).")
            % {"limit": MAX_DESCRIPTION}, code="description_too_long",
            field="public_description")
    if is_public and not text:
        raise ValidationFailed(_("Write the description the public will see before "
                                 "publishing it."), code="no_public_description",
                               field="public_description")
    try:
        wanted = {int(pk) for pk in (public_photo_ids or [])}
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose photos of this report."), code="bad_photos",
                               field="photos") from None
    photos = dict(ReportPhoto.objects.filter(report=report).values_list("pk", "is_public"))
    if not wanted <= set(photos):
        raise ValidationFailed(_("Choose photos of this report."), code="bad_photos",
                               field="photos")
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_report(report.pk)
        before = {"is_public": locked.is_public,
                  "photos": sorted(pk for pk, public in photos.items() if public),
                  "description_changed": False}
        after = {"is_public": bool(is_public), "photos": sorted(wanted),
                 "description_changed": text != locked.public_description}
        if (before["is_public"], before["photos"]) == (after["is_public"], after["photos"]) \
                and not after["description_changed"]:
            raise ValidationFailed(_("Nothing changed."), code="nothing_changed",
                                   field="public_description")
        Report.objects.filter(pk=locked.pk).update(public_description=text,
                                                   is_public=bool(is_public), updated_at=now)
        ReportPhoto.objects.filter(report=locked).update(is_public=False)
        ReportPhoto.objects.filter(report=locked, pk__in=wanted).update(is_public=True)
        update = ReportUpdate.objects.create(
            report=locked, kind=ReportUpdate.Kind.MODERATED, status_before=locked.status,
            status_after=locked.status, actor=actor, created_at=now,
            details={"before": before, "after": after})
        audit_record(actor=actor, action="reports.report.moderate", target=locked,
                     details={"before": before, "after": after})
    report.refresh_from_db()
    return update


def report_file_for_caller(*, actor, **fields) -> Report:
    """File a report for a caller (phone or counter): the same checks as the portal's form,
    received through "staff"."""
    if not can(actor, TRIAGE):
        raise PermissionDeniedError()
    fields.pop("source", None)
    return report_create(actor=actor, source=Report.Source.STAFF, **fields)


def category_save(*, category: ServiceCategory, actor) -> ServiceCategory:
    """Save a category's settings from the back office (its department, service levels and
    texts); audited."""
    permission = "reports.change_servicecategory" if category.pk \
        else "reports.add_servicecategory"
    if not can(actor, permission):
        raise PermissionDeniedError()
    if category.acknowledge_within_hours < 1 or category.fix_within_days < 1:
        raise ValidationFailed(_("Service levels must be at least one hour and one day."),
                               code="bad_sla", field="acknowledge_within_hours")
    with transaction.atomic():
        category.save()
        audit_record(actor=actor, action="reports.category.save", target=category,
                     details={"code": category.code, "department": category.department.code,
                              "acknowledge_within_hours": category.acknowledge_within_hours,
                              "fix_within_days": category.fix_within_days})
    return category


# --- the monthly summary --------------------------------------------------------------------

@dataclass
class SummaryRow:
    department: str
    branch_office: str
    category: str
    received: int = 0
    acknowledged_in_time: int = 0
    acknowledge_decided: int = 0
    hours_to_acknowledge: list = field(default_factory=list)
    fixed: int = 0
    days_to_fix: list = field(default_factory=list)
    still_open: int = 0
    overdue: int = 0

    @property
    def acknowledged_in_time_percent(self) -> float | None:
        if not self.acknowledge_decided:
            return None
        return round(100 * self.acknowledged_in_time / self.acknowledge_decided, 1)

    @property
    def median_hours_to_acknowledge(self) -> float | None:
        return round(statistics.median(self.hours_to_acknowledge), 1) \
            if self.hours_to_acknowledge else None

    @property
    def median_days_to_fix(self) -> float | None:
        return round(statistics.median(self.days_to_fix), 1) if self.days_to_fix else None

    def add(self, other: "SummaryRow") -> None:
        for name in ("received", "acknowledged_in_time", "acknowledge_decided", "fixed",
                     "still_open", "overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.hours_to_acknowledge += other.hours_to_acknowledge
        self.days_to_fix += other.days_to_fix


@dataclass
class Summary:
    month: datetime.date
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    rows: list
    total: SummaryRow


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of the month and of the next one, in Asia/Tokyo."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_default_timezone()
    return (datetime.datetime.combine(first, datetime.time(), tzinfo=zone),
            datetime.datetime.combine(following, datetime.time(), tzinfo=zone))


def monthly_summary(*, user, month: datetime.date, now: datetime.datetime | None = None
                    ) -> Summary:
    """The month's figures of the reports `user` may see, per department, branch office and
    category.

    - received: reported during the month;
    - acknowledged in time: of those received whose acknowledgement is decided (acknowledged,
      or its time has run out), the share acknowledged within the category's hours;
    - median hours to acknowledge: of those received and acknowledged;
    - fixed, median days to fix: reports marked fixed during the month (whenever received),
      from reported to fixed;
    - still open, overdue: of those received, open now, and of these, past their due moment.
    """
    if not can(user, VIEW):
        raise PermissionDeniedError()
    now = now or timezone.now()
    starts_at, ends_at = month_bounds(month)
    base = reports_for_staff(user, QueueFilters(status="all")).select_related(None)
    columns = ("pk", "status", "created_at", "acknowledged_at", "closed_at",
               "department__name", "department__code", "department__branch_office__name",
               "branch_office__name",
               "branch_office__sort_order", "category__name", "category__sort_order",
               "category__acknowledge_within_hours", "category__fix_within_days")
    received = base.filter(created_at__gte=starts_at, created_at__lt=ends_at).values(*columns)
    fixed = base.filter(status=Report.Status.FIXED, closed_at__gte=starts_at,
                        closed_at__lt=ends_at).values(*columns)
    groups: dict[tuple, SummaryRow] = {}

    def row_of(values) -> SummaryRow:
        key = (values["department__code"], values["branch_office__sort_order"] or 0,
               values["branch_office__name"] or "", values["category__sort_order"],
               values["category__name"])
        if key not in groups:
            # The department with its branch office: the five まちづくり課 are told apart.
            department = " ".join(filter(None, [values["department__branch_office__name"],
                                                values["department__name"]]))
            groups[key] = SummaryRow(department=department,
                                     branch_office=values["branch_office__name"] or "",
                                     category=values["category__name"])
        return groups[key]

    for values in received:
        row = row_of(values)
        row.received += 1
        allowed = datetime.timedelta(hours=values["category__acknowledge_within_hours"])
        acknowledged = values["acknowledged_at"]
        if acknowledged is not None:
            waited = acknowledged - values["created_at"]
            row.acknowledge_decided += 1
            row.acknowledged_in_time += waited <= allowed
            row.hours_to_acknowledge.append(waited.total_seconds() / 3600)
        elif now > values["created_at"] + allowed:
            row.acknowledge_decided += 1
        if values["status"] in Report.OPEN_STATUSES:
            row.still_open += 1
            period = allowed if values["status"] == Report.Status.NEW else \
                datetime.timedelta(days=values["category__fix_within_days"])
            row.overdue += now > values["created_at"] + period
    for values in fixed:
        row = row_of(values)
        row.fixed += 1
        row.days_to_fix.append((values["closed_at"] - values["created_at"]).total_seconds()
                               / 86400)
    rows = [groups[key] for key in sorted(groups)]
    total = SummaryRow(department="", branch_office="", category="")
    for row in rows:
        total.add(row)
    return Summary(month=month.replace(day=1), starts_at=starts_at, ends_at=ends_at, rows=rows,
                   total=total)


# The CSV keeps one fixed Japanese layout whatever the page language (offices import it by
# column name into Excel).
SUMMARY_CSV_HEADER = ["月", "担当課", "総合支所", "分類", "受付件数", "期限内確認率（％）",
                      "確認までの時間（中央値・時間）", "対応完了件数",
                      "完了までの日数（中央値・日）", "未完了件数", "期限超過件数"]
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}


def summary_csv(summary: Summary, *, encoding: str) -> bytes:
    import csv
    import io

    if encoding not in CSV_ENCODINGS:
        raise ValidationFailed(_("Unknown encoding: use utf-8 or cp932."), code="bad_encoding",
                               field="encoding")

    def cell(value):
        return "" if value is None else value

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SUMMARY_CSV_HEADER)
    month = summary.month.strftime("%Y-%m")
    for row in [*summary.rows, summary.total]:
        is_total = row is summary.total
        writer.writerow([month, "合計" if is_total else row.department,
                         "" if is_total else row.branch_office or "（不明）",
                         "" if is_total else row.category, row.received,
                         cell(row.acknowledged_in_time_percent),
                         cell(row.median_hours_to_acknowledge), row.fixed,
                         cell(row.median_days_to_fix), row.still_open, row.overdue])
    return buffer.getvalue().encode(CSV_ENCODINGS[encoding], errors="replace")
