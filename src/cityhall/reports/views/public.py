"""Residents' pages of street-problem reports (取組13): report a problem, see what others
reported (list, map, one report), follow a report and stop following it, "my reports".

Every page works without JavaScript; the script only adds the map (with a pin to place and
the browser's position) on top. The report form has two steps, both plain HTML forms: the
kind of problem (GET), then the report (POST). Before a report is filed, open reports of the
same kind nearby are shown, and the resident may add to one of them instead; the fields are
sent again as hidden inputs and the photos are kept server-side (services.public).

No page here shows a reporter's name, email, phone or account, a description or photo staff
have not published, an internal note or who on the staff did what.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cityhall.core.errors import CityhallError, ValidationFailed
from cityhall.core.middleware import client_ip

from .. import selectors
from ..forms import AddInformationForm, CategoryForm, ReportFilterForm, ReportForm
from ..models import Report, ServiceCategory
from ..services import following
from ..services import public as public_services
from ..services.reports import report_create as report_file

GSI_TILES = "https://cyberjapandata.gsi.go.jp"
TILES_URL = GSI_TILES + "/xyz/std/{z}/{x}/{y}.png"
MAP_CSP = {"img-src": ["'self'", "data:", GSI_TILES]}
PAGE_SIZE = 20
# Fields of the report form that are never sent again as hidden inputs on the confirmation
# page (the buttons, the token that is replaced, the CSRF token that the template adds).
NOT_CARRIED = {"csrfmiddlewaretoken", "action", "add_to", "kept_photos"}


def _language() -> str:
    return (get_language() or "ja").split("-")[0]


def _map_context() -> dict:
    return {"tiles_url": TILES_URL}


# --- reporting ------------------------------------------------------------------------------

def _active_categories():
    return ServiceCategory.objects.filter(is_active=True).order_by("sort_order", "code")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@csp_override(MAP_CSP)
def report_create(request):
    """Step 1 (no category yet): choose the kind of problem. Step 2: the report."""
    categories = _active_categories()
    code = request.POST.get("category") or request.GET.get("category") or ""
    category = categories.filter(code=code).first() if code else None
    if category is None:
        form = CategoryForm(request.GET if code else None, categories=categories)
        if code:
            form.is_valid()
        return render(request, "reports/public/choose_category.html", {"form": form},
                      status=400 if code else 200)
    signed_in = request.user.is_authenticated
    if request.method != "POST":
        form = ReportForm(category=category, signed_in=signed_in)
        return _render_form(request, form, category)
    return _report_post(request, category, signed_in)


def _render_form(request, form, category, *, status=200, kept_count=0):
    return render(request, "reports/public/form.html", {
        "form": form, "category": category, "kept_count": kept_count,
        "category_name": category.name_in(_language()),
        "category_description": category.description_in(_language()),
        **_map_context()}, status=status)


def _report_post(request, category, signed_in):
    form = ReportForm(request.POST, request.FILES, category=category, signed_in=signed_in)
    client = client_ip(request)
    try:
        public_services.submissions_check(client=client)
    except CityhallError as error:
        form.is_valid()
        form.add_error(None, str(error.message))
        return _render_form(request, form, category, status=error.status)
    if not form.is_valid():
        return _render_form(request, form, category, status=400)
    data = form.cleaned_data
    token = data.get("kept_photos") or ""
    try:
        kept = public_services.pending_photos_load(token)
        draft = public_services.report_draft_check(
            category=category, description=data["description"], latitude=data["latitude"],
            longitude=data["longitude"], address=data["address"], attributes=form.answers(),
            photos=data["photos"], kept_photos=kept,
            contact_name=data.get("contact_name", ""),
            contact_email=data.get("contact_email", ""),
            contact_phone=data.get("contact_phone", ""))
    except ValidationFailed as error:
        if error.code == "photos_expired":
            token = ""
        form.add_service_error(error)
        return _render_form(request, _with_token(form, token), category, status=400,
                            kept_count=len(_safe_entries(token)))
    if data["photos"] or not token:
        # New photos were attached (or none was kept): keep the whole set again.
        public_services.pending_photos_discard(token)
        token = ""
    action = request.POST.get("action", "check")
    add_to = request.POST.get("add_to", "")
    if action == "edit":
        token = token or public_services.pending_photos_keep(draft.photos)
        return _render_form(request, _with_token(ReportForm(
            _carried(request), category=category, signed_in=signed_in), token), category,
            kept_count=len(draft.photos))
    if add_to:
        return _add_to(request, form, category, draft, token, add_to)
    if action != "new":
        duplicates = _possible_duplicates(draft)
        if duplicates:
            token = token or public_services.pending_photos_keep(draft.photos)
            return render(request, "reports/public/confirm.html", {
                "category": category, "category_name": category.name_in(_language()),
                "duplicates": duplicates, "carried": _carried_pairs(request),
                "kept_photos": token, "photo_count": len(draft.photos),
                "by_distance": draft.place.latitude is not None})
    return _file(request, form, category, draft, token)


def _safe_entries(token):
    try:
        return public_services._pending_entries(token)
    except CityhallError:
        return []


def _with_token(form, token):
    form.data = form.data.copy()
    form.data["kept_photos"] = token
    return form


def _carried(request):
    data = request.POST.copy()
    for name in NOT_CARRIED:
        data.pop(name, None)
    return data


def _carried_pairs(request) -> list[tuple[str, str]]:
    return [(name, value) for name, values in _carried(request).lists() for value in values]


def _possible_duplicates(draft):
    if draft.place.latitude is not None:
        return selectors.nearby_open_reports(category=draft.category,
                                             latitude=draft.place.latitude,
                                             longitude=draft.place.longitude)
    return selectors.same_town_open_reports(category=draft.category, town=draft.place.town)


def _file(request, form, category, draft, token):
    client = client_ip(request)
    user = request.user if request.user.is_authenticated else None
    try:
        public_services.submission_reserve(client=client)
        try:
            report = report_file(
                category=category, description=draft.description,
                latitude=draft.place.latitude, longitude=draft.place.longitude,
                address=draft.place.address, attributes=draft.answers,
                photos=public_services.as_uploads(draft.photos), reporter=user,
                contact_name=draft.contact_name, contact_email=draft.contact_email,
                contact_phone=draft.contact_phone, language=_language(),
                source=Report.Source.WEB, follow=form.cleaned_data["follow"], actor=user)
        except CityhallError:
            public_services.submission_release(client=client)
            raise
    except CityhallError as error:
        form.add_service_error(error)
        return _render_form(request, _with_token(form, token), category,
                            status=error.status, kept_count=len(_safe_entries(token)))
    public_services.pending_photos_discard(token)
    request.session["reports_sent"] = report.reference
    return redirect("reports:report_sent", reference=report.reference)


def _add_to(request, form, category, draft, token, reference):
    client = client_ip(request)
    user = request.user if request.user.is_authenticated else None
    report = selectors.public_report(reference)
    try:
        if report is None or report.category_id != category.pk:
            raise ValidationFailed(_("This report could not be found. Send yours as a new "
                                     "report."), code="not_found")
        public_services.submission_reserve(client=client)
        try:
            public_services.report_add_information(
                report=report, actor=user, note=draft.description, photos=draft.photos,
                reporter=user,
                contact_email=draft.contact_email if form.cleaned_data["follow"] else "",
                language=_language())
        except CityhallError:
            public_services.submission_release(client=client)
            raise
    except CityhallError as error:
        form.add_service_error(error)
        return _render_form(request, _with_token(form, token), category,
                            status=error.status, kept_count=len(_safe_entries(token)))
    public_services.pending_photos_discard(token)
    messages.success(request, _("Thank you. What you sent was added to report %(reference)s; "
                                "staff will read it.") % {"reference": report.reference})
    return redirect("reports:report_detail", reference=report.reference)


@require_safe
def report_sent(request, reference):
    report = selectors.public_report(reference)
    if report is None:
        raise Http404
    # Only the browser that filed it sees the thank-you page; anyone else sees the report.
    if request.session.get("reports_sent") != reference:
        return redirect("reports:report_detail", reference=reference)
    return render(request, "reports/public/sent.html", {
        "report": report, "category_name": report.category.name_in(_language()),
        "follows": report.followers.exists(),
        "level": selectors.service_level(report)})


# --- the public list, map and report page ---------------------------------------------------

@require_safe
@csp_override(MAP_CSP)
def report_list(request):
    form = ReportFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    queryset = selectors.public_reports(**form.filters())
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/public/list.html", {
        "form": form, "page": page, "language": _language(),
        "geojson_url": reverse("reports:report_map") + (
            "?" + query.urlencode() if query else ""),
        **_map_context()}, status=200 if valid else 400)


@require_safe
def report_map(request):
    """The reports of the list as GeoJSON (public fields only), for the map script and for
    anyone who wants them."""
    form = ReportFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return JsonResponse({"code": "invalid", "message": _("Some of the filters are not "
                                                              "valid.")}, status=400)
    language = _language()
    data = selectors.public_map_features(
        selectors.public_reports(**form.filters()), language=language,
        url_for=lambda report: reverse("reports:report_detail", args=[report.reference]))
    response = JsonResponse(data, content_type="application/geo+json",
                            json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=60)
    patch_vary_headers(response, ("Accept-Language",))
    return response


def _report_or_404(reference):
    report = selectors.public_report(reference)
    if report is None:
        raise Http404
    return report


@require_safe
@csp_override(MAP_CSP)
def report_detail(request, reference):
    report = _report_or_404(reference)
    language = _language()
    answers = []
    if report.is_public:
        for attribute in report.category.attributes.all():
            value = report.attributes.get(attribute.code)
            if value in (None, "", []):
                continue
            names = {v.get("key"): (v.get("name_en") if language != "ja" and v.get("name_en")
                                    else v.get("name")) for v in attribute.values}
            values = value if isinstance(value, list) else [value]
            answers.append({
                "question": attribute.description_en if language != "ja"
                and attribute.description_en else attribute.description,
                "answer": ", ".join(str(names.get(v, v)) for v in values)})
    return render(request, "reports/public/detail.html", {
        "report": report, "category_name": report.category.name_in(language),
        "photos": selectors.public_photos(report), "history": selectors.public_history(report),
        "answers": answers, "level": selectors.service_level(report),
        "follower": selectors.follower_of(report, request.user),
        "add_form": AddInformationForm() if report.is_open else None,
        **_map_context()})


@require_safe
def report_photo(request, reference, photo_id):
    """A photo staff have published; any other photo is a 404 to the public (its file is
    never linked by its media path)."""
    report = _report_or_404(reference)
    photo = selectors.public_photo(report, photo_id)
    if photo is None:
        raise Http404
    try:
        handle = photo.image.open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    # Short: a photo staff take down again should not linger in shared caches.
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def report_add(request, reference):
    """Add what you saw (text, photos) to an open report, from its page."""
    report = _report_or_404(reference)
    form = AddInformationForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        client = client_ip(request)
        user = request.user if request.user.is_authenticated else None
        if form.is_valid():
            try:
                public_services.submissions_check(client=client)
                public_services.submission_reserve(client=client)
                try:
                    public_services.report_add_information(
                        report=report, actor=user, note=form.cleaned_data["description"],
                        photos=form.cleaned_data["photos"], reporter=user,
                        contact_email=form.cleaned_data["contact_email"] if not user else "",
                        language=_language())
                except CityhallError:
                    public_services.submission_release(client=client)
                    raise
            except CityhallError as error:
                field = {"photos": "photos", "description": "description",
                         "email": "contact_email"}.get(error.field or "")
                form.add_error(field, str(error.message))
                status = error.status
            else:
                messages.success(request, _("Thank you. What you sent was added to report "
                                            "%(reference)s; staff will read it.")
                                 % {"reference": report.reference})
                return redirect("reports:report_detail", reference=report.reference)
        else:
            status = 400
    return render(request, "reports/public/add.html", {
        "report": report, "form": form, "category_name": report.category.name_in(_language()),
        "signed_in": request.user.is_authenticated}, status=status)


# --- following ------------------------------------------------------------------------------

@require_POST
def report_follow(request, reference):
    report = _report_or_404(reference)
    detail = reverse("reports:report_detail", args=[report.reference])
    if not request.user.is_authenticated:
        return redirect_to_login(detail)
    following.report_follow(report=report, user=request.user, language=_language())
    messages.success(request, _("You follow report %(reference)s: we will tell you when it "
                                "changes.") % {"reference": report.reference})
    return redirect(detail)


@require_POST
def report_unfollow(request, reference):
    report = _report_or_404(reference)
    detail = reverse("reports:report_detail", args=[report.reference])
    if not request.user.is_authenticated:
        return redirect_to_login(detail)
    if following.report_unfollow(report=report, user=request.user):
        messages.success(request, _("You no longer follow report %(reference)s.")
                         % {"reference": report.reference})
    return redirect(detail)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unfollow(request, token):
    """The link in every email to a follower: GET asks, POST stops the emails."""
    follower = selectors.follower_by_token(token)
    if follower is None:
        return render(request, "reports/public/unfollow.html", {"follower": None}, status=404)
    report = follower.report
    if request.method == "POST":
        following.follower_remove(follower=follower)
        return render(request, "reports/public/unfollow.html", {
            "follower": None, "done": True, "report": report})
    return render(request, "reports/public/unfollow.html", {
        "follower": follower, "report": report,
        "category_name": report.category.name_in(_language())})


def my_reports(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    page = Paginator(selectors.my_reports(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    followed = set(request.user.followed_reports.values_list("report_id", flat=True))
    return render(request, "reports/public/mine.html", {
        "page": page, "followed": followed, "language": _language()})
