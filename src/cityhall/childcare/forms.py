"""Forms of the staff pages of nursery admission (取組7): they check the shape of the input;
the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models.rounds import AGE_CLASS_CHOICES
from .services.tables import MAX_BYTES

NONE = "none"


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV in UTF-8 or Shift_JIS, or Excel .xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class PlacementFilterForm(forms.Form):
    nursery = forms.ChoiceField(label=_("Nursery"), required=False)
    age_class = forms.TypedChoiceField(
        label=_("Age class"), required=False, coerce=int, empty_value=None,
        choices=[("", _("All"))] + [(age, label) for age, label in AGE_CLASS_CHOICES])
    placed = forms.ChoiceField(label=_("Result"), required=False, choices=[
        ("", _("All")), ("yes", _("Placed")), ("no", _("Not placed")),
        ("blocking", _("In a blocking coalition")), ("changed", _("Changed by staff"))])

    def __init__(self, *args, nurseries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nursery"].choices = [("", _("All"))] + [
            (nursery.code, f"{nursery.code} {nursery.name}") for nursery in nurseries]


class OverrideForm(forms.Form):
    nursery = forms.ChoiceField(label=_("New placement"))
    reason = forms.CharField(label=_("Reason for the change"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Recorded in the audit log with your name."))

    def __init__(self, *args, nurseries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nursery"].choices = [(nursery.code, f"{nursery.code} {nursery.name}")
                                          for nursery in nurseries] + [
            (NONE, _("Not admitted"))]




class HouseholdOverrideForm(forms.Form):
    """One placement for all the children of a household (services.runs.household_override):
    a nursery every child wished or attends, or "not admitted"."""

    nursery = forms.ChoiceField(label=_("New placement of every child of the family"))
    reason = forms.CharField(label=_("Reason for the change"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Recorded in the audit log with your name, for each "
                                         "child."))

    def __init__(self, *args, nurseries=(), **kwargs):
        kwargs.setdefault("prefix", "household")
        super().__init__(*args, **kwargs)
        self.fields["nursery"].choices = [(nursery.code, f"{nursery.code} {nursery.name}")
                                          for nursery in nurseries] + [
            (NONE, _("Not admitted"))]


# -- The guardian's immunisation pages (取組23, imm-parents) -------------------------------------
# The forms check the shape of the input; the rules (dates, products) are the services'.

class _ServiceErrors:
    def add_service_error(self, error) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        if error.field and error.field in self.fields:
            self.add_error(error.field, str(error.message))
        else:
            self.add_error(None, str(error.message))


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ChildForm(_ServiceErrors, forms.Form):
    name = forms.CharField(label=_("Child's name"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    name_kana = forms.CharField(label=_("Child's name in kana"), max_length=100,
                                required=False,
                                help_text=_("Optional, for example ミナト ハナ."))
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=_DateInput(),
                                    help_text=_("For example 2026-04-15."))
    sex = forms.ChoiceField(label=_("Sex"), required=False, widget=forms.RadioSelect,
                            help_text=_("Used only to plan the HPV vaccine."))
    reminders = forms.BooleanField(
        label=_("Send me reminders"), required=False, initial=True,
        help_text=_("Tell me when a dose becomes due and before the free period ends."))

    def __init__(self, *args, **kwargs):
        from .models import ChildProfile

        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = [
            (ChildProfile.Sex.FEMALE, _("Girl")), (ChildProfile.Sex.MALE, _("Boy")),
            (ChildProfile.Sex.UNSPECIFIED, _("I would rather not say"))]


class DoseForm(_ServiceErrors, forms.Form):
    vaccine = forms.ChoiceField(label=_("Vaccine"))
    product = forms.ChoiceField(
        label=_("Product"), required=False,
        help_text=_("Needed for rotavirus, pneumococcal and HPV vaccines: the product name is "
                    "on the sticker in the handbook. Leave it empty for other vaccines."))
    given_on = forms.DateField(label=_("Date given"), widget=_DateInput())
    clinic = forms.CharField(label=_("Clinic"), max_length=200, required=False)
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, required=False,
                                 help_text=_("Optional, from the sticker in the handbook."))

    def __init__(self, *args, **kwargs):
        from .models import Vaccine
        from .models.immunisation import VACCINE_PRODUCTS

        super().__init__(*args, **kwargs)
        self.fields["vaccine"].choices = [("", _("Choose the vaccine")), *Vaccine.choices]
        self.fields["product"].choices = [("", _("No product (other vaccines)"))] + [
            (str(Vaccine(vaccine).label), [(p.value, p.label) for p in products])
            for vaccine, products in VACCINE_PRODUCTS.items()]


class RescheduleForm(_ServiceErrors, forms.Form):
    MISSED = "missed"
    NEW_DATE = "new_date"

    what = forms.ChoiceField(label=_("What happened?"), widget=forms.RadioSelect, choices=[
        (MISSED, _("I missed it: plan it again from today")),
        (NEW_DATE, _("It is postponed to a new date"))], initial=NEW_DATE)
    new_date = forms.DateField(label=_("New date"), required=False, widget=_DateInput(),
                               help_text=_("Only for a postponed dose."))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("what") == self.NEW_DATE and not cleaned.get("new_date") \
                and "new_date" not in self.errors:
            self.add_error("new_date", _("Please enter the new date."))
        return cleaned
