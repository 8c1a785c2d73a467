"""Forms of the residents' booking pages. Every error message is translated; the rules of a
booking (capacity, deadlines, who may book, areas, fees) live in `services` — these forms only
check that what was typed makes sense and turn it into the service's arguments.

What a booking's `details` hold, by kind (the staff pages read the same keys):
- temporary childcare: `children`, a list of `{"name": str, "age_months": int}`, one a place;
- infant health checkup: `children`, one `{"name": str, "date_of_birth": "YYYY-MM-DD"}`;
- bulky waste: `block_number` and `put_out_place` (free text) beside the `town_id` and the
  priced `items` that the service adds;
- rooms and sports: `people` (int) and `purpose` (str), each only when given.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Town

from . import services
from .models import Booking, PricedItem, Resource

MAX_CHILD_AGE_MONTHS = 83  # until school age (6 years and 11 months)
MAX_PEOPLE = 500


def english_page() -> bool:
    return (get_language() or "ja").split("-")[0] != "ja"


def town_label(town: Town) -> str:
    """A town as a reader of the page's language knows it: 芝公園2丁目, or Shibakoen 2-chōme."""
    if english_page() and town.name_en:
        if town.chome:
            return str(_("%(town)s %(chome)s-chōme") % {"town": town.name_en,
                                                       "chome": town.chome})
        return town.name_en
    return town.label


def item_label(item: PricedItem) -> str:
    name = item.name_en if english_page() and item.name_en else item.name
    return str(_("%(item)s: %(fee)s yen each") % {"item": name, "fee": f"{item.fee_yen:,}"})


def _number_input(minimum: int, maximum: int) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": minimum, "max": maximum, "inputmode": "numeric"})


