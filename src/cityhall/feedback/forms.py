"""Forms of the feedback pages (取組11). They parse and check the shape of the input; the rules
(lengths, an address for a reply, personal data in a Q&A entry) are the services'."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department

from .models import ANSWER_MAX, SUMMARY_MAX, TEXT_MAX, Opinion, Topic


class TopicChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, topic):
        from django.utils.translation import get_language

        return topic.name if (get_language() or "ja").startswith("ja") else topic.name_en


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        from django.utils.translation import get_language

        if (get_language() or "ja").startswith("ja"):
            return department.name
        return department.name_en


class OpinionForm(forms.Form):
    topic = TopicChoiceField(label=_("Topic"), queryset=Topic.objects.filter(active=True),
                             empty_label=_("Choose a topic"))
    kind = forms.ChoiceField(label=_("What kind of message is it?"),
                             choices=Opinion.Kind.choices, initial=Opinion.Kind.OPINION,
                             widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Your opinion"), max_length=TEXT_MAX,
        help_text=_("At most %(max)s characters. Please do not write other people's personal "
                    "data.") % {"max": TEXT_MAX},
        widget=forms.Textarea(attrs={"rows": 8}))
    wants_reply = forms.BooleanField(
        label=_("I would like a reply"), required=False,
        help_text=_("A reply needs an email address, or sign in before you send."))
    contact_name = forms.CharField(label=_("Name (optional)"), max_length=100, required=False,
                                   widget=forms.TextInput(attrs={"autocomplete": "name"}))
    contact_email = forms.EmailField(
        label=_("Email address (optional)"), required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    contact_phone = forms.CharField(label=_("Telephone (optional)"), max_length=20,
                                    required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "tel",
                                                                  "inputmode": "tel"}))
    contact_address = forms.CharField(
        label=_("Postal address (optional)"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    consent_to_publish = forms.BooleanField(
        label=_("The city may publish a summary of my opinion and its answer"),
        required=False,
        help_text=_("Without your name or contact details. The city writes the summary."))

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            # The account is the contact: no contact details are asked for.
            for name in ("contact_name", "contact_email", "contact_phone", "contact_address"):
                del self.fields[name]
            self.fields["wants_reply"].help_text = _(
                "The reply comes to your account's inbox and email.")


class QASearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    topic = forms.SlugField(label=_("Topic"), required=False, widget=forms.Select)
    department = forms.SlugField(label=_("Department"), required=False, widget=forms.Select)

    def __init__(self, *args, topics=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].widget.choices = [("", _("All topics")), *topics]
        self.fields["department"].widget.choices = [("", _("All departments")),
                                                    *departments]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *Opinion.Status.choices])
    department = forms.CharField(label=_("Department"), required=False, max_length=40,
                                 widget=forms.Select)
    topic = forms.CharField(label=_("Topic"), required=False, max_length=40,
                            widget=forms.Select)

    def __init__(self, *args, topics=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].widget.choices = [("", _("All")), *topics]
        self.fields["department"].widget.choices = [("", _("All")),
                                                    ("none", _("Not routed yet")),
                                                    *departments]


class RouteForm(forms.Form):
    department = DepartmentChoiceField(label=_("Department"),
                                       queryset=Department.objects.order_by("code"))
    note = forms.CharField(label=_("Note for the department (optional)"), required=False,
                           max_length=500)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), max_length=ANSWER_MAX,
                           widget=forms.Textarea(attrs={"rows": 10}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)


class QAForm(forms.Form):
    question = forms.CharField(
        label=_("Question (summary)"), max_length=SUMMARY_MAX,
        help_text=_("In your own words, without names, addresses, email addresses or "
                    "telephone numbers."),
        widget=forms.Textarea(attrs={"rows": 4}))
    answer = forms.CharField(label=_("The city's answer"), max_length=ANSWER_MAX,
                             widget=forms.Textarea(attrs={"rows": 8}))


class MonthForm(forms.Form):
    month = forms.RegexField(label=_("Month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$",
                             required=False, help_text=_("e.g. 2026-04"),
                             error_messages={"invalid": _("Enter the month as YYYY-MM.")})
    encoding = forms.ChoiceField(label=_("CSV encoding"), required=False,
                                 choices=[("utf-8", _("UTF-8 (with BOM)")),
                                          ("shift_jis", _("Shift_JIS (Excel)"))])

    def clean_month(self):
        value = self.cleaned_data.get("month") or ""
        if value and not 2000 <= int(value[:4]) <= 2100:
            raise forms.ValidationError(_("Enter the month as YYYY-MM."))
        return value

    def month_date(self) -> datetime.date:
        value = self.cleaned_data.get("month")
        if not value:
            return timezone.localdate().replace(day=1)
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)
