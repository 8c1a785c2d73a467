"""Shelter pages (取組12, 港区避難所開設状況システム).

Public: the list of shelters and evacuation sites with their live status (open first,
crowding in words and colour, when it was last updated, filter by hazard, a map, the nearest
open shelters to a typed Minato address without JavaScript or to the browser's position with
it) and one page per shelter. Staff: my assigned shelters and the update form, built for a
phone. Managers: who is assigned where, and the crowding thresholds.

The public pages hold a surge: the expensive part (the list and the map's data) is cached
under the version that the services replace after every change, and each response carries an
ETag and Last-Modified, so a browser that already has the current page gets a 304.
"""

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods, require_safe

from cityhall.core.errors import CityhallError, ValidationFailed
from cityhall.core.models import Facility
from cityhall.core.permissions import staff_permission_required

from .. import services
from ..models.shelters import (
    SHELTER_KINDS,
    Crowding,
    ShelterAssignment,
    ShelterStatus,
    ShelterStatusChange,
)
from ..selectors import shelters as selectors

GSI_TILES = "https://cyberjapandata.gsi.go.jp"
PAGE_CACHE_SECONDS = 300  # entries are keyed by version, so this only bounds memory use


# --- caching --------------------------------------------------------------------------------

def cache_token(request, *parts, by_language: bool = True) -> tuple[str, object]:
    """(ETag, Last-Modified) of a public response that depends on the shelters' version,
    the language (for pages) and `parts` (the normalised query)."""
    version = services.shelters_cache_version()
    language = (get_language() or "") if by_language else ""
    raw = "|".join([version["token"], language, *map(str, parts)])
    return f'"{hashlib.sha256(raw.encode()).hexdigest()[:20]}"', version["modified"]


def not_modified(request, etag, modified):
    """A 304 when the client's copy is current (If-None-Match, else If-Modified-Since)."""
    last_modified = int(modified.timestamp()) if modified else None
    return get_conditional_response(request, etag=etag, last_modified=last_modified)


def with_validators(response, etag, modified, *, max_age: int, vary=("Accept-Language",),
                    shared: bool = False):
    response["ETag"] = etag
    if modified:
        response["Last-Modified"] = http_date(modified.timestamp())
    # The API may be kept briefly by browsers and proxies (`shared`): the public sees a change
    # within max_age. Pages carry the visitor's CSRF token and menu, so only the browser
    # keeps them, and revalidates each time.
    if shared:
        patch_cache_control(response, public=True, max_age=max_age, must_revalidate=True)
    else:
        patch_cache_control(response, private=True, max_age=max_age, must_revalidate=True)
    patch_vary_headers(response, vary)
    return response


def cached_fragment(key_parts, render):
    key = "disaster:shelters:fragment:" + hashlib.sha256(
        "|".join(map(str, key_parts)).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, PAGE_CACHE_SECONDS)
    return html


# --- public ---------------------------------------------------------------------------------

class ShelterFilterForm(forms.Form):
    hazard = forms.ChoiceField(label=gettext_lazy("Hazard"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of place"), required=False, choices=[
        ("", gettext_lazy("Shelters and evacuation sites")),
        (Facility.Kind.SHELTER, gettext_lazy("Designated shelters (stay)")),
        (Facility.Kind.EVACUATION_SITE, gettext_lazy("Emergency evacuation sites (flee)"))])
    open = forms.BooleanField(label=gettext_lazy("Open shelters only"), required=False)
    welfare = forms.BooleanField(label=gettext_lazy("Welfare shelters only"), required=False)
    address = forms.CharField(
        label=gettext_lazy("Your address or town in Minato"), required=False, max_length=200,
        help_text=gettext_lazy("For example 芝公園2丁目 or 東京都港区元麻布3-8-15."))
    near = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hazard"].choices = [("", gettext_lazy("Any hazard")),
                                         *selectors.HAZARDS.items()]
        self.fields["hazard"].error_messages["invalid_choice"] = gettext_lazy(
            "Unknown hazard.")

    def clean_near(self):
        value = self.cleaned_data.get("near") or ""
        if not value:
            return None
        try:
            return selectors.parse_point(value)
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from None


