"""Forms of the residents' report pages (取組13): choosing a category, the report itself (with
the category's own questions), the filters of the public list, following.

They only parse what the browser sent; every rule (a place inside Minato, the required
answers, photos that are images) is checked by the services, which the views call."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import BranchOffice, Town

from .models import ServiceAttribute, ServiceCategory
from .services.reports import MAX_DESCRIPTION

PHOTO_ACCEPT = "image/jpeg,image/png,image/heic,image/heif"
ATTRIBUTE_PREFIX = "attr_"


def _language() -> str:
    return (get_language() or "ja").split("-")[0]


def category_groups(categories) -> list[tuple[str, list[dict]]]:
    """Categories in their groups (道路, 公園, …), in the order staff gave them, with their
    name and description in the page's language."""
    language = _language()
    groups: dict[str, list[dict]] = {}
    for category in categories:
        label = (category.group_en if language != "ja" and category.group_en
                 else category.group) or str(_("Other"))
        groups.setdefault(label, []).append({
            "code": category.code, "name": category.name_in(language),
            "description": category.description_in(language)})
    return list(groups.items())


class CategoryForm(forms.Form):
    """Step 1: what kind of problem (sent with GET, so it works without JavaScript)."""

    category = forms.ChoiceField(label=_("What is the problem?"), widget=forms.RadioSelect,
                                 error_messages={
                                     "required": _("Choose what kind of problem it is."),
                                     "invalid_choice": _("Choose what kind of problem it is.")})

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        language = _language()
        self.fields["category"].choices = [(c.code, c.name_in(language))
                                           for c in self.categories]

    @property
    def groups(self):
        return category_groups(self.categories)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to three photos from one `<input type=file multiple>`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        return [item for item in files if item]


