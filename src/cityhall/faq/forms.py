"""Forms of the FAQ pages (取組6, 8, 19): the question box and the staff editors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department

from .models import Category, Entry


class AskForm(forms.Form):
    # No max_length here: a too-long question gets the chat's polite reply, not a form error.
    q = forms.CharField(label=_("Your question"), required=False, strip=False,
                        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}))


class EntryForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=80,
                          help_text=_("Lower-case letters, digits and hyphens; part of the "
                                      "page address."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(),
                                      to_field_name="code")
    department = forms.ModelChoiceField(label=_("Department"), required=False,
                                        queryset=Department.objects.all(), to_field_name="code")
    contact = forms.CharField(label=_("Contact"), required=False, max_length=300,
                              help_text=Entry._meta.get_field("contact").help_text)
    question_ja = forms.CharField(label=_("Question (Japanese)"), max_length=300)
    answer_ja = forms.CharField(label=_("Answer (Japanese)"), widget=forms.Textarea,
                                help_text=_("Paragraphs, lists, bold text and links: p, ul, "
                                            "ol, li, strong, em, a href."))
    phrasings_ja = forms.CharField(label=_("Other phrasings (Japanese)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text=_("One per line: how residents ask it."))
    question_en = forms.CharField(label=_("Question (English)"), required=False,
                                  max_length=300)
    answer_en = forms.CharField(label=_("Answer (English)"), required=False,
                                widget=forms.Textarea)
    phrasings_en = forms.CharField(label=_("Other phrasings (English)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}))
    related = forms.CharField(label=_("Related pages"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("One address per line, e.g. /procedures/moving-in/"))
    review_date = forms.DateField(label=_("Review by"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_from(cls, entry: Entry) -> dict:
        return {
            "key": entry.key, "category": entry.category.code,
            "department": entry.department.code if entry.department else None,
            "contact": entry.contact, "question_ja": entry.question_ja,
            "answer_ja": entry.answer_ja, "phrasings_ja": "\n".join(entry.phrasings_ja),
            "question_en": entry.question_en, "answer_en": entry.answer_en,
            "phrasings_en": "\n".join(entry.phrasings_en), "related": "\n".join(entry.related),
            "review_date": entry.review_date, "revision": entry.revision,
        }


class SynonymForm(forms.Form):
    terms = forms.CharField(label=_("Words that mean the same"), max_length=2000,
                            help_text=_("Separate the words with commas or new lines, e.g. "
                                        "粗大ごみ, 大型ごみ, そだいごみ"),
                            widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(label=_("Encoding"), choices=[
        ("utf-8", _("UTF-8 (with or without BOM)")), ("shift_jis", _("Shift_JIS (Excel)"))])

