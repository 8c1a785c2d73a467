"""Forms of core pages. Every error message is translated; business rules live in services."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import BranchOffice, Consent, Facility, ResidentProfile, Town

KANA_PATTERN = r"^[\u30A0-\u30FF\u3040-\u309F\u30FC\u3000 ]+$"


class ResidentProfileForm(forms.ModelForm):
    accessibility_needs = forms.MultipleChoiceField(
        label=_("Accessibility needs"), required=False,
        choices=ResidentProfile.AccessibilityNeed.choices, widget=forms.CheckboxSelectMultiple)
    preferred_language = forms.ChoiceField(label=_("Preferred language"),
                                           choices=settings.LANGUAGES)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        help_text=_("For example 1985-04-01."),
        error_messages={"invalid": _("Enter the date as year-month-day, e.g. 1985-04-01.")})
    family_name_kana = forms.RegexField(
        label=_("Family name (kana)"), regex=KANA_PATTERN, max_length=80,
        error_messages={"invalid": _("Please write the name in katakana or hiragana.")})
    given_name_kana = forms.RegexField(
        label=_("Given name (kana)"), regex=KANA_PATTERN, max_length=80,
        error_messages={"invalid": _("Please write the name in katakana or hiragana.")})
    phone = forms.RegexField(
        label=_("Phone"), regex=r"^\+?[0-9][0-9\- ]{8,18}$", required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"invalid": _("Enter a phone number such as 03-3578-2111.")})

    class Meta:
        model = ResidentProfile
        fields = ["family_name", "given_name", "family_name_kana", "given_name_kana",
                  "date_of_birth", "town", "block_number", "phone", "preferred_language",
                  "accessibility_needs"]
        # Autocomplete tokens let browsers and assistive tools fill the form (WCAG 1.3.5).
        widgets = {"family_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
                   "given_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
                   "block_number": forms.TextInput(attrs={"autocomplete": "address-line2"})}
        labels = {"family_name": _("Family name"), "given_name": _("Given name"),
                  "town": _("Town and chōme"), "block_number": _("Block and building number")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = Town.objects.order_by("name_kana", "chome")
        self.fields["town"].label_from_instance = lambda town: town.label
        self.fields["town"].error_messages["invalid_choice"] = _(
            "Please choose a town in this city.")
        for field in self.fields.values():
            field.error_messages.setdefault("required", _("This field is required."))


class ConsentForm(forms.Form):
    purposes = forms.MultipleChoiceField(label=_("I agree that the city may"), required=False,
                                         choices=Consent.Purpose.choices,
                                         widget=forms.CheckboxSelectMultiple)


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    confirm = forms.BooleanField(
        label=_("I understand that my account and my data will be deleted."),
        error_messages={"required": _("Please confirm that you want to delete your account.")})

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password


class ResidentReadPurposeForm(forms.Form):
    """Staff say why they open a resident's record; the reason goes into the audit log."""

    purpose = forms.CharField(
        label=_("Reason for viewing"), min_length=4, max_length=200,
        help_text=_("For example: counter enquiry about a moving-in notification."),
        error_messages={"required": _("Please give the reason for viewing this record."),
                        "min_length": _("Please describe the reason in a few words.")})


class FacilityFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Facility.Kind.choices],
        error_messages={"invalid_choice": _("Please choose a kind from the list.")})
    branch_office = forms.ModelChoiceField(
        label=_("Area"), required=False, to_field_name="code",
        queryset=BranchOffice.objects.filter(is_main_office=False),
        error_messages={"invalid_choice": _("Please choose an area from the list.")})
