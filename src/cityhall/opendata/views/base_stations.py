"""The staff page of 取組30 (5G基地局設置への公共施設の開放): which ward facilities the city
offers to mobile carriers for 5G base stations, where on them and on what conditions.

One small form per facility; a change goes through `core.services.facility_base_station_set`
(permission `core.change_facility`, audited) and reaches the live dataset
`131032-5g-base-station-site` on its next refresh. Views parse, check access, call one
service and render."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cityhall.core.errors import CityhallError
from cityhall.core.models import Facility
from cityhall.core.permissions import staff_permission_required
from cityhall.core.services import BASE_STATION_PERMISSION, facility_base_station_set

PAGE_SIZE = 30


class BaseStationForm(forms.Form):
    offer = forms.ChoiceField(label=gettext_lazy("Offered to carriers"),
                              choices=Facility.BaseStationOffer.choices,
                              error_messages={"required": gettext_lazy(
                                  "Choose whether the facility is offered."),
                                  "invalid_choice": gettext_lazy(
                                  "Choose whether the facility is offered.")})
    places = forms.CharField(label=gettext_lazy("Where a base station may go"),
                             max_length=200, required=False,
                             help_text=gettext_lazy("e.g. roof; outer wall; pole. Separate "
                                                    "several with “;”."))
    conditions = forms.CharField(label=gettext_lazy("Conditions for carriers"),
                                 max_length=1000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class KindFilterForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of facility"), required=False,
                             choices=[("", gettext_lazy("All kinds")),
                                      *Facility.Kind.choices])
    offer = forms.ChoiceField(label=gettext_lazy("Offer"), required=False,
                              choices=[("", gettext_lazy("Any")),
                                       *Facility.BaseStationOffer.choices])


def _form_for(facility: Facility, data=None) -> BaseStationForm:
    return BaseStationForm(data, prefix=f"f{facility.pk}", initial={
        "offer": facility.base_station_offer, "places": facility.base_station_places,
        "conditions": facility.base_station_conditions})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required(BASE_STATION_PERMISSION)
def base_stations(request):
    status, failed = 200, None
    if request.method == "POST":
        raw = str(request.POST.get("facility", ""))[:12]
        facility = Facility.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if facility is None:
            messages.error(request, _("This facility no longer exists."))
            status = 400
        else:
            form = _form_for(facility, request.POST)
            if form.is_valid():
                try:
                    facility_base_station_set(facility=facility, actor=request.user,
                                              **form.cleaned_data)
                except CityhallError as error:
                    form.add_error(error.field if error.field in form.fields else None,
                                   str(error.message))
                else:
                    messages.success(request, _("Saved: %(name)s.") % {"name": facility.name})
                    return redirect(request.get_full_path())
            failed, status = (facility.pk, form), 400
    filters = KindFilterForm(request.GET or None)
    facilities = Facility.objects.select_related("town").order_by("kind", "name_kana", "name")
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            facilities = facilities.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["offer"]:
            facilities = facilities.filter(base_station_offer=filters.cleaned_data["offer"])
    page = Paginator(facilities, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(facility, failed[1] if failed and failed[0] == facility.pk
             else _form_for(facility)) for facility in page.object_list]
    return render(request, "opendata/staff/base_stations.html", {
        "filters": filters, "page": page, "rows": rows, "has_errors": status == 400,
        "offered_count": Facility.objects.filter(
            base_station_offer=Facility.BaseStationOffer.OFFERED).count()}, status=status)
