"""Back-office pages of street-problem reports (取組13), built for a phone in the field and
working without JavaScript.

- the queue (`staff_queue`): the reports of the staff member's department and branch office,
  filtered, with their service-level state;
- a report (`staff_report`): every detail including the reporter's contact details (the read
  is audited by `access_report`), the photos, the full history, and one form per action;
- filing a report for a caller (`staff_report_new`);
- the monthly summary (`staff_summary`) and its CSV;
- the categories with their routing and service levels (`staff_categories`), edited in the
  back office's admin by managers;
- the Open311 API keys (`staff_open311_clients`).

Views parse, check access, call one service and render."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from cityhall.core.errors import CityhallError, NotFoundError, PermissionDeniedError
from cityhall.core.models import Department, Town
from cityhall.core.permissions import can, staff_permission_required

from ..forms_staff import (
    AssignForm,
    CallerReportForm,
    CategoryPickForm,
    HandOffForm,
    MergeForm,
    ModerateForm,
    Open311IssueForm,
    QueueFilterForm,
    RelocateForm,
    StatusForm,
    SummaryForm,
    department_label,
)
from ..models import Open311Client, Report, ReportPhoto, ServiceCategory
from ..services import open311 as open311_services
from ..services import triage

QUEUE_PAGE_SIZE = 50


def _form_error(form, error: CityhallError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


# --- the queue ------------------------------------------------------------------------------

@never_cache
@require_safe
@staff_permission_required(triage.VIEW)
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters, status = triage.QueueFilters(), 200
    if request.GET and not form.is_valid():
        status = 400
        reports = Report.objects.none()
    else:
        if request.GET:
            data = form.cleaned_data
            filters = triage.QueueFilters(
                department=data["department"], branch_office=data["branch_office"],
                status=data["status"] or "open", category=data["category"],
                overdue=data["overdue"], mine=data["mine"])
        reports = triage.reports_for_staff(request.user, filters)
    page = Paginator(reports, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"report": report, "sla": triage.sla_state(report, now),
             "sla_label": triage.SlaState.LABELS[triage.sla_state(report, now)],
             "due": triage.sla_due(report)} for report in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/staff/queue.html", {
        "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "can_triage": can(request.user, triage.TRIAGE),
        "can_manage_keys": can(request.user, "reports.manage_open311_clients")},
        status=status)


# --- one report -----------------------------------------------------------------------------

ACTIONS = ("status", "assign", "hand_off", "merge", "relocate", "moderate")


def _forms(report: Report, data=None, action: str | None = None) -> dict:
    """The action forms of a report page; the one named by `action` is bound to `data`."""
    photos = list(report.photos.all())

    def bound(name):
        return data if name == action else None

    status_initial = {"status": report.status if report.status != Report.Status.DUPLICATE
                      else "", "expected_on": timezone.localdate(report.expected_at)
                      if report.expected_at else None}
    return {
        "status": StatusForm(bound("status"), initial=status_initial, prefix="status"),
        "assign": AssignForm(bound("assign"), staff=triage.assignable_staff(report),
                             initial={"assignee": report.assigned_to_id or ""},
                             prefix="assign"),
        "hand_off": HandOffForm(bound("hand_off"), exclude=report.department,
                                prefix="hand_off"),
        "merge": MergeForm(bound("merge"), prefix="merge"),
        "relocate": RelocateForm(bound("relocate"), prefix="relocate"),
        "moderate": ModerateForm(bound("moderate"), photos=photos, prefix="moderate", initial={
            "public_description": report.public_description or report.description,
            "is_public": report.is_public,
            "photos": [str(photo.pk) for photo in photos if photo.is_public]}),
    }


def _run(action: str, form, report: Report, actor) -> str:
    """Call the action's service; returns the success message."""
    data = form.cleaned_data
    if action == "status":
        triage.report_status_change(report=report, actor=actor, status=data["status"],
                                    public_note=data["public_note"],
                                    internal_note=data["internal_note"],
                                    expected_on=data["expected_on"])
        return _("Saved. Followers are told of replies to the public.")
    if action == "assign":
        triage.report_assign(report=report, assignee=data["assignee"], actor=actor,
                             internal_note=data["internal_note"])
        return _("The assignment was saved.")
    if action == "hand_off":
        triage.report_hand_off(report=report, department=data["department"], actor=actor,
                               internal_note=data["internal_note"])
        return _("The report was handed to %(department)s.") % {
            "department": department_label(data["department"])}
    if action == "merge":
        into = Report.objects.filter(reference=data["into"]).first()
        triage.report_merge(report=report, into=into, actor=actor,
                            public_note=data["public_note"])
        return _("The report was closed as a duplicate of %(reference)s.") % {
            "reference": data["into"]}
    if action == "relocate":
        triage.report_relocate(report=report, actor=actor, latitude=data["latitude"] or None,
                               longitude=data["longitude"] or None, address=data["address"],
                               town=data["town"], internal_note=data["internal_note"])
        return _("The place was corrected.")
    triage.report_moderate(report=report, public_description=data["public_description"],
                           is_public=data["is_public"], public_photo_ids=data["photos"],
                           actor=actor)
    return _("What the public sees was saved.")


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required(triage.VIEW)
def report_page(request, reference):
    action = request.POST.get("action") if request.method == "POST" else None
    forms_, status = None, 200
    if request.method == "POST":
        report = triage.report_for_action(request.user, reference)
        if action not in ACTIONS:
            messages.error(request, _("Unknown action."))
            status = 400
        else:
            permission = triage.MODERATE if action == "moderate" else triage.TRIAGE
            if not can(request.user, permission):
                raise PermissionDeniedError()
            forms_ = _forms(report, request.POST, action)
            form = forms_[action]
            if form.is_valid():
                try:
                    message = _run(action, form, report, request.user)
                except CityhallError as error:
                    _form_error(form, error)
                else:
                    messages.success(request, message)
                    # A report handed to another department may have left the queues.
                    if triage.may_see(request.user, report):
                        return redirect("reports:staff_report", report.reference)
                    return redirect("reports:staff_queue")
            status = 400
    report = triage.access_report(request.user, reference, purpose="triage")
    if forms_ is None:
        forms_ = _forms(report)
    return render(request, "reports/staff/report.html", {
        "report": report, "forms": forms_, "failed": action if status == 400 else None,
        "photos": list(report.photos.all()), "history": _history(report),
        "sla": triage.sla_state(report), "sla_label": triage.SlaState.LABELS[
            triage.sla_state(report)], "due": triage.sla_due(report),
        "followers": report.followers.count(),
        "duplicates": list(report.duplicates.values_list("reference", flat=True)),
        "can_triage": can(request.user, triage.TRIAGE),
        "can_moderate": can(request.user, triage.MODERATE),
        "public_url": _public_url(report)}, status=status)


