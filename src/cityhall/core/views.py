"""Pages of core: the resident portal, the resident's own data, facilities, the staff view of
resident records, health and error pages. Views parse, check access, call a service, render."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import health, selectors, services
from .errors import CityhallError, PermissionDeniedError
from .forms import (
    AccountDeleteForm,
    ConsentForm,
    FacilityFilterForm,
    ResidentProfileForm,
    ResidentReadPurposeForm,
)
from .models import Consent, Facility, ResidentProfile
from .permissions import (
    access_resident_list,
    access_resident_profile,
    can,
    is_staff_member,
    staff_permission_required,
)


def home(request):
    return render(request, "core/home.html", {
        "branch_offices": selectors.branch_offices(),
        "shelter_count": selectors.facilities(kind=Facility.Kind.SHELTER).count(),
        "services": portal_services(),
    })


def portal_services():
    """What the portal links to. Apps add their entries in `AppConfig.ready()` through
    `cityhall.core.registry.register_portal_link`."""
    from .registry import portal_links

    return portal_links()


def facility_list(request):
    form = FacilityFilterForm(request.GET or None)
    kind = branch = None
    if form.is_valid():
        kind = form.cleaned_data["kind"] or None
        office = form.cleaned_data["branch_office"]
        branch = office.code if office else None
    queryset = selectors.facilities(kind=kind, branch_office_code=branch)
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "core/facility_list.html", {
        "form": form, "page": page,
        "branch_offices": selectors.branch_offices().filter(is_main_office=False)},
        status=400 if form.is_bound and not form.is_valid() else 200)


def facility_detail(request, code):
    facility = selectors.facilities().filter(code=code).first()
    if facility is None:
        raise Http404
    return render(request, "core/facility_detail.html", {"facility": facility})


@login_required
@never_cache
def my_profile(request):
    profile = ResidentProfile.objects.filter(user=request.user).select_related("town").first()
    if profile is None and not request.user.is_staff:
        return redirect("core:my_profile_edit")
    consents = profile.consents.filter(withdrawn_at__isnull=True) if profile else []
    return render(request, "core/my_profile.html", {"profile": profile, "consents": consents})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_profile_edit(request):
    profile = ResidentProfile.objects.filter(user=request.user).first()
    form = ResidentProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_profile_save(user=request.user, data=form.cleaned_data,
                                           actor=request.user)
        except CityhallError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Your details were saved."))
            return redirect("core:my_profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "core/my_profile_edit.html", {"form": form}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_consents(request):
    profile = ResidentProfile.objects.filter(user=request.user).first()
    if profile is None:
        return redirect("core:my_profile_edit")
    active = list(profile.consents.filter(withdrawn_at__isnull=True)
                  .values_list("purpose", flat=True))
    form = ConsentForm(request.POST if request.method == "POST" else None,
                       initial={"purposes": active})
    if request.method == "POST":
        if form.is_valid():
            chosen = set(form.cleaned_data["purposes"])
            for purpose in Consent.Purpose.values:
                services.consent_set(resident=profile, purpose=purpose,
                                     granted=purpose in chosen, actor=request.user)
            messages.success(request, _("Your choices were saved."))
            return redirect("core:my_profile")
        return render(request, "core/my_consents.html", {"form": form}, status=400)
    return render(request, "core/my_consents.html", {"form": form})


@login_required
@never_cache
def my_data_download(request):
    data = services.resident_data_export(user=request.user, actor=request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cityhall-my-data.json"'
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_account_delete(request):
    form = AccountDeleteForm(request.POST if request.method == "POST" else None,
                             user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.account_delete(user=request.user, actor=request.user)
            except CityhallError as error:
                form.add_error(None, error.message)
            else:
                logout(request)
                messages.success(request, _("Your account and your data were deleted."))
                return redirect("core:home")
        return render(request, "core/my_account_delete.html", {"form": form}, status=400)
    return render(request, "core/my_account_delete.html", {"form": form})


# --- staff ---------------------------------------------------------------------------------

@never_cache
def staff_home(request):
    """The staff landing page: what the installed apps offer this staff member."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_staff_member(request.user):
        raise PermissionDeniedError()
    from .registry import portal_links

    links = [link for link in portal_links("staff")
             if link.permission is None or can(request.user, link.permission)]
    return render(request, "core/staff_home.html", {
        "links": links, "profile": getattr(request.user, "staff_profile", None),
        "can_use_admin": request.user.is_superuser or bool(
            request.user.get_all_permissions())})


@never_cache
@staff_permission_required("core.view_residentprofile")
def staff_resident_list(request):
    query = (request.GET.get("q") or "").strip()[:50]
    page = access_resident_list(request.user, query=query, page_number=request.GET.get("page"))
    return render(request, "core/staff_resident_list.html", {"page": page, "query": query})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("core.view_residentprofile")
def staff_resident_detail(request, resident_id):
    form = ResidentReadPurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resident = access_resident_profile(request.user, resident_id,
                                           purpose=form.cleaned_data["purpose"])
        return render(request, "core/staff_resident_detail.html", {"resident": resident})
    status = 400 if request.method == "POST" else 200
    return render(request, "core/staff_resident_purpose.html",
                  {"form": form, "resident_id": resident_id}, status=status)


# --- health and errors ---------------------------------------------------------------------

@never_cache
def healthz(request):
    report = health.check_all()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def error_page(request, status: int, template: str):
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return error_page(request, 400, "400.html")


def permission_denied(request, exception=None):
    return error_page(request, 403, "403.html")


def page_not_found(request, exception=None):
    return error_page(request, 404, "404.html")


def server_error(request):
    # No database or template context that could fail again: a static, translated page.
    # A broken connection is dropped, but never one inside an atomic block (a test's
    # transaction, or a caller's): closing it there would lose the caller's work.
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
    # Rendered without the request, so no context processor touches the database.
    return HttpResponseServerError(render_to_string("500.html"))
