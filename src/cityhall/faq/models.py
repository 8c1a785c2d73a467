"""The FAQ knowledge base and the chatbot's records (取組6 AIチャットボット, 取組8 問い合わせ対応の
効率化, 取組19 多言語対応).

Entries are written by staff (per-language fields for ja and en), kept with their revision
history, and answered from only when published. Question logs keep what residents asked,
masked of personal data, so that staff can turn unanswered questions into entries.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")

    def __str__(self):
        return self.name


class Entry(models.Model):
    """One question and its answer, in Japanese and (optionally) English."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    key = models.SlugField(_("key"), max_length=80, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries",
                                 verbose_name=_("category"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="faq_entries", verbose_name=_("department"))
    contact = models.CharField(_("contact"), max_length=300, blank=True,
                               help_text=_("Phone number and opening hours of the office that "
                                           "answers more. Empty: the department and the main "
                                           "switchboard."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    question_ja = models.CharField(_("question (Japanese)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    answer_ja = models.TextField(_("answer (Japanese)"))
    answer_en = models.TextField(_("answer (English)"), blank=True)
    phrasings_ja = models.JSONField(_("other phrasings (Japanese)"), default=list, blank=True)
    phrasings_en = models.JSONField(_("other phrasings (English)"), default=list, blank=True)
    related = models.JSONField(_("related pages"), default=list, blank=True,
                               help_text=_("Addresses of related procedures and pages."))
    review_date = models.DateField(_("review by"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo content"), default=False)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__sort_order", "key"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        permissions = [
            ("publish_entry", _("Can publish and unpublish FAQ entries")),
            ("edit_all_departments", _("Can edit the FAQ entries of every department")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["draft", "published"]),
                                   name="faq_entry_status_valid"),
        ]

    def __str__(self):
        return self.key

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def question(self, language: str) -> str:
        return self.question_en if language == "en" and self.question_en else self.question_ja

    def answer(self, language: str) -> str:
        return self.answer_en if language == "en" and self.answer_en else self.answer_ja

    def shown_language(self, language: str) -> str:
        return "en" if language == "en" and self.question_en and self.answer_en else "ja"


class EntryRevision(models.Model):
    """The history of an entry: who changed what and when, with the entry as it became."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    action = models.CharField(_("action"), max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    actor_label = models.CharField(_("by"), max_length=254)
    changed_fields = models.JSONField(_("changed fields"), default=list)
    snapshot = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry", "-number"]
        verbose_name = _("FAQ entry revision")
        verbose_name_plural = _("FAQ entry revisions")
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"],
                                    name="faq_entryrevision_unique_number"),
        ]

    def __str__(self):
        return f"{self.entry_id}#{self.number}"


class SynonymGroup(models.Model):
    """Words residents use for the same thing (粗大ごみ ~ 大型ごみ); staff edit them."""

    terms = models.JSONField(_("terms"), default=list)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self):
        return " ~ ".join(self.terms[:4])


class IndexVersion(models.Model):
    """One row: bumped by every service that changes entries or synonyms, so every process
    rebuilds its in-memory index on its next question."""

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("search index version")
        verbose_name_plural = _("search index version")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1),
                                              name="faq_indexversion_single_row")]

    def __str__(self):
        return str(self.version)


class QuestionLog(models.Model):
    """A question asked of the bot, masked of personal data (phone numbers, emails, names)."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        LINE = "line", "LINE"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10)
    text = models.CharField(_("question (masked)"), max_length=500)
    top_entry = models.ForeignKey(Entry, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("closest entry"))
    score = models.FloatField(_("confidence"), default=0)
    answered = models.BooleanField(_("answered"), default=False)
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    resolved_entry = models.ForeignKey(Entry, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question log")
        verbose_name_plural = _("question logs")
        indexes = [models.Index(fields=["answered", "resolved_at"], name="faq_log_open_idx")]

    def __str__(self):
        return self.text[:40]