def _public_url(report: Report) -> str:
    try:
        return reverse("reports:report_detail", args=[report.reference])
    except NoReverseMatch:  # the public pages are switched off
        return ""


def _history(report: Report) -> list[dict]:
    updates = list(report.updates.select_related("actor__staff_profile").order_by(
        "created_at", "pk"))
    departments = {d.code: department_label(d) for d in Department.objects.select_related(
        "branch_office").filter(code__in={
        value for update in updates for key, value in update.details.items()
        if key in ("from", "to") and isinstance(value, str)})}
    users = {}
    assigned = {update.details.get(key) for update in updates for key in ("before", "after")
                if update.kind == update.Kind.ASSIGNED}
    if assigned - {None}:
        from django.contrib.auth import get_user_model

        users = {user.pk: getattr(getattr(user, "staff_profile", None), "display_name", "")
                 or user.email for user in get_user_model().objects.filter(
                     pk__in=assigned - {None}).select_related("staff_profile")}
    towns = {}
    routed = {update.details.get(side, {}).get("town") for update in updates
              for side in ("before", "after") if update.kind == update.Kind.ROUTED}
    if routed - {None}:
        towns = {town.pk: town.label for town in Town.objects.filter(pk__in=routed - {None})}
    rows = []
    for update in updates:
        details, summary = update.details or {}, ""
        kind = update.Kind
        if update.kind == kind.HANDED_OFF:
            summary = _("From %(from)s to %(to)s") % {
                "from": departments.get(details.get("from"), details.get("from")),
                "to": departments.get(details.get("to"), details.get("to"))}
        elif update.kind == kind.ASSIGNED:
            summary = _("To %(name)s") % {"name": users.get(details.get("after"))} \
                if details.get("after") else _("To nobody")
        elif update.kind == kind.MERGED:
            summary = _("Duplicate of %(reference)s") % {"reference": details.get("into")}
        elif details.get("merged"):
            summary = _("Report %(reference)s was merged into this one") % {
                "reference": details["merged"]}
        elif update.kind == kind.ROUTED:
            summary = _("Town: %(before)s → %(after)s") % {
                "before": towns.get(details.get("before", {}).get("town"), "—"),
                "after": towns.get(details.get("after", {}).get("town"), "—")}
        elif update.kind == kind.MODERATED:
            after = details.get("after", {})
            summary = (_("Description shown to the public") if after.get("is_public")
                       else _("Description not shown")) + " / " + (
                _("%(count)d photo(s) shown") % {"count": len(after.get("photos", []))})
        elif update.kind == kind.CREATED:
            summary = ""
        elif update.status_before != update.status_after and update.status_after:
            before = Report.Status(update.status_before).label \
                if update.status_before else "—"
            summary = f"{before} → {Report.Status(update.status_after).label}"
        elif details.get("expected_at") or update.kind == kind.STATUS:
            summary = Report.Status(update.status_after).label if update.status_after else ""
        actor = update.actor
        rows.append({"update": update, "summary": summary, "actor": (
            getattr(getattr(actor, "staff_profile", None), "display_name", "")
            or (actor.email if actor else "")) if actor else ""})
    return rows


