"""Forms of the residents' online nursery applications (取組7) and of the staff check. They
check the shape of the input and show the services' rules as field errors (the rules live in
`services.online`, which checks them again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .matching.model import MAX_WISHES, SiblingRule
from .models import Nursery, PointsItem
from .services import online

NOT_ATTENDING = ""

# Each sibling rule in plain words (the engine's values, docs/childcare.md).
SIBLING_RULE_CHOICES = [
    (SiblingRule.INDEPENDENT.value,
     _("Independent: each child is considered on their own, as if applying alone.")),
    (SiblingRule.SAME_FACILITY_ONLY.value,
     _("Same nursery only: all the children in one nursery together, or none of them is "
       "admitted.")),
    (SiblingRule.SAME_PREFERRED.value,
     _("Same nursery preferred: together if possible; different nurseries are accepted, "
       "and one child may be admitted without the other.")),
    (SiblingRule.ALL_OR_NONE.value,
     _("All or none: different nurseries are accepted, but only if every child is "
       "admitted.")),
    (SiblingRule.ELDER_MAY_GO_ALONE.value,
     _("Elder may go alone: together preferred; the elder child may be admitted alone, the "
       "younger only together with the elder.")),
    (SiblingRule.YOUNGER_MAY_GO_ALONE.value,
     _("Younger may go alone: together preferred; the younger child may be admitted alone, "
       "the elder only together with the younger.")),
    (SiblingRule.STAGGERED_SAME_FACILITY.value,
     _("Same nursery, different months: the children admitted now are together in one "
       "nursery that every child still waiting also wished, so that they can join later.")),
    (SiblingRule.STAGGERED_SEPARATE.value,
     _("Different nurseries, different months: any of the children may be admitted now, "
       "anywhere they wished; more children admitted comes first, then the same nursery.")),
]


def _nursery_label(nursery: Nursery) -> str:
    return f"{nursery.name} ({nursery.code})"


class ChildForm(forms.Form):
    child_name = forms.CharField(label=_("Child's name"), max_length=online.MAX_NAME,
                                 help_text=_("As in the family register, e.g. 港 一郎."))
    child_name_kana = forms.CharField(label=_("Child's name in kana"),
                                      max_length=online.MAX_NAME,
                                      help_text=_("e.g. ミナト イチロウ"))
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Year-month-day, e.g. 2025-06-30. The age class is the child's age on 1 "
                    "April of the admission year."))
    current_nursery = forms.ChoiceField(
        label=_("Nursery the child attends now (転園)"), required=False,
        help_text=_("Only if the child already attends a licensed nursery and you apply for "
                    "a transfer. The child keeps that place unless a wished nursery is "
                    "given."))

    def __init__(self, *args, nurseries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.nurseries = {str(nursery.pk): nursery for nursery in nurseries}
        self.fields["current_nursery"].choices = [
            (NOT_ATTENDING, _("Does not attend a licensed nursery"))] + [
            (key, _nursery_label(nursery)) for key, nursery in self.nurseries.items()]
        self.fields["child_name"].widget.attrs["autocomplete"] = "off"
        self.fields["child_name_kana"].widget.attrs["autocomplete"] = "off"

    def nursery(self):
        return self.nurseries.get(self.cleaned_data.get("current_nursery") or "")


class WishesForm(forms.Form):
    """MAX_WISHES lines, the first is the first choice; empty lines are skipped."""

    def __init__(self, *args, nurseries=(), application=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.eligible = list(nurseries)
        self.by_key = {str(nursery.pk): nursery for nursery in self.eligible}
        choices = [("", _("(none)"))] + [(key, _nursery_label(nursery))
                                         for key, nursery in self.by_key.items()]
        for rank in range(1, MAX_WISHES + 1):
            self.fields[f"wish_{rank}"] = forms.ChoiceField(
                label=_("Wish %(rank)d") % {"rank": rank},
                required=False, choices=choices)

    def nurseries(self) -> list[Nursery | None]:
        return [self.by_key.get(self.cleaned_data.get(f"wish_{rank}") or "")
                for rank in range(1, MAX_WISHES + 1)]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        given = self.nurseries()
        # Errors name the line the resident filled in (empty lines are skipped).
        positions = [rank for rank, nursery in enumerate(given, start=1) if nursery]
        compact = [nursery for nursery in given if nursery]
        for index, message in online.wish_errors(self.application, compact, self.eligible):
            rank = positions[index - 1] if 0 < index <= len(positions) else 1
            self.add_error(f"wish_{rank}", message)
        return data


class FamilyForm(forms.Form):
    parent1 = forms.ChoiceField(
        label=_("Situation of parent 1"),
        help_text=_("The situation that lets you need childcare (work, study, illness…). "
                    "Staff check it against the certificate you hand in."))
    parent2 = forms.ChoiceField(
        label=_("Situation of parent 2"), required=False,
        help_text=_("If there is no second parent in the household, choose the item for an "
                    "absent parent where the table has one."))
    adjustments = forms.MultipleChoiceField(
        label=_("Adjustments the family claims (調整指数)"), required=False,
        widget=forms.CheckboxSelectMultiple)
    sibling_rule = forms.ChoiceField(
        label=_("If not all the children can get a place (兄弟姉妹の希望)"),
        choices=SIBLING_RULE_CHOICES, widget=forms.RadioSelect,
        initial=SiblingRule.INDEPENDENT.value)
    single_parent = forms.BooleanField(label=_("Single-parent household (ひとり親)"),
                                       required=False)
    public_assistance = forms.BooleanField(label=_("The household receives public "
                                                   "assistance (生活保護)"), required=False)
    disability = forms.BooleanField(label=_("Someone in the household has a disability "
                                            "(障害)"), required=False)
    sibling_enrolled = forms.BooleanField(label=_("A sibling already attends a nursery "
                                                  "(兄弟在園)"), required=False)
    resident_tax = forms.IntegerField(
        label=_("Resident tax, income levy of the household, in yen (住民税所得割額)"),
        required=False, min_value=0, max_value=online.MAX_RESIDENT_TAX,
        help_text=_("Optional. Used only to decide between children with the same score; "
                    "staff confirm it from the tax records."))

    def __init__(self, *args, items=(), children=1, **kwargs):
        super().__init__(*args, **kwargs)
        basic = [(item.code, f"{item.label} ({item.points:+d})") for item in items
                 if item.kind == PointsItem.Kind.BASIC]
        adjustment = [(item.code, f"{item.label} ({item.points:+d})") for item in items
                      if item.kind == PointsItem.Kind.ADJUSTMENT]
        self.fields["parent1"].choices = [("", _("Choose…")), *basic]
        self.fields["parent2"].choices = [("", _("No second parent given")), *basic]
        self.fields["adjustments"].choices = adjustment
        self.fields["resident_tax"].widget.attrs["inputmode"] = "numeric"
        if children < 2:
            del self.fields["sibling_rule"]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("sibling_rule", SiblingRule.INDEPENDENT.value)
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning the application"), max_length=online.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The resident reads it. Recorded in the audit log with your name."))


class DocumentForm(forms.Form):
    """One document attached to the online application (添付書類). The accepted types and the
    size are the procedures engine's rules for uploads (`services.online_documents`)."""

    kind = forms.ChoiceField(label=_("Kind of document"))
    parent = forms.ChoiceField(label=_("Whose situation it shows"), required=False)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        from cityhall.procedures.attachments import megabytes, type_labels

        from .models import OnlineDocument
        from .services.online_documents import document_rules

        super().__init__(*args, **kwargs)
        rules = document_rules()
        self.fields["kind"].choices = [("", _("Choose…")), *OnlineDocument.Kind.choices]
        self.fields["parent"].choices = [("", _("The whole family"))] + [
            (str(value), label) for value, label in OnlineDocument.Parent.choices]
        self.fields["file"].widget = forms.FileInput(attrs={"accept": ",".join(rules["accept"])})
        self.fields["file"].help_text = _(
            "%(types)s, at most %(size)s. A photo of the paper taken with a phone is accepted "
            "if every word can be read.") % {"types": type_labels(rules["accept"]),
                                             "size": megabytes(rules["max_bytes"])}