class BookingForm(forms.Form):
    """What a resident fills in to book a slot of `resource`; the fields depend on its kind.

    Temporary childcare shows one group of fields a place (the number of children booked is
    the number of groups filled in); bulky waste shows a number field a priced item and the
    collection address; a fee shows how to pay it.
    """

    waitlist = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, resource: Resource, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.user = user
        self.item_errors = ErrorList()
        kind = resource.kind
        profile = getattr(user, "resident_profile", None)
        self.child_numbers: list[int] = []
        self.priced_items = list(PricedItem.objects.filter(kind=kind, is_active=True))

        if kind == Resource.Kind.TEMPORARY_CHILDCARE:
            for number in range(1, resource.max_places_per_booking + 1):
                self.child_numbers.append(number)
                first = number == 1
                self.fields[f"child_{number}_name"] = forms.CharField(
                    label=_("Name of child %(number)s") % {"number": number},
                    max_length=60, required=first,
                    error_messages={"required": _("Enter the child's name.")})
                self.fields[f"child_{number}_age_months"] = forms.IntegerField(
                    label=_("Age of child %(number)s in months") % {"number": number},
                    min_value=0, max_value=MAX_CHILD_AGE_MONTHS, required=first,
                    help_text=_("In whole months, e.g. 18 for one and a half years."),
                    widget=_number_input(0, MAX_CHILD_AGE_MONTHS),
                    error_messages={
                        "required": _("Enter the child's age in months."),
                        "invalid": _("Enter the age as a whole number of months."),
                        "min_value": _("Enter an age between 0 and %(max)s months.")
                        % {"max": MAX_CHILD_AGE_MONTHS},
                        "max_value": _("Care is for children under school age: enter an age "
                                       "between 0 and %(max)s months.")
                        % {"max": MAX_CHILD_AGE_MONTHS}})
        elif kind == Resource.Kind.HEALTH_CHECKUP:
            self.fields["child_name"] = forms.CharField(
                label=_("Child's name"), max_length=60,
                error_messages={"required": _("Enter the child's name.")})
            self.fields["child_date_of_birth"] = forms.DateField(
                label=_("Child's date of birth"),
                help_text=_("For example 2025-01-31."),
                widget=forms.DateInput(attrs={"type": "date"}),
                error_messages={
                    "required": _("Enter the child's date of birth."),
                    "invalid": _("Enter the date as year-month-day, e.g. 2025-01-31.")})

        for item in self.priced_items:
            self.fields[f"item_{item.code}"] = forms.IntegerField(
                label=item_label(item), min_value=0,
                max_value=services.MAX_ITEMS_PER_COLLECTION, required=False, initial=0,
                widget=_number_input(0, services.MAX_ITEMS_PER_COLLECTION),
                error_messages={
                    "invalid": _("Enter a whole number of pieces."),
                    "min_value": _("Enter a whole number of pieces."),
                    "max_value": _("One collection takes at most %(max)s pieces; book another "
                                   "day for the rest.")
                    % {"max": services.MAX_ITEMS_PER_COLLECTION}})

        if resource.area_id or kind == Resource.Kind.BULKY_WASTE:
            towns = Town.objects.filter(branch_office_id=resource.area_id).order_by(
                "name_en" if english_page() else "name_kana", "chome")
            self.fields["town"] = forms.ModelChoiceField(
                label=_("Town and chōme"), queryset=towns,
                empty_label=_("Choose a town"),
                error_messages={
                    "required": _("Choose the town of the collection address."),
                    "invalid_choice": _("This address is not in the area this collection "
                                        "serves.")})
            self.fields["town"].label_from_instance = town_label
            self.fields["block_number"] = forms.CharField(
                label=_("Block and building number"), max_length=60,
                help_text=_("番地 and, if any, building and room, e.g. 5-25 or 1-2-3 港ハイツ101."),
                widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
                error_messages={"required": _("Enter the block number of the address.")})
            self.fields["put_out_place"] = forms.CharField(
                label=_("Where you will put the items out"), max_length=200,
                help_text=_("For example: in front of the entrance of the building, by the "
                            "gate."),
                error_messages={"required": _("Say where the collectors will find the "
                                              "items.")})
            if profile is not None and not self.is_bound and \
                    profile.town.branch_office_id == resource.area_id:
                self.initial.setdefault("town", profile.town_id)
                self.initial.setdefault("block_number", profile.block_number)

        if kind in (Resource.Kind.ROOM, Resource.Kind.SPORTS):
            self.fields["people"] = forms.IntegerField(
                label=_("Number of people"), required=False, min_value=1,
                max_value=MAX_PEOPLE, widget=_number_input(1, MAX_PEOPLE),
                error_messages={"invalid": _("Enter a whole number."),
                                "min_value": _("Enter a number between 1 and %(max)s.")
                                % {"max": MAX_PEOPLE},
                                "max_value": _("Enter a number between 1 and %(max)s.")
                                % {"max": MAX_PEOPLE}})
            self.fields["purpose"] = forms.CharField(
                label=_("Purpose"), required=False, max_length=200,
                help_text=_("For example: a residents' association meeting."))

        if resource.max_places_per_booking > 1 and not self.child_numbers:
            maximum = resource.max_places_per_booking
            self.fields["places"] = forms.IntegerField(
                label=_("Places"), min_value=1, max_value=maximum, initial=1,
                help_text=_("Between 1 and %(max)s.") % {"max": maximum},
                widget=_number_input(1, maximum),
                error_messages={
                    "required": _("Enter how many places you need."),
                    "invalid": _("Enter a whole number."),
                    "min_value": _("One booking can take between 1 and %(max)s places.")
                    % {"max": maximum},
                    "max_value": _("One booking can take between 1 and %(max)s places.")
                    % {"max": maximum}})

        if self.has_fee:
            labels = dict(Booking.PaymentMethod.choices)
            methods = services.payment_methods(resource)
            self.fields["payment_method"] = forms.ChoiceField(
                label=_("How will you pay the fee?"), widget=forms.RadioSelect,
                choices=[(method, labels[method]) for method in methods],
                error_messages={"required": _("Choose how to pay the fee."),
                                "invalid_choice": _("Choose how to pay the fee.")})
            if len(methods) == 1:
                self.initial.setdefault("payment_method", methods[0])

    # --- what the page needs --------------------------------------------------------------

    @property
    def has_fee(self) -> bool:
        return bool(self.priced_items) or self.resource.fee_yen > 0

    def child_groups(self):
        """(number, name field, age field) for each child's group of fields."""
        return [(number, self[f"child_{number}_name"], self[f"child_{number}_age_months"])
                for number in self.child_numbers]

    def item_fields(self):
        return [self[f"item_{item.code}"] for item in self.priced_items]

    def address_fields(self):
        return [self[name] for name in ("town", "block_number", "put_out_place")
                if name in self.fields]

    def other_fields(self):
        """The fields not shown in a group of their own (in the order they were added)."""
        grouped = {"waitlist", "payment_method", "town", "block_number", "put_out_place"}
        grouped |= {f"item_{item.code}" for item in self.priced_items}
        grouped |= {f"child_{n}_{part}" for n in self.child_numbers
                    for part in ("name", "age_months")}
        return [self[name] for name in self.fields if name not in grouped]

    def error_links(self):
        """(anchor, label, message) for every error, for the error summary."""
        links = []
        last_item = f"item_{self.priced_items[-1].code}" if self.priced_items else None
        for field in self.visible_fields():
            anchor = f"{field.auto_id}_0" if field.use_fieldset else field.id_for_label
            links.extend((anchor, field.label, error) for error in field.errors)
            if field.name == last_item:  # the items' own errors, in the order of the page
                first = self.item_fields()[0].id_for_label
                links.extend((first, _("Items to be collected"), error)
                             for error in self.item_errors)
        return links

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.item_errors)

    # --- checks ---------------------------------------------------------------------------

    def clean_child_date_of_birth(self):
        born = self.cleaned_data["child_date_of_birth"]
        if born > timezone.localdate():
            raise ValidationError(_("The date of birth cannot be in the future."),
                                  code="future")
        return born

    def clean(self):
        data = super().clean()
        for number in self.child_numbers[1:]:
            name_field, age_field = f"child_{number}_name", f"child_{number}_age_months"
            name, age = data.get(name_field), data.get(age_field)
            if name and age is None and age_field not in self.errors:
                self.add_error(age_field, _("Enter the child's age in months."))
            if age is not None and not name and name_field not in self.errors:
                self.add_error(name_field, _("Enter the child's name."))
        if self.priced_items and not any(f"item_{item.code}" in self.errors
                                         for item in self.priced_items):
            pieces = sum(data.get(f"item_{item.code}") or 0 for item in self.priced_items)
            if pieces == 0:
                self.item_errors.append(_("Choose at least one item."))
            elif pieces > services.MAX_ITEMS_PER_COLLECTION:
                self.item_errors.append(
                    _("One collection takes at most %(max)s pieces; book another day for the "
                      "rest.") % {"max": services.MAX_ITEMS_PER_COLLECTION})
        return data

    def is_valid(self) -> bool:
        return super().is_valid() and not self.item_errors

    def add_service_error(self, error) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        if error.field == "items" and self.priced_items:
            self.item_errors.append(error.message)
        elif error.field and error.field in self.fields and error.field != "waitlist":
            self.add_error(error.field, error.message)
        else:
            self.add_error(None, error.message)

    # --- what the service is given --------------------------------------------------------

    def items(self) -> dict[str, int]:
        return {item.code: self.cleaned_data.get(f"item_{item.code}") or 0
                for item in self.priced_items
                if self.cleaned_data.get(f"item_{item.code}")}

    def item_lines(self):
        """(item, pieces, fee) of the chosen items, for the fee summary."""
        chosen = self.items()
        return [(item, chosen[item.code], chosen[item.code] * item.fee_yen)
                for item in self.priced_items if item.code in chosen]

    def places(self) -> int:
        if self.child_numbers:
            return len(self._children()) or 1
        return self.cleaned_data.get("places") or 1

    def fee_yen(self) -> int:
        """The fee as the page shows it before booking; the service computes the real one."""
        if self.priced_items:
            return sum(fee for _item, _pieces, fee in self.item_lines())
        return self.resource.fee_yen * self.places()

    def _children(self) -> list[dict]:
        data = self.cleaned_data
        if self.child_numbers:
            return [{"name": data[f"child_{n}_name"].strip(),
                     "age_months": data[f"child_{n}_age_months"]}
                    for n in self.child_numbers
                    if data.get(f"child_{n}_name") and
                    data.get(f"child_{n}_age_months") is not None]
        if "child_name" in self.fields:
            return [{"name": data["child_name"].strip(),
                     "date_of_birth": data["child_date_of_birth"].isoformat()}]
        return []

    def details(self) -> dict:
        data = self.cleaned_data
        details = {}
        children = self._children()
        if children:
            details["children"] = children
        for name in ("block_number", "put_out_place", "purpose"):
            if data.get(name):
                details[name] = data[name].strip()
        if data.get("people"):
            details["people"] = data["people"]
        return details

    def service_arguments(self) -> dict:
        return {"places": self.places(), "details": self.details(),
                "items": self.items() if self.priced_items else None,
                "town": self.cleaned_data.get("town"),
                "payment_method": self.cleaned_data.get("payment_method", ""),
                "waitlist": bool(self.cleaned_data.get("waitlist"))}


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("It helps the facility plan; you do not have to give one."))


class TownForm(forms.Form):
    """Bulky waste: the town of the collection address, to find the collection of its area."""

    town = forms.ModelChoiceField(
        label=_("Town and chōme of the collection address"),
        queryset=Town.objects.select_related("branch_office").order_by("name_kana", "chome"),
        empty_label=_("Choose a town"),
        error_messages={"required": _("Choose the town of the collection address."),
                        "invalid_choice": _("Please choose a town in this city.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if english_page():
            self.fields["town"].queryset = self.fields["town"].queryset.order_by(
                "name_en", "chome")
        self.fields["town"].label_from_instance = town_label