@never_cache
@require_safe
@staff_permission_required(triage.VIEW)
def report_photo(request, reference, photo_id):
    report = triage.report_for_action(request.user, reference)
    photo = ReportPhoto.objects.filter(report=report, pk=photo_id).first()
    if photo is None:
        raise NotFoundError()
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFoundError() from None
    response = FileResponse(handle, content_type=photo.content_type or "image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- filing a report for a caller -----------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required(triage.TRIAGE)
def report_new(request):
    picked = CategoryPickForm(request.GET or None)
    if not picked.is_bound or not picked.is_valid():
        return render(request, "reports/staff/new.html", {"pick": picked, "form": None},
                      status=400 if picked.is_bound else 200)
    category = picked.cleaned_data["category"]
    form = CallerReportForm(request.POST or None, category=category)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = triage.report_file_for_caller(actor=request.user,
                                                       **form.service_arguments())
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Report %(reference)s was filed. Give the caller "
                                            "this number.") % {"reference": report.reference})
                if triage.may_see(request.user, report):
                    return redirect("reports:staff_report", report.reference)
                return redirect("reports:staff_queue")
        status = 400
    return render(request, "reports/staff/new.html", {"pick": picked, "form": form,
                                                      "category": category}, status=status)


# --- the monthly summary --------------------------------------------------------------------

@never_cache
@require_safe
@staff_permission_required(triage.VIEW)
def summary(request):
    form = SummaryForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "reports/staff/summary.html", {"form": form, "summary": None},
                      status=400)
    data = form.cleaned_data if form.is_bound else {}
    month = data.get("month") or timezone.localdate().replace(day=1)
    result = triage.monthly_summary(user=request.user, month=month)
    if request.GET.get("format") == "csv":
        encoding = data.get("encoding") or "utf-8"
        cp932 = encoding == "cp932"
        response = HttpResponse(
            triage.summary_csv(result, encoding=encoding),
            content_type=f"text/csv; charset={'shift_jis' if cp932 else 'utf-8'}")
        response["Content-Disposition"] = (
            f'attachment; filename="street-reports-{month:%Y-%m}-'
            f'{"cp932" if cp932 else "utf-8"}.csv"')
        return response
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return render(request, "reports/staff/summary.html", {
        "form": form, "summary": result, "month": month, "previous": previous,
        "following": following})


# --- categories -----------------------------------------------------------------------------

@never_cache
@require_safe
@staff_permission_required(triage.VIEW)
def categories(request):
    rows = ServiceCategory.objects.select_related("department").prefetch_related(
        "branch_routings__branch_office", "branch_routings__department", "attributes")
    return render(request, "reports/staff/categories.html", {
        "categories": rows,
        "can_change": can(request.user, "reports.change_servicecategory")})


# --- Open311 API keys -----------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("reports.manage_open311_clients")
def open311_clients(request):
    form, issued, status = Open311IssueForm(prefix="issue"), None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "issue":
                form = Open311IssueForm(request.POST, prefix="issue")
                if form.is_valid():
                    client, raw_key = open311_services.open311_client_issue(
                        actor=request.user, **form.cleaned_data)
                    # Shown once, on this response; never stored or shown again.
                    issued = {"client": client, "key": raw_key}
                    form = Open311IssueForm(prefix="issue")
                else:
                    status = 400
            elif action == "revoke":
                raw = str(request.POST.get("client", ""))[:12]
                client = Open311Client.objects.filter(pk=int(raw)).first() \
                    if raw.isdigit() else None
                if client is None:
                    raise NotFoundError(_("This client no longer exists."))
                open311_services.open311_client_revoke(client=client, actor=request.user)
                messages.success(request, _("The key of %(name)s was revoked.") % {
                    "name": client.name})
                return redirect("reports:staff_open311_clients")
            else:
                messages.error(request, _("Unknown action."))
                status = 400
        except CityhallError as error:
            if action == "issue":
                _form_error(form, error)
            else:
                messages.error(request, str(error.message))
            status = 400
    return render(request, "reports/staff/open311_clients.html", {
        "form": form, "issued": issued,
        "clients": Open311Client.objects.select_related("created_by__staff_profile")},
        status=status)
