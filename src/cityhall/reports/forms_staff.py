"""Forms of the street-problem reports back office (取組13): the queue's filters, one form per
action on a report, filing a report for a caller, the monthly summary and the Open311 keys.

Forms only parse; every rule lives in `services.triage` (and `services.reports`), whose
errors the views put back on the form."""

import datetime
import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityhall.core.models import BranchOffice, Department, Town

from .models import BranchRouting, Report, ServiceAttribute, ServiceCategory

NOTE_ROWS = {"rows": 3}


def department_label(department: Department) -> str:
    """A department with its branch office: the five まちづくり課 are told apart."""
    if department.branch_office_id:
        return f"{department.branch_office.name} {department.name}"
    return department.name


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return department_label(obj)


class CodeChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose from the list.")})
        super().__init__(*args, **kwargs)


def report_departments():
    """Departments that receive reports: those of a category or of a branch routing."""
    return Department.objects.filter(
        Q(report_categories__isnull=False)
        | Q(pk__in=BranchRouting.objects.values("department"))
    ).distinct().select_related("branch_office").order_by("branch_office__sort_order", "code")


class QueueFilterForm(forms.Form):
    STATUS_CHOICES = [("open", _("Open (new, acknowledged, in progress)")),
                      ("all", _("All")), *Report.Status.choices]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    department = CodeChoiceField(label=_("Department"), queryset=Department.objects.none(),
                                 empty_label=_("All departments"))
    department.label_from_instance = department_label
    branch_office = CodeChoiceField(label=_("Branch office"),
                                    queryset=BranchOffice.objects.order_by("sort_order"),
                                    empty_label=_("All branch offices"))
    category = CodeChoiceField(label=_("Category"), queryset=ServiceCategory.objects.all(),
                               empty_label=_("All categories"))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = report_departments()
        self.fields["status"].error_messages["invalid_choice"] = _("Choose from the list.")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(value, label) for value, label in Report.Status.choices
                 if value != Report.Status.DUPLICATE])
    public_note = forms.CharField(
        label=_("Reply to the public"), required=False, max_length=2000,
        widget=forms.Textarea(attrs=NOTE_ROWS),
        help_text=_("Shown on the report's public page and sent to its followers."))
    internal_note = forms.CharField(
        label=_("Internal note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs=NOTE_ROWS), help_text=_("Seen by staff only."))
    expected_on = forms.DateField(
        label=_("Expected fix date"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 2026-11-30.")})


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    internal_note = forms.CharField(label=_("Internal note"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs=NOTE_ROWS))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(user.pk): user for user in staff}
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (str(user.pk), getattr(getattr(user, "staff_profile", None), "display_name", "")
             or user.email) for user in staff]
        self.fields["assignee"].error_messages["invalid_choice"] = _(
            "Choose a staff member of the report's department.")

    def clean_assignee(self):
        return self.staff.get(self.cleaned_data.get("assignee") or "")


class HandOffForm(forms.Form):
    department = DepartmentChoiceField(
        label=_("Hand to the department"), queryset=Department.objects.select_related(
            "branch_office").order_by("branch_office__sort_order", "code"),
        to_field_name="code", empty_label=_("Choose a department"),
        error_messages={"invalid_choice": _("Choose from the list."),
                        "required": _("Choose a department.")})
    internal_note = forms.CharField(label=_("Internal note"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs=NOTE_ROWS),
                                    help_text=_("Why it goes there, for its staff."))

    def __init__(self, *args, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        if exclude is not None:
            self.fields["department"].queryset = self.fields["department"].queryset.exclude(
                pk=exclude.pk)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Number of the report it duplicates"), max_length=20,
                           help_text=_("For example 2026-000123."),
                           error_messages={"required": _("Give the report's number.")})
    public_note = forms.CharField(label=_("Reply to the public"), required=False,
                                  max_length=2000, widget=forms.Textarea(attrs=NOTE_ROWS))

    def clean_into(self):
        return self.cleaned_data["into"].strip()


class RelocateForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("Town"), required=False, empty_label=_("Keep the town"),
        queryset=Town.objects.select_related("branch_office").order_by("name_kana", "chome"),
        help_text=_("Set it when the town found from the pin or the address is wrong."),
        error_messages={"invalid_choice": _("Choose from the list.")})
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=20,
                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=20,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    internal_note = forms.CharField(label=_("Internal note"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs=NOTE_ROWS))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].label_from_instance = lambda town: town.label


