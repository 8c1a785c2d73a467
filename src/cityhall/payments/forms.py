"""Forms of the payment pages."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Fee, Method, Provider


class CounterPaymentForm(forms.Form):
    """A payment taken at the counter. The hidden key is made when the form is shown, so a
    second click or a resent form records the payment once."""

    fee = forms.ModelChoiceField(
        label=_("Fee"), queryset=Fee.objects.filter(is_active=True), required=False,
        empty_label=_("(another amount)"),
        help_text=_("Choose a fee of the schedule, or leave this and enter the amount and what "
                    "it is for."))
    quantity = forms.IntegerField(label=_("Number"), min_value=1, max_value=100, initial=1,
                                  error_messages={"min_value": _("Enter at least 1."),
                                                  "max_value": _("Enter at most 100."),
                                                  "invalid": _("Enter a whole number.")})
    amount_yen = forms.IntegerField(
        label=_("Amount (yen)"), required=False, min_value=1, max_value=10_000_000,
        help_text=_("Only when no fee is chosen."),
        error_messages={"min_value": _("Enter an amount of at least 1 yen."),
                        "max_value": _("Enter an amount of at most 10,000,000 yen."),
                        "invalid": _("Enter the amount in whole yen, e.g. 300.")})
    purpose_label = forms.CharField(label=_("What it is for"), required=False, max_length=200)
    method = forms.ChoiceField(
        label=_("How it was paid"), widget=forms.RadioSelect,
        choices=[(Method.CASH, Method.CASH.label), (Method.E_MONEY, Method.E_MONEY.label),
                 (Method.QR, Method.QR.label), (Method.CARD, Method.CARD.label)],
        error_messages={"required": _("Choose how it was paid.")})
    payer_name = forms.CharField(label=_("Payer's name (for the receipt)"), required=False,
                                 max_length=100)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean(self):
        data = super().clean()
        if not data.get("fee") and not data.get("amount_yen"):
            self.add_error("amount_yen", _("Choose a fee or enter an amount."))
        if not data.get("fee") and not (data.get("purpose_label") or "").strip():
            self.add_error("purpose_label", _("Say what the payment is for."))
        return data


class RefundRequestForm(forms.Form):
    amount_yen = forms.IntegerField(
        label=_("Amount to refund (yen)"), min_value=1,
        error_messages={"min_value": _("Enter an amount of at least 1 yen."),
                        "invalid": _("Enter the amount in whole yen, e.g. 300."),
                        "required": _("Enter the amount to refund.")})
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("Give the reason for the refund.")})


class RefundDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("approve", _("Approve and pay back")), ("reject", _("Reject"))],
        error_messages={"required": _("Choose approve or reject.")})
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ReconciliationForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}),
                          required=False, error_messages={"invalid": _(
                              "Enter the date as year-month-day, e.g. 2026-04-01.")})
    department = forms.ChoiceField(label=_("Department"), required=False)
    provider = forms.ChoiceField(label=_("Provider"), required=False, choices=[
        ("", _("All")), *Provider.choices])

    def __init__(self, *args, **kwargs):
        from django.db.models import Q

        from cityhall.core.models import Department

        from .selectors import department_label

        super().__init__(*args, **kwargs)
        # Departments that have fees or have received a payment (an application's fee is
        # paid to the procedure's department, which may have no fee of its own).
        self.fields["department"].choices = [("", _("All")), *[
            (department.code, department_label(department)) for department in
            Department.objects.filter(Q(fees__isnull=False) | Q(payments__isnull=False))
            .select_related("branch_office").distinct().order_by("code")]]

    def chosen_day(self) -> datetime.date:
        return self.cleaned_data.get("day") or timezone.localdate()
