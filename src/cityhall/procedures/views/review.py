"""The staff review of online applications (取組1 行政手続のオンライン化: 電子申請): the
queue, the export of one procedure's applications, an application with its history and the
decisions on it, the fee paid at the counter, the attached files and the receipt. Every
application is opened through `permissions.access_application`."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can, staff_permission_required

from .. import integration, services
from ..documents import receipt_pdf
from ..forms import CounterPaymentForm, ReviewActionForm, ReviewFilterForm
from ..forms_schema import answer_rows
from ..models import PaymentStatus, Procedure
from ..permissions import access_application, applications_reviewable_by, staff_department_id
from .applications import (
    _attachment_list,
    _attachment_response,
    _attachments_by_field,
    _pdf_response,
)

__all__ = [
    "review_attachment", "review_detail", "review_export", "review_payment", "review_queue",
    "review_receipt",
]


@never_cache
@staff_permission_required("procedures.view_application")
def review_queue(request):
    form = ReviewFilterForm(request.GET or None)
    applications = applications_reviewable_by(request.user).order_by("submitted_at")
    status = ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        if form.cleaned_data["mine"]:
            applications = applications.filter(assignee=request.user)
    if status:
        applications = applications.filter(status=status)
    else:
        applications = applications.filter(status__in=["submitted", "in_review", "returned"])
    page = Paginator(applications, 30).get_page(request.GET.get("page"))
    exportable = Procedure.objects.filter(forms__isnull=False).distinct()
    if not request.user.has_perm("procedures.review_all_departments"):
        exportable = exportable.filter(department_id=staff_department_id(request.user))
    return render(request, "procedures/review_queue.html",
                  {"form": form, "page": page, "exportable": exportable},
                  status=400 if form.is_bound and not form.is_valid() else 200)


@never_cache
@staff_permission_required("procedures.view_application")
def review_export(request, code):
    """Applications of one procedure as CSV (UTF-8 with BOM or Shift_JIS) or JSON."""
    procedure = get_object_or_404(Procedure, code=code)
    if not request.user.has_perm("procedures.review_all_departments") and \
            procedure.department_id != staff_department_id(request.user):
        raise PermissionDeniedError()
    applications = applications_reviewable_by(request.user).filter(procedure=procedure) \
        .order_by("submitted_at")
    kind = request.GET.get("format", "csv")
    encoding = request.GET.get("encoding", "utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    if kind == "json":
        body = integration.export_json(applications=applications, procedure=procedure,
                                       actor=request.user)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{code}-{stamp}.json"'
        return response
    if kind != "csv" or encoding not in integration.ENCODINGS:
        raise ValidationFailed(_("Choose CSV (UTF-8 or Shift_JIS) or JSON."))
    body = integration.export_csv(applications=applications, procedure=procedure,
                                  encoding=encoding, actor=request.user)
    charset = "shift_jis" if encoding == "shift_jis" else "utf-8"
    response = HttpResponse(body, content_type=f"text/csv; charset={charset}")
    response["Content-Disposition"] = f'attachment; filename="{code}-{stamp}-{encoding}.csv"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("procedures.view_application")
def review_detail(request, application_id):
    application = access_application(request.user, application_id)
    form = ReviewActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        comment = form.cleaned_data["comment"]
        try:
            if action == "assign_me":
                services.application_assign(application=application, assignee=request.user,
                                            actor=request.user)
            elif action == "comment":
                services.application_comment(application=application, actor=request.user,
                                             comment=comment,
                                             is_internal=form.cleaned_data["is_internal"])
            else:
                services.application_transition(
                    application=application, status_to=action, actor=request.user,
                    comment=comment, is_internal=form.cleaned_data["is_internal"])
        except CityhallError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Done."))
            return redirect("procedures:review_detail", application_id=application.pk)
    rows = answer_rows(application.form, {**application.data, **application.prefilled},
                       _attachments_by_field(application))
    return render(request, "procedures/review_detail.html", {
        "application": application, "rows": rows, "form": form,
        "attachments": _attachment_list(application),
        "history": application.events.select_related("actor"),
        "payment_form": _payment_form(request, application)},
        status=400 if form.is_bound and not form.is_valid() else 200)


def _payment_form(request, application, data=None):

    if application.payment_status not in (PaymentStatus.AT_COUNTER, PaymentStatus.PENDING) \
            or not can(request.user, "procedures.change_application"):
        return None
    return CounterPaymentForm(data)


@never_cache
@require_POST
@staff_permission_required("procedures.view_application")
def review_payment(request, application_id):
    """A reviewer records the fee paid at the counter."""
    application = access_application(request.user, application_id, purpose="record payment")
    form = _payment_form(request, application, request.POST)
    if form is None:
        messages.error(request, _("There is no fee to record for this application."))
        return redirect("procedures:review_detail", application_id=application.pk)
    if form.is_valid():
        try:
            services.application_payment_record(
                application=application, status="paid",
                reference=form.cleaned_data["reference"], actor=request.user)
        except CityhallError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The payment was recorded."))
            return redirect("procedures:review_detail", application_id=application.pk)
    rows = answer_rows(application.form, {**application.data, **application.prefilled},
                       _attachments_by_field(application))
    return render(request, "procedures/review_detail.html", {
        "application": application, "rows": rows, "form": ReviewActionForm(),
        "attachments": _attachment_list(application),
        "history": application.events.select_related("actor"),
        "payment_form": form}, status=400)


@never_cache
@staff_permission_required("procedures.view_application")
def review_attachment(request, application_id, attachment_id):
    """A file attached to an application under review; opening it is audited."""
    application = access_application(request.user, application_id, purpose="attachment")
    attachment = services.attachment_read(application=application,
                                          attachment_id=attachment_id, actor=request.user)
    return _attachment_response(attachment)


@never_cache
@staff_permission_required("procedures.view_application")
def review_receipt(request, application_id):

    application = access_application(request.user, application_id, purpose="print receipt")
    return _pdf_response(receipt_pdf(application), f"receipt-{application.reference}.pdf")
