"""Forms of the staff pages of the bookings engine (the back office). They parse and check the
shape of the input; every business rule stays in `services`."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Booking, PricedItem, Resource

DATE_INVALID = _("Enter the date as year-month-day, e.g. 2026-04-01.")
# The calendar and the export look this far back and ahead, no further.
CALENDAR_REACH_DAYS = 2 * 366
EXPORT_MAX_DAYS = 366
EXPORT_DEFAULT_DAYS = 30
ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932", "shift_jis": "cp932"}


def _date_field(label, *, required=True):
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"invalid": DATE_INVALID,
                                           "required": _("Enter the date.")})


def _within_reach(day: datetime.date) -> bool:
    today = timezone.localdate()
    return abs((day - today).days) <= CALENDAR_REACH_DAYS


class DayForm(forms.Form):
    """The day shown by the staff calendar (GET ?day=YYYY-MM-DD)."""

    day = _date_field(_("Day"), required=False)

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day and not _within_reach(day):
            raise forms.ValidationError(_("Choose a day within two years of today."))
        return day

    def chosen_day(self) -> datetime.date:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("day"):
            return self.cleaned_data["day"]
        return timezone.localdate()


class SlotCloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for closing"), max_length=200,
        help_text=_("Everyone booked is told that the city cancelled their booking, with this "
                    "reason."),
        error_messages={"required": _("Give the reason for closing, so the people booked "
                                      "are told why."),
                        "max_length": _("Keep the reason under 200 characters.")})


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("Family name or its kana (beginning)"), max_length=40,
                        error_messages={"required": _("Enter the beginning of the family "
                                                      "name."),
                                        "max_length": _("Enter at most 40 characters.")})


def _item_label(item: PricedItem) -> str:
    language = (get_language() or "ja").split("-")[0]
    name = item.name_en if language != "ja" and item.name_en else item.name
    return _("%(name)s (%(fee)s yen a piece)") % {"name": name, "fee": f"{item.fee_yen:,}"}


class StaffBookingForm(forms.Form):
    """The details of a booking taken at the counter or by phone for a resident: the places,
    the items and address for a bulky-waste collection, how the fee is paid, and a note."""

    def __init__(self, *args, resource: Resource, resident=None, payment_methods=(),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.resource = resource
        most = resource.max_places_per_booking
        self.fields["places"] = forms.IntegerField(
            label=_("Places"), min_value=1, max_value=most, initial=1,
            widget=forms.HiddenInput if most == 1 else None,
            help_text=_("At most %(max)s.") % {"max": most} if most > 1 else "",
            error_messages={"required": _("Enter the number of places."),
                            "invalid": _("Enter a whole number."),
                            "min_value": _("Enter at least 1."),
                            "max_value": _("Enter at most %(limit_value)s.")})
        self.items = list(PricedItem.objects.filter(kind=resource.kind, is_active=True))
        for item in self.items:
            self.fields[f"item_{item.code}"] = forms.IntegerField(
                label=_item_label(item), required=False, min_value=0, max_value=10, initial=0,
                error_messages={"invalid": _("Enter a whole number."),
                                "min_value": _("Enter 0 or more."),
                                "max_value": _("Enter at most 10.")})
        if resource.area_id:
            from cityhall.core.models import Town

            self.fields["town"] = forms.ModelChoiceField(
                label=_("Town of the collection address"),
                queryset=Town.objects.filter(branch_office_id=resource.area_id)
                .order_by("name_kana", "chome"),
                error_messages={"required": _("Choose the town."),
                                "invalid_choice": _("Choose a town of this area.")})
            self.fields["town"].label_from_instance = lambda town: town.label
            town = getattr(resident, "town", None)
            if town is not None and town.branch_office_id == resource.area_id:
                self.fields["town"].initial = town.pk
        if payment_methods and (resource.fee_yen or self.items):
            self.fields["payment_method"] = forms.ChoiceField(
                label=_("How the fee is paid"), widget=forms.RadioSelect,
                choices=[(method, Booking.PaymentMethod(method).label)
                         for method in payment_methods],
                error_messages={"required": _("Choose how the fee is paid."),
                                "invalid_choice": _("Choose how the fee is paid.")})
        if resource.waitlist_enabled:
            self.fields["waitlist"] = forms.BooleanField(
                label=_("If the slot is full, put the resident on the waitlist"),
                required=False)
        self.fields["note"] = forms.CharField(
            label=_("Notes"), required=False, max_length=500,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("What the resident told you that the facility needs to know (e.g. "
                        "the child's age, where the items are left out)."),
            error_messages={"max_length": _("Keep the note under 500 characters.")})

    def item_fields(self):
        return [self[f"item_{item.code}"] for item in self.items]

    def items_chosen(self) -> dict[str, int]:
        return {item.code: self.cleaned_data.get(f"item_{item.code}") or 0
                for item in self.items if self.cleaned_data.get(f"item_{item.code}")}

    def details(self) -> dict:
        note = (self.cleaned_data.get("note") or "").strip()
        return {"note": note} if note else {}


class StaffCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=200,
        help_text=_("The resident is told that the city cancelled the booking, with this "
                    "reason."),
        error_messages={"required": _("Give the reason for cancelling."),
                        "max_length": _("Keep the reason under 200 characters.")})


class FeeTakenForm(forms.Form):
    reference = forms.CharField(
        label=_("Receipt number (or sticker number)"), max_length=40,
        error_messages={"required": _("Enter the receipt number (or the sticker number)."),
                        "max_length": _("Enter at most 40 characters.")})


class ClosureForm(forms.Form):
    starts_on = _date_field(_("First day closed"))
    ends_on = _date_field(_("Last day closed"))
    reason = forms.CharField(
        label=_("Reason"), max_length=200,
        help_text=_("e.g. 館内整理日 (maintenance day). Everyone booked on those days is told, "
                    "with this reason."),
        error_messages={"required": _("Give the reason for closing, so the people booked "
                                      "are told why."),
                        "max_length": _("Keep the reason under 200 characters.")})

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and starts_on < timezone.localdate():
            self.add_error("starts_on", _("A closure cannot start in the past."))
        elif starts_on and not _within_reach(starts_on):
            self.add_error("starts_on", _("Choose a day within two years of today."))
        elif ends_on and not _within_reach(ends_on):
            self.add_error("ends_on", _("Choose a day within two years of today."))
        elif starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The last day of a closure cannot be before its "
                                        "first day."))
        return data


class _EncodingField(forms.ChoiceField):
    """An unknown encoding falls back to UTF-8, as the payments export does."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if value in ENCODINGS else "utf-8"

    def validate(self, value):
        pass


