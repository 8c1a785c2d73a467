"""The guardian's immunisation pages (取組23 母子手帳アプリ) under /childcare/children/: my
children with a one-line status each, adding, correcting and removing a child, the child's
personal plan (every routine vaccine's status, dates and warnings in words, the dose history
with why a dose does not count, and the one-step "missed / postponed" form per vaccine),
recording a dose, and a printable plan.

Only the guardian sees these pages; anyone else gets "not found" (`permissions.own_child`).
Views parse, check access, call one service and render; every page works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError, NotFoundError

from ..forms import ChildForm, DoseForm, RescheduleForm
from ..immunisation.series import SERIES
from ..models import ChildProfile, DoseRecord
from ..permissions import own_child
from ..services import immunisation as services
from . import plan_text


def _plan_context(child: ChildProfile, *, today=None, plan=None, forms=None) -> dict:
    today = today or timezone.localdate()
    plan = plan or services.child_plan(child, today=today)
    appointments = {row.series: row.planned_on for row in child.appointments.all()}
    rows = plan_text.series_rows(plan, appointments)
    forms = forms or {}
    for row in rows:
        if row["can_plan"]:
            row["form"] = forms.get(row["code"]) or RescheduleForm(
                prefix=row["code"],
                initial={"new_date": row["planned_on"] or row["next_date"]})
    return {"child": child, "plan": plan, "today": today, "series": rows,
            "plan_warnings": plan_text.plan_warnings(plan),
            "doses": plan_text.dose_rows(child.doses.all(), plan),
            "summary": plan_text.one_line_status(plan)}


def _child_arguments(form: ChildForm) -> dict:
    data = form.cleaned_data
    return {"name": data["name"], "name_kana": data["name_kana"],
            "date_of_birth": data["date_of_birth"], "sex": data["sex"],
            "reminders": data["reminders"]}


@login_required
@never_cache
def child_list(request):
    today = timezone.localdate()
    children = ChildProfile.objects.filter(guardian__user=request.user).prefetch_related(
        "doses", "appointments")
    rows = [{"child": child,
             "status": plan_text.one_line_status(services.child_plan(child, today=today))}
            for child in children]
    return render(request, "childcare/children/list.html", {
        "rows": rows, "has_profile": hasattr(request.user, "resident_profile")})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def child_new(request):
    form = ChildForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                child = services.child_add(actor=request.user, **_child_arguments(form))
            except CityhallError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("The child was added. Here is the plan."))
                return redirect("childcare:child", child_id=child.pk)
        status = 400
    return render(request, "childcare/children/child_form.html",
                  {"form": form, "child": None,
                   "has_profile": hasattr(request.user, "resident_profile")}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def child_edit(request, child_id):
    child = own_child(request.user, child_id)
    initial = {"name": child.name, "name_kana": child.name_kana,
               "date_of_birth": child.date_of_birth, "sex": child.sex,
               "reminders": child.reminders}
    form = ChildForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.child_update(child=child, actor=request.user, **_child_arguments(form))
            except CityhallError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("The child's details were saved."))
                return redirect("childcare:child", child_id=child.pk)
        status = 400
    return render(request, "childcare/children/child_form.html",
                  {"form": form, "child": child, "has_profile": True}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def child_delete(request, child_id):
    child = own_child(request.user, child_id)
    if request.method == "POST":
        services.child_delete(child=child, actor=request.user)
        messages.success(request, _("The child's records were deleted."))
        return redirect("childcare:children")
    return render(request, "childcare/children/child_delete.html",
                  {"child": child, "dose_count": child.doses.count()})


@login_required
@never_cache
def child_page(request, child_id):
    child = own_child(request.user, child_id)
    return render(request, "childcare/children/plan.html", _plan_context(child))


@login_required
@never_cache
def child_print(request, child_id):
    child = own_child(request.user, child_id)
    return render(request, "childcare/children/plan_print.html", _plan_context(child))


@login_required
@never_cache
@require_POST
def plan_reschedule(request, child_id, series):
    child = own_child(request.user, child_id)
    if series not in SERIES:
        raise NotFoundError()
    form = RescheduleForm(request.POST, prefix=series)
    if form.is_valid():
        missed = form.cleaned_data["what"] == RescheduleForm.MISSED
        new_date = None if missed else form.cleaned_data["new_date"]
        try:
            services.plan_reschedule(child=child, actor=request.user, series=series,
                                     new_date=new_date)
        except CityhallError as error:
            form.add_service_error(error)
        else:
            name = plan_text.series_name(series)
            if missed:
                messages.success(request, _("%(series)s is planned again from today: the "
                                            "dates below have been recalculated.") % {
                    "series": name})
            else:
                messages.success(request, _("%(series)s is planned on %(date)s: the dates "
                                            "below have been recalculated.") % {
                    "series": name, "date": plan_text.day(new_date)})
            return redirect(f"{_child_url(child)}#series-{series}")
    context = _plan_context(child, forms={series: form})
    context["open_series"] = series
    if not any(row["code"] == series and row.get("form") for row in context["series"]):
        # No form for this vaccine on the page (complete, or not in the plan): say it on top.
        context["reschedule_errors"] = [str(error) for errors in form.errors.values()
                                        for error in errors]
    return render(request, "childcare/children/plan.html", context, status=400)


def _child_url(child) -> str:
    from django.urls import reverse

    return reverse("childcare:child", kwargs={"child_id": child.pk})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def dose_new(request, child_id):
    child = own_child(request.user, child_id)
    form = DoseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.dose_add(child=child, actor=request.user, vaccine=data["vaccine"],
                                  product=data["product"], given_on=data["given_on"],
                                  clinic=data["clinic"], lot_number=data["lot_number"])
            except CityhallError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("The dose was recorded and the plan "
                                            "recalculated."))
                if "another" in request.POST:
                    return redirect("childcare:dose_new", child_id=child.pk)
                return redirect("childcare:child", child_id=child.pk)
        status = 400
    return render(request, "childcare/children/dose_form.html",
                  {"form": form, "child": child}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def dose_remove(request, child_id, dose_id):
    child = own_child(request.user, child_id)
    dose = DoseRecord.objects.filter(child=child, pk=dose_id).first()
    if dose is None:
        raise NotFoundError()
    error = None
    if request.method == "POST":
        try:
            services.dose_remove(dose=dose, actor=request.user)
        except CityhallError as failure:
            error = failure.message
        else:
            messages.success(request, _("The dose was removed and the plan recalculated."))
            return redirect("childcare:child", child_id=child.pk)
    return render(request, "childcare/children/dose_remove.html", {
        "child": child, "dose": dose, "error": error,
        "vaccine": plan_text.vaccine_name(dose.vaccine),
        "product": plan_text.product_name(dose.product) if dose.product else ""},
        status=400 if error else 200)
