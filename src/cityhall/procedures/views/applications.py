"""The resident's online applications (取組1 行政手続のオンライン化: 電子申請): start one, fill
it in and attach files, confirm and submit, follow it, pay its fee online, and its receipt
(受付票). A resident only ever sees their own: another's application is "not found"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError

from .. import selectors, services
from ..attachments import download_response
from ..documents import receipt_pdf
from ..fees import live_payment_of
from ..forms_schema import SchemaForm, answer_rows, field_order, label_of, prefill_values
from ..models import Application

__all__ = [
    "application_attachment", "application_confirm", "application_detail", "application_edit",
    "application_pay", "application_receipt", "application_start", "my_applications",
]


def _own_application(request, application_id):
    # Another resident's application is "not found", never "forbidden".
    return get_object_or_404(
        Application.objects.select_related("procedure", "form"),
        pk=application_id, applicant=request.user)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def application_start(request, code):
    procedure = get_object_or_404(selectors.published_procedures(), code=code)
    form_definition = procedure.forms.filter(is_active=True).first()
    if form_definition is None:
        raise Http404
    if request.method == "POST":
        try:
            application = services.application_start(procedure=procedure,
                                                     applicant=request.user, actor=request.user)
        except CityhallError as error:
            messages.error(request, error.message)
            return redirect("procedures:procedure_detail", code=code)
        return redirect("procedures:application_edit", application_id=application.pk)
    return render(request, "procedures/application_start.html", {
        "procedure": procedure, "known": _known_facts(form_definition, request.user),
        "has_profile": hasattr(request.user, "resident_profile")})


def _known_facts(form_definition, user):
    values = prefill_values(form_definition, user)
    return [(label_of(form_definition, name), values.get(name))
            for name in (form_definition.ui.get("prefill") or {})]


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def application_edit(request, application_id):
    application = _own_application(request, application_id)
    if application.status not in services.EDITABLE_STATUSES:
        return redirect("procedures:application_detail", application_id=application.pk)
    form_definition = application.form
    if request.method == "POST":
        form = SchemaForm(request.POST, request.FILES, form_definition=form_definition,
                          attachments=_attachments_by_field(application))
        form.is_valid()
        # Files are not in the answers: keep the ids of the files already attached.
        kept = {name: application.data[name] for name in form.file_fields
                if name in application.data}
        services.application_save_draft(application=application,
                                        data={**form.json_data(), **kept}, actor=request.user)
        files_accepted = _save_attachments(request, application, form)
        if request.POST.get("action") == "continue" and form.is_valid() and files_accepted:
            return redirect("procedures:application_confirm", application_id=application.pk)
        if request.POST.get("action") != "continue" and files_accepted:
            messages.success(request, _("Your draft was saved. You can come back to it "
                                        "later from “My applications”."))
            return redirect("procedures:application_edit", application_id=application.pk)
        if request.POST.get("action") != "continue":
            # A draft kept with a refused file: questions not yet answered are no error.
            for name, errors in list(form.errors.as_data().items()):
                if all(error.code == "required" for error in errors):
                    del form.errors[name]
        status = 400
    else:
        form = SchemaForm(initial=application.data, form_definition=form_definition,
                          attachments=_attachments_by_field(application))
        status = 200
    returned_comment = application.events.filter(status_to="returned",
                                                 is_internal=False).last()
    return render(request, "procedures/application_form.html", {
        "application": application, "form": form,
        "known": _known_facts(form_definition, request.user),
        "attachments": _attachment_list(application),
        "returned_comment": returned_comment}, status=status)


def _save_attachments(request, application, form) -> bool:
    """Hand each uploaded file, and each ticked "remove" box, to the services; False if a
    file was refused (its error is then shown on its field)."""
    accepted = True
    removals = set(request.POST.getlist("remove-file"))
    required = set(application.form.schema.get("required", []))
    for name in form.file_fields:
        if name in form.errors:
            # A missing required file does not stop a draft from being saved.
            accepted = accepted and all(error.code == "required"
                                        for error in form.errors.as_data()[name])
            continue
        upload = form.cleaned_data.get(name)
        try:
            if upload:
                services.attachment_add(application=application, field=name,
                                        uploaded_file=upload, actor=request.user)
            elif name in removals:
                services.attachment_remove(application=application, field=name,
                                           actor=request.user)
        except CityhallError as error:
            form.add_error(name, error.message)
            accepted = False
        else:
            if name in required and name not in application.data:
                from django.core.exceptions import ValidationError

                form.add_error(name, ValidationError(_("Please choose a file."),
                                                     code="required"))
    return accepted


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def application_confirm(request, application_id):
    application = _own_application(request, application_id)
    if application.status not in services.EDITABLE_STATUSES:
        return redirect("procedures:application_detail", application_id=application.pk)
    if request.method == "POST":
        try:
            services.application_submit(application=application, actor=request.user)
        except CityhallError as error:
            messages.error(request, error.message)
            return redirect("procedures:application_edit", application_id=application.pk)
        messages.success(request, _("Your application was submitted."))
        return redirect("procedures:application_detail", application_id=application.pk)
    known = prefill_values(application.form, request.user)
    rows = answer_rows(application.form, {**application.data, **known},
                       _attachments_by_field(application))
    return render(request, "procedures/application_confirm.html",
                  {"application": application, "rows": rows,
                   "attachments": _attachment_list(application)})


@login_required
@never_cache
def application_detail(request, application_id):
    application = _own_application(request, application_id)
    rows = answer_rows(application.form, {**application.data, **application.prefilled},
                       _attachments_by_field(application))
    history = application.events.filter(is_internal=False)

    return render(request, "procedures/application_detail.html",
                  {"application": application, "rows": rows, "history": history,
                   "attachments": _attachment_list(application),
                   "payment": live_payment_of(application)})


@login_required
@require_POST
def application_pay(request, application_id):
    """Go and pay the application's fee online (a new attempt if the last one failed)."""
    application = _own_application(request, application_id)
    try:
        payment = services.application_fee_pay_online(application=application,
                                                      actor=request.user)
    except CityhallError as error:
        messages.error(request, error.message)
        return redirect("procedures:application_detail", application_id=application.pk)
    return redirect("payments:payment_detail", payment_id=payment.pk)


@login_required
@never_cache
def my_applications(request):
    applications = Application.objects.filter(applicant=request.user).select_related(
        "procedure")
    return render(request, "procedures/my_applications.html",
                  {"applications": applications})


@login_required
@never_cache
def application_attachment(request, application_id, attachment_id):
    """A file the resident attached to their own application."""
    application = _own_application(request, application_id)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    return _attachment_response(attachment)


def _attachments_by_field(application) -> dict:
    return {attachment.field: attachment for attachment in application.attachments.all()}


def _attachment_list(application) -> list:
    """(question, Attachment) in the order of the form's questions."""

    attachments = _attachments_by_field(application)
    return [(label_of(application.form, name), attachments[name])
            for name in field_order(application.form) if name in attachments]


def _attachment_response(attachment):
    return download_response(attachment.file, name=attachment.original_name,
                             content_type=attachment.content_type)


# --- receipts (受付票) -----------------------------------------------------------------------

def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def application_receipt(request, application_id):

    application = _own_application(request, application_id)
    if not application.reference:
        raise Http404
    return _pdf_response(receipt_pdf(application), f"receipt-{application.reference}.pdf")