class ExportForm(forms.Form):
    """GET ?from=&to=&encoding= of the CSV export (`from` is a Python keyword, so the
    fields are named `start` and `end` and read from `from` and `to`)."""

    start = _date_field(_("From"), required=False)
    end = _date_field(_("Until (inclusive)"), required=False)
    encoding = _EncodingField(
        label=_("Character encoding"), required=False, initial="utf-8",
        widget=forms.RadioSelect,
        choices=[("utf-8", _("UTF-8")), ("cp932", _("Shift_JIS (for Excel)"))])

    FIELD_NAMES = {"start": "from", "end": "to"}

    def add_prefix(self, field_name):
        return self.FIELD_NAMES.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start = data.get("start") or timezone.localdate()
        if not _within_reach(start):
            self.add_error("start", _("Choose a day within two years of today."))
            return data
        end = data.get("end") or start + datetime.timedelta(days=EXPORT_DEFAULT_DAYS)
        if not _within_reach(end):
            self.add_error("end", _("Choose a day within two years of today."))
        elif end < start:
            self.add_error("end", _("The last day cannot be before the first day."))
        elif (end - start).days >= EXPORT_MAX_DAYS:
            self.add_error("end", _("Export at most %(days)s days at a time.")
                           % {"days": EXPORT_MAX_DAYS})
        data["start"], data["end"] = start, end
        return data