def map_data(rows) -> list[dict]:
    """What the map script needs, kept short: code, name, lat, lon, state, link."""
    return [{"c": row.facility.code, "n": row.facility.name, "a": row.lat, "o": row.lon,
             "s": row.crowding if row.is_open else "closed",
             "u": reverse("disaster:shelter_detail", args=[row.facility.code])}
            for row in rows if row.lat is not None]


def _crowding_labels():
    return {value: label for value, label in Crowding.choices}


@require_safe
@gzip_page
@csp_override({"img-src": ["'self'", "data:", GSI_TILES]})
def shelter_list(request):
    form = ShelterFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    data = form.cleaned_data if form.is_bound and valid else {}
    point = data.get("near")
    address_point = None
    address_error = ""
    if valid and data.get("address") and not point:
        address_point = selectors.resolve_address(data["address"])
        if address_point is None:
            address_error = _("We could not find “%(address)s” in Minato City. Enter a "
                              "town of Minato (e.g. 芝公園2丁目) or an address in Minato.") % {
                "address": data["address"]}
        else:
            point = (address_point.lat, address_point.lon)
    query = sorted((key, value) for key, value in request.GET.items())
    user_part = request.user.pk if request.user.is_authenticated else ""
    etag, modified = cache_token(request, query, user_part,
                                 request.COOKIES.get("csrftoken", ""))
    status = 200 if valid and not address_error else 400
    if status == 200:
        response = not_modified(request, etag, modified)
        if response is not None:
            return response

    def render_results():
        rows = selectors.shelter_rows(
            open_only=bool(data.get("open")), hazard=data.get("hazard") or "",
            kind=data.get("kind") or "", welfare_only=bool(data.get("welfare")), near=point)
        nearest = [row for row in rows if row.is_open][:5] if point else []
        return render_to_string("disaster/shelters/_results.html", {
            "rows": rows, "nearest": nearest, "map_data": map_data(rows), "point": point,
            "address_point": address_point,
            "open_count": sum(row.is_open for row in rows),
            "crowding_labels": _crowding_labels(), "request": request})

    version = services.shelters_cache_version()["token"]
    results = cached_fragment([version, get_language(), query, bool(address_error)],
                              render_results) if valid and not address_error else ""
    response = render(request, "disaster/shelters/list.html", {
        "form": form, "results": results, "address_error": address_error,
        "updated_at": modified, "thresholds": services.crowding_thresholds(),
        "tiles_url": GSI_TILES + "/xyz/std/{z}/{x}/{y}.png"}, status=status)
    if status == 200:
        with_validators(response, etag, modified, max_age=0, vary=("Accept-Language", "Cookie"))
    return response


@require_safe
@gzip_page
@csp_override({"img-src": ["'self'", "data:", GSI_TILES]})
def shelter_detail(request, code):
    facility = services.shelter_get(code)
    user_part = request.user.pk if request.user.is_authenticated else ""
    etag, modified = cache_token(request, "detail", facility.code, user_part,
                                 request.COOKIES.get("csrftoken", ""))
    response = not_modified(request, etag, modified)
    if response is not None:
        return response
    row = selectors.shelter_row(facility)
    history = ShelterStatusChange.objects.filter(facility=facility).exclude(
        event=ShelterStatusChange.Event.UPDATED)[:5]
    response = render(request, "disaster/shelters/detail.html", {
        "row": row, "facility": row.facility, "history": history, "map_data": map_data([row]),
        "crowding_labels": _crowding_labels(),
        "can_update": services.can_update_shelter(request.user, facility),
        "tiles_url": GSI_TILES + "/xyz/std/{z}/{x}/{y}.png"})
    return with_validators(response, etag, modified, max_age=0,
                           vary=("Accept-Language", "Cookie"))


# --- staff ----------------------------------------------------------------------------------

