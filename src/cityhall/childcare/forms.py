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
