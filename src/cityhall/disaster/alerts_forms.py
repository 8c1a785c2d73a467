"""Forms of the alert staff pages (取組12): a template's parameters (built from the
template's parameter list), or Japanese free text with its CAP fields, plus the areas, the
times and the status. Every message is translated; the rules live in the services."""

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import BranchOffice, Facility

from . import alerts_texts
from .models import Alert

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"},
                                      format="%Y-%m-%dT%H:%M")
DATETIME_ERROR = {"invalid": _("Enter the date and time as year-month-day hour:minute, e.g. "
                               "2026-09-01 14:30.")}


def staff_language() -> str:
    return "ja" if (get_language() or "ja").startswith("ja") else "en"


def _option_label(option: dict) -> str:
    return option[staff_language()]


class AlertBaseForm(forms.Form):
    """What every alert has: where, when, and whether it is real."""

    areas = forms.MultipleChoiceField(
        label=_("Affected areas"), widget=forms.CheckboxSelectMultiple,
        help_text=_("Subscribers of these areas are told; “All of Minato City” is the main "
                    "city hall's area."),
        error_messages={"required": _("Choose at least one affected area."),
                        "invalid_choice": _("Choose the affected areas from the list.")})
    status = forms.ChoiceField(
        label=_("Status"), choices=Alert.Status.choices, initial=Alert.Status.ACTUAL,
        help_text=_("“Exercise” for drills and “Test” for technical tests: receivers do not "
                    "act on them."))
    onset = forms.DateTimeField(
        label=_("Onset"), required=False, widget=DATETIME_WIDGET,
        error_messages=DATETIME_ERROR,
        help_text=_("Leave empty for “from when it is published”."))
    expires = forms.DateTimeField(
        label=_("Expires"), required=False, widget=DATETIME_WIDGET,
        error_messages=DATETIME_ERROR,
        help_text=_("The banner and the feeds drop the alert at this time. Empty: the "
                    "template's usual duration."))
    polygon = forms.CharField(
        label=_("Polygon (optional)"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_('CAP polygon: "lat,lon" pairs separated by spaces, at least four, the '
                    "first repeated at the end, e.g. 35.65,139.74 35.66,139.75 35.64,139.76 "
                    "35.65,139.74"))
    circle = forms.CharField(
        label=_("Circle (optional)"), required=False, max_length=80,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        help_text=_('CAP circle: "lat,lon radius_km", e.g. 35.6581,139.7516 2'))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = staff_language()
        self.fields["areas"].choices = [
            (office.code, alerts_texts.area_name(office.code, language, fallback=office.name))
            for office in BranchOffice.objects.order_by("sort_order", "code")]

    def clean(self):
        cleaned = super().clean()
        onset, expires = cleaned.get("onset"), cleaned.get("expires")
        if expires and expires <= (onset or timezone.now()):
            self.add_error("expires", _("The alert must expire after its onset, in the "
                                        "future."))
        return cleaned


def template_form_class(template: alerts_texts.AlertTemplate):
    """A form with one field per parameter of `template`."""
    fields = {}
    for param in template.params:
        if param.kind == "choice":
            fields[param.name] = forms.ChoiceField(
                label=PARAM_LABELS.get(param.name, param.name),
                choices=[("", "---------")] + [
                    (key, _option_label(option))
                    for key, option in alerts_texts.choice_options(param.choices).items()],
                error_messages={"required": _("Choose one."),
                                "invalid_choice": _("Choose one of the offered values.")})
        elif param.kind == "time":
            fields[param.name] = forms.DateTimeField(
                label=PARAM_LABELS.get(param.name, param.name), widget=DATETIME_WIDGET,
                error_messages={**DATETIME_ERROR, "required": _("Enter the time.")})
        elif param.kind == "date":
            fields[param.name] = forms.DateField(
                label=PARAM_LABELS.get(param.name, param.name),
                widget=forms.DateInput(attrs={"type": "date"}),
                error_messages={"invalid": _("Enter the date as year-month-day."),
                                "required": _("Enter the date.")})
        elif param.kind == "shelter":
            fields[param.name] = forms.ChoiceField(
                label=PARAM_LABELS.get(param.name, param.name),
                error_messages={"required": _("Choose the shelter."),
                                "invalid_choice": _("Choose a shelter from the list.")})
    form_class = type("TemplateParamsForm", (AlertBaseForm,), fields)

    def init(self, *args, **kwargs):
        AlertBaseForm.__init__(self, *args, **kwargs)
        language = staff_language()
        for param in template.params:
            if param.kind == "shelter":
                self.fields[param.name].choices = [("", "---------")] + [
                    (facility.code, facility.name if language == "ja"
                     else (facility.name_en or facility.name))
                    for facility in Facility.objects.filter(kind__in=[
                        Facility.Kind.SHELTER, Facility.Kind.EVACUATION_SITE]).order_by(
                        "kind", "name_kana", "name")]

    form_class.__init__ = init
    return form_class


PARAM_LABELS = {
    "hazard": _("Hazard"),
    "time": _("Time issued"),
    "date": _("Date"),
    "shelter": _("Shelter"),
    "warning": _("Warning"),
    "intensity": _("Seismic intensity"),
    "alert": _("Alert"),
}


def template_params(template, cleaned: dict) -> dict:
    """The parameters as the service takes them (strings)."""
    params = {}
    for param in template.params:
        value = cleaned.get(param.name)
        params[param.name] = value.isoformat() if hasattr(value, "isoformat") else value
    return params


class FreeTextForm(AlertBaseForm):
    """Japanese free text: published as written, marked as not translated."""

    headline = forms.CharField(label=_("Headline (Japanese)"), max_length=160,
                               error_messages={"required": _("Write a headline.")})
    description = forms.CharField(label=_("Description (Japanese)"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  error_messages={"required": _("Write a description.")})
    instruction = forms.CharField(label=_("What to do (Japanese)"), required=False,
                                  max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("CAP category"),
                                 choices=[(c, c) for c in Alert.CATEGORIES], initial="Safety")
    response_types = forms.MultipleChoiceField(
        label=_("CAP response type"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(r, r) for r in Alert.RESPONSE_TYPES])
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Alert.Urgency.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Alert.Severity.choices)
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Alert.Certainty.choices)

    field_order = ["headline", "description", "instruction", "category", "response_types",
                   "urgency", "severity", "certainty", "areas", "status", "onset", "expires",
                   "polygon", "circle"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("expires") and "expires" not in self.errors:
            self.add_error("expires", _("Say when the alert expires."))
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (recorded in the audit trail)"), max_length=500,
                             required=False, widget=forms.Textarea(attrs={"rows": 2}))
