"""Staff read of one child's immunisation record (取組23), at /childcare/staff/children/<id>/:
the member of staff says why they open it, `permissions.access_child` checks the scope
(branch office, or every branch for the health centre's `immunisation_officer`) and writes the
audit event, and the page shows the same plan and history the guardian sees. Staff who may
add doses record one from the 予防接種台帳 (source "staff") on the same page."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError
from cityhall.core.forms import ResidentReadPurposeForm
from cityhall.core.permissions import can, staff_permission_required

from ..forms import DoseForm
from ..permissions import VIEW_CHILD, access_child
from ..services import immunisation as services
from .children import _plan_context

ADD_DOSE = services.ADD_DOSE


def _record(request, child, *, form=None, status=200):
    context = _plan_context(child)
    can_add = can(request.user, ADD_DOSE)
    context.update({"dose_form": form or (DoseForm(prefix="dose") if can_add else None),
                    "can_add": can_add})
    return render(request, "childcare/staff/child.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW_CHILD)
def staff_child(request, child_id):
    form = ResidentReadPurposeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        child = access_child(request.user, child_id, purpose=form.cleaned_data["purpose"])
        return _record(request, child)
    status = 400 if request.method == "POST" else 200
    return render(request, "childcare/staff/child_purpose.html",
                  {"form": form, "child_id": child_id}, status=status)


@never_cache
@require_POST
@staff_permission_required(ADD_DOSE)
def staff_dose_new(request, child_id):
    child = access_child(request.user, child_id,
                         purpose=_("Immunisation register: record a dose"))
    form = DoseForm(request.POST, prefix="dose")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.dose_add(child=child, actor=request.user, vaccine=data["vaccine"],
                              product=data["product"], given_on=data["given_on"],
                              clinic=data["clinic"], lot_number=data["lot_number"])
        except CityhallError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The dose was recorded (source: immunisation "
                                        "register)."))
            return _record(request, child)
    return _record(request, child, form=form, status=400)
