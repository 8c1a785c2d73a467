"""Staff side of the residents' online nursery applications (取組7): the round's list of
online applications with their status, and on a child's page the documents the family
attached (each download audited), the document check (書類確認済)
or the return to the resident with a reason. Reading goes through `access_application`
(audited); the changes through `services.online` (audited)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError, NotFoundError
from cityhall.core.permissions import can, staff_permission_required

from ..models import AdmissionRound, OnlineStatus
from ..online_forms import ReturnForm
from ..permissions import access_application, applications_visible_to
from ..services import online, online_documents

SENT_STATUSES = [OnlineStatus.SUBMITTED, OnlineStatus.VERIFIED, OnlineStatus.RETURNED]


class OnlineFilterForm(forms.Form):
    online = forms.ChoiceField(label=gettext_lazy("Online applications"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["online"].choices = [("", _("All sent"))] + [
            (status.value, status.label) for status in SENT_STATUSES]


def online_round_context(request, round_: AdmissionRound) -> dict:
    """The round page's section on online applications: counts and the sent ones (drafts
    are the residents' own until sent), filtered by status, scoped like every list."""
    counts = online.online_counts(round_)
    form = OnlineFilterForm(request.GET or None, prefix="o")
    rows = (applications_visible_to(request.user, round_)
            .filter(household__online_status__in=SENT_STATUSES)
            .select_related("household").order_by("household__submitted_at", "number"))
    if form.is_bound and form.is_valid() and form.cleaned_data["online"]:
        rows = rows.filter(household__online_status=form.cleaned_data["online"])
    window = bool(round_.applications_open_from and round_.applications_close_at)
    return {"counts": counts, "form": form, "window": window,
            "takes_now": round_.takes_online_applications(),
            "any": window or any(counts.values()),
            "page": Paginator(rows, 50).get_page(request.GET.get("o-page"))}


def online_application_context(request, application, return_form=None) -> dict:
    household = application.household
    if not household.online_status:
        return {}
    allowed = (can(request.user, online.VERIFY_PERMISSION)
               and household.round.state in online.OPEN_STATES)
    return {"household": household, "status_label": household.get_online_status_display(),
            "claims": household.online_claims,
            "documents": list(household.documents.all()),
            "can_verify": allowed and household.online_status in (OnlineStatus.SUBMITTED,
                                                                  OnlineStatus.RETURNED),
            "can_return": allowed and household.online_status in (OnlineStatus.SUBMITTED,
                                                                  OnlineStatus.VERIFIED),
            "return_form": return_form or ReturnForm()}


@never_cache
@require_POST
@staff_permission_required(online.VERIFY_PERMISSION)
def online_verify(request, application_id):
    application = access_application(
        request.user, application_id,
        purpose=_("Nursery admission: check the documents of an online application"))
    try:
        online.online_application_verify(household=application.household, actor=request.user)
    except CityhallError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The application is marked as checked (書類確認済)."))
    return redirect("childcare:application", application_id=application.pk)


@never_cache
@require_POST
@staff_permission_required(online.VERIFY_PERMISSION)
def online_return(request, application_id):
    from .applications import _context

    application = access_application(
        request.user, application_id,
        purpose=_("Nursery admission: return an online application to the resident"))
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            online.online_application_return(household=application.household,
                                             reason=form.cleaned_data["reason"],
                                             actor=request.user)
        except CityhallError as error:
            form.add_error("reason" if error.field == "reason" else None, str(error.message))
        else:
            messages.success(request, _("The application was returned to the resident."))
            return redirect("childcare:application", application_id=application.pk)
    application.household.refresh_from_db()
    context = _context(request, application)
    context["online"] = online_application_context(request, application, return_form=form)
    return render(request, "childcare/staff/application.html", context, status=400)


@never_cache
@staff_permission_required(online.VERIFY_PERMISSION)
def online_document(request, application_id, document_id):
    """A document of the household's online application, for the staff who check it."""
    from .apply import document_response

    application = access_application(
        request.user, application_id,
        purpose=_("Nursery admission: check the documents of an online application"))
    if not application.household.online_status:
        raise NotFoundError()
    document = online_documents.staff_document_read(application=application,
                                                    document_id=document_id,
                                                    actor=request.user)
    return document_response(document)
