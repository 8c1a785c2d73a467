"""Pages of the procedures engine: the catalogue, a procedure, the life-event navigator and
the resident's saved checklists. Views parse, check access, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department
from cityhall.core.permissions import access_resident_list, can, staff_permission_required

from . import integration, selectors, services
from .attachments import content_disposition
from .counter import assemble_forms, facts_needed
from .documents import receipt_pdf
from .fees import live_payment_of
from .forms import (
    CounterChooseForm,
    CounterFactsForm,
    CounterPaymentForm,
    CounterStartForm,
    NavigatorForm,
    ProcedureSearchForm,
    ReviewActionForm,
    ReviewFilterForm,
    navigator_query,
)
from .forms_schema import SchemaForm, answer_rows, field_order, label_of, prefill_values
from .models import Application, PaymentStatus, Procedure, SavedChecklist
from .permissions import (
    access_application,
    access_counter_visit,
    applications_reviewable_by,
    counter_visits_visible_to,
    staff_department_id,
)


def procedure_list(request):
    form = ProcedureSearchForm(request.GET or None)
    query, life_event = "", None
    if form.is_valid():
        query = form.cleaned_data["q"]
        code = form.cleaned_data["life_event"]
        if code:
            life_event = selectors.published_life_events().filter(code=code).first()
    department = request.GET.get("department") or None
    procedures = selectors.search_procedures(query=query, life_event=life_event,
                                             department_code=department)
    page = Paginator(procedures, 20).get_page(request.GET.get("page"))
    return render(request, "procedures/procedure_list.html", {
        "form": form, "page": page, "query": query, "life_event": life_event,
        "life_events": selectors.published_life_events(),
        "departments": Department.objects.filter(procedures__is_published=True).distinct()
        .order_by("code"),
        "department": department,
    }, status=200 if form.is_valid() or not form.is_bound else 400)


def procedure_detail(request, code):
    procedure = selectors.published_procedures().filter(code=code).first()
    if procedure is None:
        raise Http404
    life_events = selectors.published_life_events().filter(rules__procedure=procedure)
    return render(request, "procedures/procedure_detail.html", {
        "procedure": procedure, "life_events": life_events,
        "online_form": procedure.forms.filter(is_active=True).first()})


def navigator_index(request):
    return render(request, "procedures/navigator_index.html",
                  {"life_events": selectors.published_life_events()})


def _navigator_result(request, life_event, data):
    form = NavigatorForm(data, life_event=life_event)
    if not form.is_valid():
        return form, None, None, None
    answers, event_date = form.answers(), form.cleaned_data["event_date"]
    items = selectors.checklist(life_event=life_event, answers=answers, event_date=event_date)
    return form, items, answers, event_date


def navigator(request, event_code):
    life_event = get_object_or_404(selectors.published_life_events(), code=event_code)
    items = answers = event_date = None
    status = 200
    if request.GET.get("show"):
        form, items, answers, event_date = _navigator_result(request, life_event, request.GET)
        status = 200 if form.is_valid() else 400
    else:
        form = NavigatorForm(life_event=life_event)
    return render(request, "procedures/navigator.html", {
        "life_event": life_event, "form": form, "items": items, "answers": answers,
        "event_date": event_date,
        "uncertain_count": sum(1 for item in items or [] if not item.certain),
        "save_params": (list(navigator_query(life_event, answers, event_date).items())
                        if items is not None else []),
    }, status=status)


@login_required
@require_POST
def checklist_save(request, event_code):
    life_event = get_object_or_404(selectors.published_life_events(), code=event_code)
    _form, items, answers, event_date = _navigator_result(request, life_event, request.POST)
    if items is None:
        messages.error(request, _("The checklist could not be saved: please check the answers."))
        return redirect("procedures:navigator", event_code=event_code)
    saved = services.checklist_save(user=request.user, life_event=life_event, answers=answers,
                                    event_date=event_date, actor=request.user)
    messages.success(request, _("The checklist was saved to your account."))
    return redirect("procedures:my_checklist", saved_id=saved.pk)


@login_required
@never_cache
def my_checklists(request):
    saved = SavedChecklist.objects.filter(user=request.user).select_related("life_event")
    return render(request, "procedures/my_checklists.html", {"saved_checklists": saved})


def _own_checklist(request, saved_id) -> SavedChecklist:
    # Another resident's checklist is "not found", never "forbidden": ids reveal nothing.
    return get_object_or_404(SavedChecklist.objects.select_related("life_event"),
                             pk=saved_id, user=request.user)


@login_required
@never_cache
def my_checklist(request, saved_id):
    saved = _own_checklist(request, saved_id)
    items = selectors.checklist(life_event=saved.life_event, answers=saved.answers,
                                event_date=saved.event_date)
    link = urlencode(navigator_query(saved.life_event, saved.answers, saved.event_date))
    return render(request, "procedures/my_checklist.html",
                  {"saved": saved, "items": items, "life_event": saved.life_event,
                   "event_date": saved.event_date, "navigator_link": link,
                   "uncertain_count": sum(1 for item in items if not item.certain)})


@login_required
@require_http_methods(["POST"])
def my_checklist_delete(request, saved_id):
    saved = _own_checklist(request, saved_id)
    services.checklist_delete(saved=saved, actor=request.user)
    messages.success(request, _("The checklist was deleted."))
    return redirect("procedures:my_checklists")


# --- e-applications --------------------------------------------------------------------------

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


    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except OSError:
        raise Http404 from None
    # The type found in the content when it was uploaded; always a download, never shown
    # in the portal's own origin.
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition(attachment.original_name,
                                                          attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff review queue ----------------------------------------------------------------------

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


# --- write-less counter (書かない窓口) ----------------------------------------------------------

@never_cache
@staff_permission_required("procedures.add_countersession")
def counter_home(request):
    """Start a visit: choose the life event, then the resident (or a visitor)."""

    form = CounterStartForm(request.GET or None)
    residents = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        residents = access_resident_list(request.user, query=form.cleaned_data["q"],
                                         page_number=request.GET.get("page"))
    visits = counter_visits_visible_to(request.user).exclude(state="closed").filter(
        created_at__date=timezone.localdate()).select_related("life_event", "staff")[:50]
    return render(request, "procedures/counter_home.html", {
        "form": form, "residents": residents, "visits": visits},
        status=400 if form.is_bound and not form.is_valid() else 200)


@require_POST
@staff_permission_required("procedures.add_countersession")
def counter_start(request):

    form = CounterStartForm({"life_event": request.POST.get("life_event")})
    if not form.is_valid():
        messages.error(request, _("Choose the life event."))
        return redirect("procedures:counter_home")
    visit = services.counter_visit_start(life_event=form.cleaned_data["life_event"],
                                         resident_id=request.POST.get("resident_id") or None,
                                         actor=request.user)
    return redirect("procedures:counter_visit", visit_id=visit.pk)


def _counter_context(request, visit, *, navigator_form=None, choose_form=None,
                     facts_form=None):

    items = selectors.checklist(life_event=visit.life_event, answers=visit.answers,
                                event_date=visit.event_date)
    english = (get_language() or "ja").split("-")[0] != "ja"
    choices = [(item.procedure.code, item.procedure.name_en if english else
                item.procedure.name_ja) for item in items]
    chosen = services._visit_procedures(visit)
    if navigator_form is None:
        initial = {f"q_{key}": ("yes" if value is True else "no" if value is False else value)
                   for key, value in visit.answers.items()}
        navigator_form = NavigatorForm(initial={**initial, "event_date": visit.event_date},
                                       life_event=visit.life_event)
    if choose_form is None:
        choose_form = CounterChooseForm(initial={"procedures": visit.procedure_codes},
                                        choices=choices)
    if facts_form is None:
        facts_form = CounterFactsForm(initial=visit.facts, keys=facts_needed(chosen))
    return {"visit": visit, "items": items, "chosen": chosen,
            "navigator_form": navigator_form, "choose_form": choose_form,
            "facts_form": facts_form,
            "may_change": can(request.user, "procedures.change_countersession")
            and visit.state != "closed"}


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("procedures.view_countersession")
def counter_visit(request, visit_id):

    visit = access_counter_visit(request.user, visit_id)
    forms_in_error = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answers":
                form = NavigatorForm(request.POST, life_event=visit.life_event)
                if form.is_valid():
                    services.counter_visit_answer(visit=visit, answers=form.answers(),
                                                  event_date=form.cleaned_data["event_date"],
                                                  actor=request.user)
                else:
                    forms_in_error["navigator_form"] = form
            elif action == "choose":
                items = selectors.checklist(life_event=visit.life_event,
                                            answers=visit.answers,
                                            event_date=visit.event_date)
                form = CounterChooseForm(request.POST, choices=[
                    (item.procedure.code, item.procedure.code) for item in items])
                if form.is_valid():
                    services.counter_visit_choose(
                        visit=visit, procedure_codes=form.cleaned_data["procedures"],
                        actor=request.user)
                else:
                    forms_in_error["choose_form"] = form
            elif action == "facts":
                form = CounterFactsForm(request.POST, keys=facts_needed(
                    services._visit_procedures(visit)))
                if form.is_valid():
                    services.counter_visit_set_facts(visit=visit, facts=form.facts(),
                                                     actor=request.user)
                else:
                    forms_in_error["facts_form"] = form
            elif action == "close":
                services.counter_visit_close(visit=visit, actor=request.user)
                messages.success(request, _("The visit was closed."))
                return redirect("procedures:counter_home")
            else:
                raise ValidationFailed(_("Choose what to do."))
        except CityhallError as error:
            messages.error(request, error.message)
            return redirect("procedures:counter_visit", visit_id=visit.pk)
        if not forms_in_error:
            messages.success(request, _("Saved. Every form shows the new values."))
            return redirect("procedures:counter_visit", visit_id=visit.pk)
    context = _counter_context(request, visit, **forms_in_error)
    return render(request, "procedures/counter_visit.html", context,
                  status=400 if forms_in_error else 200)


@never_cache
@staff_permission_required("procedures.view_countersession")
def counter_forms(request, visit_id):
    """The filled forms on screen, to check with the resident before printing."""

    visit = access_counter_visit(request.user, visit_id)
    forms = assemble_forms(procedures=services._visit_procedures(visit), facts=visit.facts)
    return render(request, "procedures/counter_forms.html", {"visit": visit, "forms": forms})


@never_cache
@require_POST
@staff_permission_required("procedures.view_countersession")
def counter_forms_pdf(request, visit_id):

    visit = access_counter_visit(request.user, visit_id)
    try:
        pdf = services.counter_visit_print(visit=visit, actor=request.user)
    except ValidationFailed as error:
        messages.error(request, error.message)
        return redirect("procedures:counter_visit", visit_id=visit.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="forms-{visit.life_event.code}-{stamp}.pdf"')
    return response


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


@never_cache
@staff_permission_required("procedures.view_application")
def review_receipt(request, application_id):

    application = access_application(request.user, application_id, purpose="print receipt")
    return _pdf_response(receipt_pdf(application), f"receipt-{application.reference}.pdf")
