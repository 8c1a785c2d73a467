"""Forms of the catalogue pages (取組27). They parse and check the shape of the input; the rules
(names, licences, tags, what an upload may be, who may publish where) are the services'."""

import re

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .licences import DEFAULT_LICENCE, licence_choices
from .models import Dataset, Group, Organization
from .uploads import FORMATS

# The orders offered on the search page, as CKAN `sort` values.
SORTS = [
    ("score desc, metadata_modified desc", _("Relevance")),
    ("metadata_modified desc", _("Last modified")),
    ("metadata_created desc", _("Newest")),
    ("title_string asc", _("Title (A to Z)")),
    ("name asc", _("Name in the address (A to Z)")),
]
PAGE_MAX = 5000  # 5000 pages of 20: far past any real catalogue; keeps `start` bounded


def _english() -> bool:
    return not (get_language() or "ja").startswith("ja")


class SearchForm(forms.Form):
    """The search box, the order and the page of the public dataset list (GET)."""

    q = forms.CharField(label=_("Search datasets"), max_length=200, required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    sort = forms.ChoiceField(label=_("Order"), choices=SORTS, required=False)
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=PAGE_MAX, required=False,
                              widget=forms.HiddenInput)


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, organization):
        return (_english() and organization.title_en) or organization.title


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, group):
        return (_english() and group.title_en) or group.title


def split_tags(text: str) -> list[str]:
    """Tags typed as one line: separated by commas (also the Japanese 、 and full-width ，)."""
    return [part.strip() for part in re.split(r"[,、，]", text or "") if part.strip()]


class DatasetForm(forms.Form):
    """A dataset's metadata, for a new dataset and for changing one."""

    organization = OrganizationChoiceField(label=_("Publishing organization"),
                                           queryset=Organization.objects.none(),
                                           empty_label=None)
    name = forms.CharField(
        label=_("Name in the address"), max_length=100,
        help_text=_("2 to 100 characters: lower-case letters a–z, digits, “-” and “_”. It "
                    "becomes the dataset's address (/dataset/<name>) and should not change."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}))
    title = forms.CharField(label=_("Title (Japanese)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    notes = forms.CharField(label=_("Description (Japanese)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 5}))
    notes_en = forms.CharField(label=_("Description (English)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 5}))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=2000,
                           help_text=_("Separated by commas, e.g. 防災, 避難所"))
    groups = GroupChoiceField(label=_("Themes"), queryset=Group.objects.all(),
                              to_field_name="name", required=False,
                              widget=forms.CheckboxSelectMultiple)
    license_id = forms.ChoiceField(label=_("Licence"), choices=licence_choices,
                                   initial=DEFAULT_LICENCE)
    update_frequency = forms.ChoiceField(label=_("Update frequency"),
                                         choices=Dataset.Frequency.choices,
                                         initial=Dataset.Frequency.IRREGULAR)
    spatial = forms.CharField(label=_("Spatial coverage"), max_length=200, required=False,
                              initial="東京都港区")
    temporal_start = forms.DateField(label=_("Covers from"), required=False,
                                     help_text=_("YYYY-MM-DD"),
                                     widget=forms.DateInput(attrs={"type": "date"}))
    temporal_end = forms.DateField(label=_("Covers until"), required=False,
                                   help_text=_("YYYY-MM-DD"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    contact_name = forms.CharField(label=_("Contact"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    url = forms.URLField(label=_("Source page"), max_length=500, required=False,
                         assume_scheme="https")
    version = forms.CharField(label=_("Version"), max_length=100, required=False)
    standard = forms.CharField(
        label=_("Standard dataset type"), max_length=100, required=False,
        help_text=_("The 自治体標準オープンデータセット type this dataset follows, if any."))
    private = forms.BooleanField(
        label=_("Private"), required=False,
        help_text=_("Private datasets are seen only by staff who may edit them."))
    state = forms.ChoiceField(
        label=_("State"), initial=Dataset.State.ACTIVE,
        choices=[(Dataset.State.ACTIVE, _("Published")), (Dataset.State.DRAFT, _("Draft"))],
        widget=forms.RadioSelect)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def clean(self):
        data = super().clean()
        start, end = data.get("temporal_start"), data.get("temporal_end")
        if start and end and start > end:
            self.add_error("temporal_end", _("The coverage cannot end before it starts."))
        return data

    def service_values(self) -> dict:
        """The cleaned data as the keyword arguments of `dataset_create`/`dataset_update`."""
        data = dict(self.cleaned_data)
        data["tags"] = split_tags(data["tags"])
        data["groups"] = [group.name for group in data["groups"]]
        return data

    @staticmethod
    def initial_for(dataset: Dataset) -> dict:
        values = {name: getattr(dataset, name) for name in (
            "name", "title", "title_en", "notes", "notes_en", "license_id",
            "update_frequency", "spatial", "temporal_start", "temporal_end", "contact_name",
            "contact_email", "contact_phone", "url", "version", "standard", "private",
            "state")}
        values["organization"] = dataset.organization_id
        values["tags"] = ", ".join(dataset.tags.values_list("name", flat=True))
        values["groups"] = list(dataset.groups.values_list("name", flat=True))
        return values


class ResourceForm(forms.Form):
    """A new resource: a file to upload, or the address of data kept elsewhere."""

    name = forms.CharField(label=_("Name (Japanese)"), max_length=300)
    name_en = forms.CharField(label=_("Name (English)"), max_length=300, required=False)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(
        label=_("File"), required=False,
        help_text=_("CSV (UTF-8 or Shift_JIS), JSON, GeoJSON, XLSX or PDF. A CSV in Shift_JIS "
                    "is converted to UTF-8."))
    url = forms.URLField(label=_("Or the address of the data"), max_length=1000,
                         required=False, assume_scheme="https",
                         help_text=_("For data kept on another site. Leave empty when you "
                                     "upload a file."))
    format = forms.ChoiceField(
        label=_("Format of the linked data"), required=False,
        choices=[("", _("Not given"))] + [(name, name) for name in FORMATS])

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("file")) == bool(data.get("url")):
            raise forms.ValidationError(_("Give either a file or an address, not both."))
        return data


class ResourceEditForm(forms.Form):
    """A resource's name and description, a new address for a link, a new file for an upload
    (left empty, the file stays)."""

    name = forms.CharField(label=_("Name (Japanese)"), max_length=300)
    name_en = forms.CharField(label=_("Name (English)"), max_length=300, required=False)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("Address of the data"), max_length=1000, assume_scheme="https")
    file = forms.FileField(label=_("Replace the file"), required=False,
                           help_text=_("Leave empty to keep the current file."))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == "link":
            del self.fields["file"]
        else:
            del self.fields["url"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=100,
                           help_text=_("e.g. “monthly upload script”"))


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Title or name contains"), max_length=200, required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    organization = OrganizationChoiceField(label=_("Organization"), required=False,
                                           queryset=Organization.objects.none(),
                                           empty_label=_("All"), to_field_name="name")
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("All")), (Dataset.State.ACTIVE, _("Published")),
        (Dataset.State.DRAFT, _("Draft")), ("private", _("Private"))])

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