BOOL_CHOICES = [("", gettext_lazy("Not stated")), ("yes", gettext_lazy("Yes")),
                ("no", gettext_lazy("No"))]


class ShelterUpdateForm(forms.Form):
    is_open = forms.TypedChoiceField(
        label=gettext_lazy("Open or closed"), widget=forms.RadioSelect,
        choices=[("open", pgettext_lazy("shelter", "Open")),
                 ("closed", pgettext_lazy("shelter", "Closed"))],
        coerce=lambda value: value == "open")
    crowding = forms.ChoiceField(
        label=gettext_lazy("Crowding"), required=False, widget=forms.RadioSelect,
        choices=[("", gettext_lazy("Work it out from the head count")), *Crowding.choices],
        help_text=gettext_lazy("Choose a level, or leave this and enter the head count."))
    head_count = forms.IntegerField(
        label=gettext_lazy("People present now"), required=False, min_value=0,
        max_value=services.MAX_HEAD_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity"), required=False, min_value=1,
        max_value=services.MAX_HEAD_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    pets_allowed = forms.ChoiceField(label=gettext_lazy("Pets allowed"), required=False,
                                     choices=BOOL_CHOICES, widget=forms.RadioSelect)
    supplies = forms.CharField(label=gettext_lazy("Supplies"), required=False, max_length=300,
                               help_text=gettext_lazy("e.g. water, blankets, baby formula"))
    notes = forms.CharField(label=gettext_lazy("Notes for the public"), required=False,
                            max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        messages_ = {
            "invalid": gettext_lazy("Enter a whole number."),
            "min_value": gettext_lazy("Enter a number that is not negative."),
            "max_value": gettext_lazy("Enter a number no greater than 100,000."),
        }
        for name in ("head_count", "capacity"):
            self.fields[name].error_messages.update(messages_)
        self.fields["capacity"].error_messages["min_value"] = gettext_lazy(
            "The capacity must be at least 1.")
        self.fields["is_open"].error_messages["required"] = gettext_lazy(
            "Choose open or closed.")

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        pets = {"yes": True, "no": False}.get(data.get("pets_allowed") or "")
        return {"is_open": data["is_open"], "crowding": data.get("crowding") or None,
                "head_count": data.get("head_count"), "capacity": data.get("capacity"),
                "pets_allowed": pets, "supplies": data.get("supplies", ""),
                "notes": data.get("notes", "")}


@never_cache
@staff_permission_required("disaster.view_shelterstatus")
def shelter_staff_home(request):
    return render(request, "disaster/shelters/staff_home.html", {
        "shelters": [(facility, selectors.status_of(facility))
                     for facility in services.shelters_for_staff(request.user)],
        "crowding_labels": _crowding_labels(),
        "can_manage": services.can_manage_shelters(request.user),
        "can_update_any": request.user.has_perm("disaster.update_any_shelter")})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("disaster.view_shelterstatus")
def shelter_staff_update(request, code):
    facility = services.shelter_for_update(request.user, code)
    status = ShelterStatus.objects.filter(facility=facility).first()
    if request.method == "POST":
        form = ShelterUpdateForm(request.POST)
        if form.is_valid():
            try:
                change = services.shelter_status_update(
                    facility=facility, actor=request.user, **form.service_arguments())
            except CityhallError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               str(error.message))
            else:
                messages.success(request, _("Saved. The public page shows it now.")
                                 if change else _("Nothing changed."))
                return redirect("disaster:shelter_staff_home")
        return render(request, "disaster/shelters/staff_update.html", {
            "form": form, "facility": facility, "status": status}, status=400)
    initial = {"is_open": "open" if status and status.is_open else "closed"}
    if status:
        # With a head count on record, the form starts in "work it out from the head count",
        # so that a new count entered on the day changes the level without a second tap.
        derived = status.head_count is not None and bool(status.capacity)
        initial.update({
            "crowding": "" if derived else status.crowding, "head_count": status.head_count,
            "capacity": status.capacity, "supplies": status.supplies, "notes": status.notes,
            "pets_allowed": {True: "yes", False: "no"}.get(status.pets_allowed, "")})
    return render(request, "disaster/shelters/staff_update.html", {
        "form": ShelterUpdateForm(initial=initial), "facility": facility, "status": status})


# --- manager --------------------------------------------------------------------------------

class ThresholdsForm(forms.Form):
    somewhat_crowded_percent = forms.IntegerField(
        label=gettext_lazy("Somewhat crowded from (percent of capacity)"), min_value=1,
        max_value=100)
    crowded_percent = forms.IntegerField(label=gettext_lazy("Crowded from (percent of capacity)"),
                                         min_value=1, max_value=100)
    full_percent = forms.IntegerField(label=gettext_lazy("Full from (percent of capacity)"),
                                      min_value=1, max_value=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.update({
                "invalid": gettext_lazy("Enter a whole number."),
                "min_value": gettext_lazy("Enter a number from 1 to 100."),
                "max_value": gettext_lazy("Enter a number from 1 to 100.")})


class ShelterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class AssignmentForm(forms.Form):
    # A list to choose from rather than a 14-character ID to type on a phone.
    shelter = ShelterChoiceField(
        label=gettext_lazy("Shelter"), to_field_name="code",
        queryset=Facility.objects.filter(kind__in=SHELTER_KINDS).order_by("name_kana", "name",
                                                                          "code"),
        error_messages={"invalid_choice": gettext_lazy("There is no shelter with this ID.")})
    staff_email = forms.EmailField(label=gettext_lazy("Staff member's email address"))

    def clean_staff_email(self):
        user = get_user_model().objects.filter(
            email=self.cleaned_data["staff_email"].lower(), is_staff=True,
            is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("There is no active staff member with this email "
                                          "address."))
        return user


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("disaster.manage_shelters")
def shelter_manage(request):
    thresholds = services.crowding_thresholds()
    thresholds_form = ThresholdsForm(initial={
        "somewhat_crowded_percent": thresholds.somewhat_crowded_percent,
        "crowded_percent": thresholds.crowded_percent,
        "full_percent": thresholds.full_percent}, prefix="thresholds")
    assignment_form = AssignmentForm(prefix="assign")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "thresholds":
                thresholds_form = ThresholdsForm(request.POST, prefix="thresholds")
                if thresholds_form.is_valid():
                    services.crowding_thresholds_set(actor=request.user,
                                                     **thresholds_form.cleaned_data)
                    messages.success(request, _("The thresholds were saved."))
                    return redirect("disaster:shelter_manage")
            elif action == "assign":
                assignment_form = AssignmentForm(request.POST, prefix="assign")
                if assignment_form.is_valid():
                    services.shelter_assignment_add(
                        facility=assignment_form.cleaned_data["shelter"],
                        staff=assignment_form.cleaned_data["staff_email"], actor=request.user)
                    messages.success(request, _("The staff member was assigned."))
                    return redirect("disaster:shelter_manage")
            elif action == "unassign":
                raw = str(request.POST.get("assignment", ""))[:12]
                assignment = ShelterAssignment.objects.select_related(
                    "facility", "staff").filter(pk=int(raw)).first() if raw.isdigit() else None
                if assignment is None:
                    raise ValidationFailed(_("This assignment no longer exists."))
                services.shelter_assignment_remove(facility=assignment.facility,
                                                   staff=assignment.staff, actor=request.user)
                messages.success(request, _("The assignment was removed."))
                return redirect("disaster:shelter_manage")
            else:
                raise ValidationFailed(_("Unknown action."))
        except CityhallError as error:
            messages.error(request, str(error.message))
        status = 400
    assignments = ShelterAssignment.objects.select_related(
        "facility", "staff__staff_profile").order_by("facility__name_kana", "staff__email")
    return render(request, "disaster/shelters/manage.html", {
        "thresholds_form": thresholds_form, "assignment_form": assignment_form,
        "assignments": assignments, "thresholds": thresholds}, status=status)

