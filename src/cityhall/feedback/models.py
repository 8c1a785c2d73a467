"""Data of the feedback app (広聴, 取組11): topics, opinions (区民の声) with their history,
reply drafts approved by a second person, and the published, anonymised Q&A.

An opinion may hold personal data (the sender's account, contact details, a LINE user id, and
whatever the resident wrote); staff read it only through `permissions.access_opinion`, which
writes the audit event. A Q&A entry holds only what staff wrote for the public.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department

TEXT_MAX = 2000  # characters a resident may write
SUMMARY_MAX = 1000
ANSWER_MAX = 4000


class Topic(models.Model):
    """A subject residents choose (まちづくり, 子育て, ...); staff maintain the list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("offered on the form"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name


class Opinion(models.Model):  # 区民の声
    class Kind(models.TextChoices):
        OPINION = "opinion", _("Opinion")
        PROPOSAL = "proposal", _("Proposal")
        COMPLAINT = "complaint", _("Complaint")
        QUESTION = "question", _("Question")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        LINE = "line", _("LINE")
        COUNTER = "counter", _("Counter")
        MAIL = "mail", _("Letter")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ROUTED = "routed", _("With the department")
        REPLY_DRAFTED = "reply_drafted", _("Reply drafted")
        REPLY_APPROVED = "reply_approved", _("Reply approved")
        REPLIED = "replied", _("Replied")
        CLOSED = "closed", _("Closed")
        NO_REPLY = "no_reply", _("Closed without a reply")

    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="opinions",
                              verbose_name=_("topic"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.OPINION)
    text = models.TextField(_("text"), max_length=TEXT_MAX)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.WEB)
    # Who sent it: an account, contact details, a LINE user id, or nobody (anonymous).
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="opinions", verbose_name=_("sender"))
    contact_name = models.CharField(_("name"), max_length=100, blank=True)
    contact_email = models.EmailField(_("email address"), blank=True)
    contact_phone = models.CharField(_("telephone"), max_length=20, blank=True)
    contact_address = models.CharField(_("postal address"), max_length=200, blank=True)
    line_user_id = models.CharField(_("LINE user id"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=10, default="ja",
                                help_text=_("The language the opinion was sent in; the reply "
                                            "notice is written in it."))
    wants_reply = models.BooleanField(_("wants a reply"), default=False)
    consent_to_publish = models.BooleanField(_("agrees to publication"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.RECEIVED)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="opinions", verbose_name=_("department"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"],
                                    name="feedback_opinion_unique_reference"),
        ]
        permissions = [
            ("view_all_opinions", _("Can read the opinions of every department")),
            ("route_opinion", _("Can route opinions to a department")),
            ("draft_reply", _("Can draft replies to opinions")),
            ("approve_reply", _("Can approve replies drafted by someone else")),
            ("publish_qa", _("Can write and publish Q&A entries")),
            ("view_feedback_stats", _("Can see and export the monthly counts")),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.year}-{self.number:05d}"

    @property
    def has_personal_data(self) -> bool:
        return bool(self.sender_id or self.contact_name or self.contact_email
                    or self.contact_phone or self.contact_address or self.line_user_id)

    @property
    def reply_email(self) -> str:
        if self.sender_id:
            return self.sender.email or ""
        return self.contact_email

    @property
    def can_be_replied(self) -> bool:
        return bool(self.sender_id or self.contact_email)


class OpinionEvent(models.Model):
    """One step in an opinion's life (received, routed, drafted, approved, sent, closed)."""

    class Action(models.TextChoices):
        RECEIVED = "received", _("Received")
        ROUTED = "routed", _("Routed to a department")
        REPLY_DRAFTED = "reply_drafted", _("Reply drafted")
        REPLY_REJECTED = "reply_rejected", _("Reply sent back for changes")
        REPLY_APPROVED = "reply_approved", _("Reply approved")
        REPLY_SENT = "reply_sent", _("Reply sent")
        REPLY_DELIVERED = "reply_delivered", _("Reply delivered")
        CLOSED = "closed", _("Closed")
        NO_REPLY = "no_reply", _("Closed without a reply")
        QA_PUBLISHED = "qa_published", _("Published as Q&A")
        QA_WITHDRAWN = "qa_withdrawn", _("Q&A withdrawn")

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("opinion history entry")
        verbose_name_plural = _("opinion history")

    def __str__(self):
        return f"{self.opinion_id}: {self.action}"


class Reply(models.Model):
    """The city's answer to one opinion: drafted by one staff member, approved by another,
    then delivered once (stored before it is sent)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REJECTED = "rejected", _("Sent back")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Could not be delivered")

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(_("reply"), max_length=ANSWER_MAX)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("drafted by"))
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("approved by"))
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices,
                                blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            # At most one reply in the works or sent per opinion.
            models.UniqueConstraint(fields=["opinion"], condition=~models.Q(status="rejected"),
                                    name="feedback_reply_one_current"),
            models.CheckConstraint(
                condition=models.Q(approver__isnull=True) | ~models.Q(approver=models.F("author")),
                name="feedback_reply_second_person"),
        ]

    def __str__(self):
        return f"{self.opinion_id}: {self.status}"


class QAEntry(models.Model):
    """A published question and answer: an anonymised summary written by staff, never the
    resident's raw text; published only when the sender agreed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    opinion = models.OneToOneField(Opinion, on_delete=models.PROTECT, related_name="qa_entry")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="qa_entries",
                              verbose_name=_("topic"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT,
                                   related_name="qa_entries", verbose_name=_("department"))
    question = models.TextField(_("question (summary)"), max_length=SUMMARY_MAX)
    answer = models.TextField(_("the city's answer"), max_length=ANSWER_MAX)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-published_on", "-pk"]
        verbose_name = _("Q&A entry")
        verbose_name_plural = _("Q&A entries")

    def __str__(self):
        return self.question[:40]