class ModerateForm(forms.Form):
    public_description = forms.CharField(
        label=_("Description for the public"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave out names, number plates, phone numbers and anything else that "
                    "identifies a person."))
    is_public = forms.BooleanField(label=_("Show the description to the public"),
                                   required=False)
    photos = forms.MultipleChoiceField(label=_("Photos shown to the public"), required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("Only photos without faces or number "
                                                   "plates."))

    def __init__(self, *args, photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].choices = [
            (str(photo.pk), _("Photo %(number)d") % {"number": number})
            for number, photo in enumerate(photos, start=1)]
        self.fields["photos"].error_messages["invalid_choice"] = _(
            "Choose photos of this report.")


class CategoryPickForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("What kind of problem is it?"), empty_label=_("Choose a category"),
        queryset=ServiceCategory.objects.filter(is_active=True), to_field_name="code",
        error_messages={"invalid_choice": _("Choose from the list."),
                        "required": _("Choose what kind of problem it is.")})


class CallerReportForm(forms.Form):
    """A report taken on the phone or at the counter, for one category (its questions are
    added as fields `attr_<code>`)."""

    description = forms.CharField(label=_("What is the problem?"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  error_messages={"required": _("Describe the problem.")})
    address = forms.CharField(label=_("Address or landmark in Minato"), required=False,
                              max_length=200, help_text=_("e.g. 芝公園4-2-8"))
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=20,
                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=20,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    contact_name = forms.CharField(label=_("Caller's name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=20,
                                    widget=forms.TextInput(attrs={"inputmode": "tel"}))
    contact_email = forms.CharField(
        label=_("Caller's email"), required=False, max_length=254,
        help_text=_("The caller is told of the city's replies by email."),
        widget=forms.EmailInput())
    language = forms.ChoiceField(label=_("Caller's language"),
                                 choices=[("ja", "日本語"), ("en", "English"),
                                          ("zh-hans", "简体中文"), ("ko", "한국어")],
                                 initial="ja")

    def __init__(self, *args, category: ServiceCategory, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        kind = ServiceAttribute.Datatype
        for attribute in category.attributes.all():
            name = f"attr_{attribute.code}"
            label = attribute.description
            if attribute.datatype in (kind.SINGLE, kind.MULTI):
                choices = [(value.get("key"), value.get("name") or value.get("key"))
                           for value in attribute.values]
                if attribute.datatype == kind.SINGLE:
                    field = forms.ChoiceField(label=label, required=attribute.required,
                                              choices=choices, widget=forms.RadioSelect)
                else:
                    field = forms.MultipleChoiceField(
                        label=label, required=attribute.required, choices=choices,
                        widget=forms.CheckboxSelectMultiple)
            else:
                field = forms.CharField(label=label, required=attribute.required,
                                        max_length=2000 if attribute.datatype == kind.TEXT
                                        else 200)
            field.error_messages.update({"required": _("Please answer: %(question)s")
                                         % {"question": label},
                                         "invalid_choice": _("Choose from the list.")})
            self.fields[name] = field

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"category": self.category, "description": data["description"],
                "address": data.get("address", ""), "latitude": data.get("latitude") or None,
                "longitude": data.get("longitude") or None,
                "attributes": {name.removeprefix("attr_"): value
                               for name, value in data.items() if name.startswith("attr_")},
                "contact_name": data.get("contact_name", ""),
                "contact_email": data.get("contact_email", ""),
                "contact_phone": data.get("contact_phone", ""),
                "language": data.get("language") or "ja"}


class SummaryForm(forms.Form):
    month = forms.CharField(label=pgettext_lazy("summary", "Month"), required=False,
                            max_length=7, widget=forms.TextInput(attrs={"type": "month"}),
                            help_text=_("Year and month, e.g. 2026-11."))
    encoding = forms.ChoiceField(label=_("CSV encoding"), required=False,
                                 choices=[("utf-8", _("UTF-8 (with BOM)")),
                                          ("cp932", _("Shift_JIS (for older Excel)"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["encoding"].error_messages["invalid_choice"] = _(
            "Unknown encoding: use utf-8 or cp932.")

    def clean_month(self):
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            raise forms.ValidationError(_("Enter a month such as 2026-11."))
        return datetime.date(int(match[1]), int(match[2]), 1)


class Open311IssueForm(forms.Form):
    name = forms.CharField(label=_("Client name"), max_length=100,
                           help_text=_("The system or organisation the key is for."),
                           error_messages={"required": _("Give the client's name.")})
    contact_email = forms.EmailField(label=_("Contact email"), required=False,
                                     error_messages={"invalid": _("Enter a valid email "
                                                                  "address.")})
