"""Forms of the notifications pages (取組12, 17): a subscriber's choices, an anonymous email
subscription, and the staff's message composer."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGES, Topic

LANGUAGE_CHOICES = LANGUAGES


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        from django.utils.translation import get_language

        return obj.name_in((get_language() or "ja").lower())


def topic_field(required=False):
    return TopicChoiceField(
        queryset=Topic.objects.in_display_order(), required=required, label=_("Topics"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one topic."),
                        "invalid_choice": _("Choose topics from the list."),
                        "invalid_pk_value": _("Choose topics from the list.")})


class PreferencesForm(forms.Form):
    topics = topic_field()
    language = forms.ChoiceField(label=_("Language of the messages"),
                                 choices=LANGUAGE_CHOICES)
    large_text = forms.BooleanField(label=_("Large text (email)"), required=False)
    plain_text = forms.BooleanField(label=_("Plain text only, no formatting (email)"),
                                    required=False)
    easy_japanese = forms.BooleanField(
        label=_("Easy Japanese (やさしい日本語) when the message has it"), required=False)
    quiet_start = forms.TimeField(
        label=_("Quiet hours from"), required=False,
        help_text=_("Not urgent messages wait until the quiet hours end. Emergencies are "
                    "always sent at once. Example: 22:00"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False,
                                help_text=_("Example: 07:00"),
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    via_email = forms.BooleanField(label=_("Send me email"), required=False)
    via_line = forms.BooleanField(label=_("Send me LINE messages"), required=False)
    via_push = forms.BooleanField(label=_("Send push notifications to this browser"),
                                  required=False)

    def __init__(self, *args, subscription=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the channels this subscription has an address for are offered.
        if subscription is None or not subscription.email:
            del self.fields["via_email"]
        if subscription is None or not subscription.line_user_id:
            del self.fields["via_line"]
        if subscription is None or not subscription.push_endpoint:
            del self.fields["via_push"]

    def clean(self):
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            self.add_error("quiet_end", _("Give both the start and the end of quiet hours, "
                                          "or neither."))
        return data


class EmailSubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    topics = topic_field(required=True)
    language = forms.ChoiceField(label=_("Language of the messages"),
                                 choices=LANGUAGE_CHOICES)


class ComposeForm(forms.Form):
    topics = topic_field(required=True)
    urgent = forms.BooleanField(
        label=_("Urgent (sent at once, also during subscribers' quiet hours)"),
        required=False)
    url = forms.CharField(label=_("Link (optional)"), required=False, max_length=500,
                          help_text=_("A page of this portal (/...) or a https:// address."))
    subject_ja = forms.CharField(label=_("Subject (Japanese)"), max_length=200)
    body_ja = forms.CharField(label=_("Text (Japanese)"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 5}))
    subject_ja_easy = forms.CharField(label=_("Subject (easy Japanese)"), max_length=200,
                                      required=False)
    body_ja_easy = forms.CharField(label=_("Text (easy Japanese)"), max_length=5000,
                                   required=False, widget=forms.Textarea(attrs={"rows": 4}))
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_en = forms.CharField(label=_("Text (English)"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    subject_zh_hans = forms.CharField(label=_("Subject (Chinese, simplified)"),
                                      max_length=200, required=False)
    body_zh_hans = forms.CharField(label=_("Text (Chinese, simplified)"), max_length=5000,
                                   required=False, widget=forms.Textarea(attrs={"rows": 4}))
    subject_ko = forms.CharField(label=_("Subject (Korean)"), max_length=200, required=False)
    body_ko = forms.CharField(label=_("Text (Korean)"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    # One key per composed message: pressing "send" twice sends once.
    send_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    LANGS = [("ja", "ja"), ("ja-easy", "ja_easy"), ("en", "en"), ("zh-hans", "zh_hans"),
             ("ko", "ko")]

    def clean(self):
        data = super().clean()
        for _lang, suffix in self.LANGS[1:]:
            subject, body = data.get(f"subject_{suffix}"), data.get(f"body_{suffix}")
            if bool(subject) != bool(body):
                self.add_error(f"body_{suffix}" if subject else f"subject_{suffix}",
                               _("Give both the subject and the text of this language, or "
                                 "neither."))
        url = data.get("url") or ""
        if url and not url.startswith(("/", "https://", "http://")):
            self.add_error("url", _("The link must be a web address."))
        return data

    def texts(self) -> dict:
        data = self.cleaned_data
        texts = {}
        for lang, suffix in self.LANGS:
            if data.get(f"subject_{suffix}") and data.get(f"body_{suffix}"):
                texts[lang] = {"subject": data[f"subject_{suffix}"],
                               "body": data[f"body_{suffix}"]}
        return texts