class ReportForm(forms.Form):
    """Step 2: the category's questions, the place, the description, photos and (for a
    visitor who is not signed in) how to reach them."""

    category = forms.CharField(widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or landmark in Minato"), required=False, max_length=200,
        help_text=_("For example 芝公園4-2-8 or 麻布十番2丁目. If you put a pin on the map "
                    "instead, we guess the town from the nearest public facility, which can "
                    "be wrong near a town's edge: an address, even a rough one, helps us send "
                    "your report to the right office."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    latitude = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("Describe the problem"), max_length=MAX_DESCRIPTION,
        help_text=_("What is wrong and exactly where (e.g. in front of which building). "
                    "Please do not write names, phone numbers or car number plates: staff "
                    "check the text before it is shown to the public."),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Describe the problem.")})
    photos = MultiplePhotoField(
        label=_("Photos (up to 3)"), required=False,
        help_text=_("JPEG, PNG or HEIC (iPhone), up to 10 MB each. We remove the position "
                    "and camera data from the files. Staff check photos before the public "
                    "sees them."))
    contact_name = forms.CharField(label=_("Your name"), required=False, max_length=100,
                                   widget=forms.TextInput(attrs={"autocomplete": "name"}))
    contact_email = forms.EmailField(
        label=_("Your email address"), required=False, max_length=254,
        help_text=_("We use it only to tell you about this report and to ask you about it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    contact_phone = forms.CharField(
        label=_("Your phone number"), required=False, max_length=20,
        help_text=_("In case staff need to ask where exactly the problem is."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    follow = forms.BooleanField(label=_("Tell me when this report changes"), required=False,
                                initial=True)
    # Photos kept from the confirmation step (a signed token, see services.public).
    kept_photos = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")

    def __init__(self, *args, category: ServiceCategory, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        self.signed_in = signed_in
        self.fields["category"].initial = category.code
        if signed_in:
            for name in self.CONTACT_FIELDS:
                del self.fields[name]
            self.fields["follow"].help_text = _("We tell you by your usual notification "
                                                "channel.")
        else:
            self.fields["follow"].help_text = _("By email, if you give your address above.")
        self.attribute_fields = []
        language = _language()
        for attribute in category.attributes.all():
            name = ATTRIBUTE_PREFIX + attribute.code
            self.fields[name] = _attribute_field(attribute, language)
            self.attribute_fields.append(name)
        # The questions come first, after the category.
        order = ["category", *self.attribute_fields]
        self.order_fields(order + [name for name in self.fields if name not in order])

    def clean_category(self):
        if self.cleaned_data["category"] != self.category.code:
            raise forms.ValidationError(_("Choose what kind of problem it is."))
        return self.category

    def answers(self) -> dict:
        return {name.removeprefix(ATTRIBUTE_PREFIX): self.cleaned_data.get(name)
                for name in self.attribute_fields}

    def field_for_service(self, field: str | None) -> str | None:
        """The form field a service's error names (None: above the form)."""
        mapping = {"latitude": "address", "longitude": "address", "email": "contact_email",
                   "name": "contact_name", "phone": "contact_phone",
                   "note": "description", "public_note": "description"}
        name = mapping.get(field or "", field or "")
        if name and ATTRIBUTE_PREFIX + name in self.fields:
            return ATTRIBUTE_PREFIX + name
        return name if name in self.fields and name != "category" else None

    def add_service_error(self, error) -> None:
        self.add_error(self.field_for_service(error.field), str(error.message))

    @property
    def visible_groups(self) -> dict:
        """The visible fields by fieldset, for the template."""
        def pick(names):
            return [self[name] for name in names if name in self.fields]
        return {
            "questions": pick(self.attribute_fields),
            "place": pick(["address"]),
            "description": pick(["description", "photos"]),
            "contact": pick([*self.CONTACT_FIELDS, "follow"]),
        }


def _attribute_field(attribute: ServiceAttribute, language: str) -> forms.Field:
    label = (attribute.description_en if language != "ja" and attribute.description_en
             else attribute.description)
    common = {"label": label, "required": attribute.required,
              "help_text": attribute.datatype_description}
    kind = ServiceAttribute.Datatype
    choices = [(value.get("key"), (value.get("name_en") if language != "ja"
                                    and value.get("name_en") else value.get("name")))
               for value in attribute.values]
    required = {"required": _("Please answer: %(question)s") % {"question": label}}
    if attribute.datatype == kind.SINGLE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect,
                                 error_messages={**required, "invalid_choice": _(
                                     "Choose from the list: %(question)s")
                                     % {"question": label}}, **common)
    if attribute.datatype == kind.MULTI:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple,
                                         error_messages=required, **common)
    if attribute.datatype == kind.TEXT:
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                               error_messages=required, **common)
    if attribute.datatype == kind.NUMBER:
        return forms.CharField(max_length=30, widget=forms.TextInput(
            attrs={"inputmode": "decimal"}), error_messages=required, **common)
    if attribute.datatype == kind.DATETIME:
        return forms.CharField(max_length=30, widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}), error_messages=required, **common)
    return forms.CharField(max_length=200, error_messages=required, **common)


class ReportFilterForm(forms.Form):
    """The filters of the public list and map (GET)."""

    category = forms.ChoiceField(label=_("Kind of problem"), required=False)
    state = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("Open and closed")), ("open", _("Open (not fixed yet)")),
        ("closed", _("Closed"))])
    area = forms.ChoiceField(label=_("Area (branch office)"), required=False)
    town = forms.ChoiceField(label=_("Town"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = _language()
        self.category_objects = {c.code: c for c in ServiceCategory.objects.all()}
        self.fields["category"].choices = [("", _("All kinds")), *(
            (code, c.name_in(language)) for code, c in self.category_objects.items())]
        self.office_objects = {o.code: o for o in BranchOffice.objects.filter(
            is_main_office=False)}
        self.fields["area"].choices = [("", _("All areas")), *(
            (code, o.name_en if language != "ja" and o.name_en else o.name)
            for code, o in self.office_objects.items())]
        towns = Town.objects.select_related("branch_office").order_by(
            "branch_office__sort_order", "name_kana", "chome")
        self.town_objects = {str(t.pk): t for t in towns}
        self.fields["town"].choices = [("", _("All towns")), *(
            (pk, t.label) for pk, t in self.town_objects.items())]
        for name in ("category", "state", "area", "town"):
            self.fields[name].error_messages["invalid_choice"] = _(
                "This is not one of the choices.")

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "category": self.category_objects.get(data.get("category") or ""),
            "state": data.get("state") or "",
            "branch_office": self.office_objects.get(data.get("area") or ""),
            "town": self.town_objects.get(data.get("town") or ""),
        }


class AddInformationForm(forms.Form):
    """What a resident adds to a report that exists (from its page)."""

    description = forms.CharField(
        label=_("What did you see?"), max_length=2000, required=False,
        help_text=_("Staff read it; it is not shown to the public."),
        widget=forms.Textarea(attrs={"rows": 4}))
    photos = MultiplePhotoField(label=_("Photos (up to 3)"), required=False)
    contact_email = forms.EmailField(
        label=_("Your email address, to be told when it changes"), required=False,
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
