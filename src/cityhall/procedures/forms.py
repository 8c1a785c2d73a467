"""Forms of the procedure pages. The navigator's form is built from a life event's questions,
so staff add a question without touching code."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

UNKNOWN = ""


def _label(item: dict) -> str:
    language = (get_language() or "ja").split("-")[0]
    return item.get("label_en") if language != "ja" and item.get("label_en") else item.get(
        "label_ja", "")


class ProcedureSearchForm(forms.Form):
    q = forms.CharField(label=_("Search procedures"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    life_event = forms.SlugField(required=False, widget=forms.HiddenInput)


class NavigatorForm(forms.Form):
    """The event date and the life event's questions; every question may be left unanswered
    ("I don't know / skip"), which widens the checklist."""

    event_date = forms.DateField(
        label=_("Date of the event"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Deadlines are counted from this date. Leave it empty if you do not know "
                    "it yet."),
        error_messages={"invalid": _("Enter the date as year-month-day, e.g. 2026-04-01.")})

    def __init__(self, *args, life_event, **kwargs):
        super().__init__(*args, **kwargs)
        self.life_event = life_event
        for question in life_event.questions:
            self.fields[f"q_{question['key']}"] = self._field_for(question)

    def _field_for(self, question: dict):
        label = _label(question)
        if question["type"] == "bool":
            return forms.TypedChoiceField(
                label=label, required=False, widget=forms.RadioSelect,
                choices=[("yes", _("Yes")), ("no", _("No")), (UNKNOWN, _("Don't know / skip"))],
                coerce=lambda value: {"yes": True, "no": False}.get(value),
                empty_value=None, initial=UNKNOWN,
                error_messages={"invalid_choice": _("Please choose one of the answers.")})
        if question["type"] == "choice":
            return forms.ChoiceField(
                label=label, required=False, widget=forms.RadioSelect,
                choices=[*[(choice["value"], _label(choice)) for choice in question["choices"]],
                         (UNKNOWN, _("Don't know / skip"))],
                initial=UNKNOWN,
                error_messages={"invalid_choice": _("Please choose one of the answers.")})
        return forms.IntegerField(
            label=label, required=False, min_value=question.get("min"),
            max_value=question.get("max"),
            error_messages={"invalid": _("Enter a whole number."),
                            "min_value": _("Enter a number of at least %(limit_value)s."),
                            "max_value": _("Enter a number of at most %(limit_value)s.")})

    def answers(self) -> dict:
        """The answers given, by question key; unanswered questions are left out."""
        answers = {}
        for question in self.life_event.questions:
            value = self.cleaned_data.get(f"q_{question['key']}")
            if value is not None and value != UNKNOWN:
                answers[question["key"]] = value
        return answers


def navigator_query(life_event, answers: dict, event_date) -> dict:
    """The GET parameters that reproduce a checklist (for links and saved checklists)."""
    params = {"event_date": event_date.isoformat() if event_date else ""}
    for question in life_event.questions:
        if question["key"] not in answers:
            continue
        value = answers[question["key"]]
        if question["type"] == "bool":
            value = "yes" if value else "no"
        params[f"q_{question['key']}"] = value
    params["show"] = "1"
    return params


class ReviewActionForm(forms.Form):
    """What a reviewer does with an application: decide, comment, or take it."""

    ACTIONS = [
        ("in_review", _("Start the review")),
        ("returned", _("Return to the applicant for correction")),
        ("approved", _("Approve")),
        ("rejected", _("Reject")),
        ("completed", _("Mark as completed")),
        ("comment", _("Only add a comment")),
        ("assign_me", _("Assign to me")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, widget=forms.RadioSelect,
                               error_messages={"required": _("Choose what to do."),
                                               "invalid_choice": _("Choose what to do.")})
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you return an application: tell the applicant what to "
                    "correct."))
    is_internal = forms.BooleanField(
        label=_("Internal note (not shown to the applicant)"), required=False)


class ReviewFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    mine = forms.BooleanField(label=_("Only applications assigned to me"), required=False)

    def __init__(self, *args, **kwargs):
        from .models import Application

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Open (submitted, in review, returned)")),
            *[(value, label) for value, label in Application.Status.choices
              if value != "draft"]]


# --- write-less counter ----------------------------------------------------------------------

class CounterStartForm(forms.Form):
    life_event = forms.ModelChoiceField(
        label=_("Life event"), queryset=None, empty_label=None,
        error_messages={"required": _("Choose the life event."),
                        "invalid_choice": _("Choose the life event.")})
    q = forms.CharField(label=_("Find the resident by family name (kana or kanji)"),
                        required=False, max_length=40,
                        help_text=_("Leave empty to serve a visitor who is not registered: "
                                    "you will enter their details once."))

    def __init__(self, *args, **kwargs):
        from .selectors import published_life_events

        super().__init__(*args, **kwargs)
        self.fields["life_event"].queryset = published_life_events()
        self.fields["life_event"].label_from_instance = _label_of_event


def _label_of_event(event) -> str:
    language = (get_language() or "ja").split("-")[0]
    return event.name_en if language != "ja" and event.name_en else event.name_ja


class CounterChooseForm(forms.Form):
    procedures = forms.MultipleChoiceField(
        label=_("Forms to print"), required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose only procedures that apply to this "
                                            "life event.")})

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedures"].choices = choices


class CounterFactsForm(forms.Form):
    """One field per fact the chosen forms ask; a value corrected here changes every form."""

    def __init__(self, *args, keys, **kwargs):
        from .counter import FACTS
        from .services import FACT_MAX_LENGTH

        super().__init__(*args, **kwargs)
        for key in keys:
            fact = FACTS[key]
            if fact.kind == "date":
                self.fields[key] = forms.DateField(
                    label=fact.label, required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                    error_messages={"invalid": _("Enter the date as year-month-day, e.g. "
                                                 "2026-04-01.")})
            else:
                self.fields[key] = forms.CharField(
                    label=fact.label, required=False, max_length=FACT_MAX_LENGTH[fact.kind],
                    widget=forms.Textarea(attrs={"rows": 3}) if fact.kind == "long" else None,
                    error_messages={"max_length": _("Please use at most %(limit_value)d "
                                                    "characters.")})

    def facts(self) -> dict:
        return {key: value.isoformat() if hasattr(value, "isoformat") else (value or "")
                for key, value in self.cleaned_data.items()}


class CounterPaymentForm(forms.Form):
    """A fee paid at the counter: the number on the counter's receipt (領収書番号)."""

    reference = forms.CharField(
        label=_("Receipt number"), max_length=80,
        help_text=_("The number printed on the receipt given at the counter."),
        error_messages={"required": _("Enter the receipt number.")})
