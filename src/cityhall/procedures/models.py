"""The procedure catalogue and the life-event navigator (取組1 行政手続のオンライン化,
取組3 窓口の利便性向上: 手続きナビ).

A Procedure is one thing a resident files with the city; a LifeEvent (birth, moving in, ...)
asks a few questions, and its EventRules say — as data, not code — which procedures follow
from it, in what order, under which condition and with which deadline.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department

from .conditions import validate_condition, validate_questions


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At a counter")
    MAIL = "mail", _("By post")
    MYNAPORTAL = "mynaportal", _("Mynaportal (マイナポータル)")


class LifeEvent(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    questions = models.JSONField(
        _("questions"), default=list, blank=True,
        help_text=_('A list of {"key", "type" (bool, choice, number), "label_ja", "label_en", '
                    '"choices" for choice questions, "min"/"max" for numbers}.'))
    event_date_fact = models.CharField(
        _("fact the event date fills"), max_length=40, blank=True,
        help_text=_("At the write-less counter, the date of the event also fills this fact "
                    "on the forms (e.g. move_date for a move, date_of_death for a death)."))
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("life event")
        verbose_name_plural = _("life events")

    def __str__(self):
        return self.name_ja

    def clean(self):
        from .counter import FACTS

        if self.event_date_fact and (self.event_date_fact not in FACTS
                                     or FACTS[self.event_date_fact].kind != "date"):
            raise ValidationError({"event_date_fact": _(
                "Use the key of a date fact: %(known)s.") % {"known": ", ".join(
                    key for key, fact in FACTS.items() if fact.kind == "date")}})
        try:
            validate_questions(self.questions)
        except ValidationError as error:
            raise ValidationError({"questions": error.messages}) from None
        if self.pk:
            for rule in self.rules.all():
                try:
                    validate_condition(rule.condition, self.questions)
                except ValidationError:
                    raise ValidationError({"questions": _(
                        "The rule for “%(procedure)s” uses a question that would no longer "
                        "exist; change that rule first.") % {"procedure": rule.procedure}
                    }) from None


class Procedure(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160)
    name_kana = models.CharField(_("name (kana)"), max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="procedures", verbose_name=_("department"))
    purpose_ja = models.TextField(_("what it is for (Japanese)"))
    purpose_en = models.TextField(_("what it is for (English)"))
    who_ja = models.TextField(_("who files it (Japanese)"), blank=True)
    who_en = models.TextField(_("who files it (English)"), blank=True)
    deadline_ja = models.CharField(_("deadline (Japanese)"), max_length=200, blank=True)
    deadline_en = models.CharField(_("deadline (English)"), max_length=200, blank=True)
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline in days"), null=True, blank=True,
        help_text=_("Days from the life event by which it must be filed; empty if none."))
    deadline_counts_event_day = models.BooleanField(
        _("the event day counts as day 1"), default=False,
        help_text=_("On for deadlines under the Family Register Act (出生届, 死亡届), which "
                    "count the day of the event itself."))
    documents_ja = models.JSONField(_("what to bring (Japanese)"), default=list, blank=True)
    documents_en = models.JSONField(_("what to bring (English)"), default=list, blank=True)
    fee_yen = models.PositiveIntegerField(_("fee (yen)"), null=True, blank=True)
    fee_note_ja = models.CharField(_("fee note (Japanese)"), max_length=200, blank=True)
    fee_note_en = models.CharField(_("fee note (English)"), max_length=200, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    where_ja = models.CharField(_("where (Japanese)"), max_length=300, blank=True)
    where_en = models.CharField(_("where (English)"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    processing_time_ja = models.CharField(_("processing time (Japanese)"), max_length=100,
                                          blank=True)
    processing_time_en = models.CharField(_("processing time (English)"), max_length=100,
                                          blank=True)
    keywords_ja = models.JSONField(_("search keywords"), default=list, blank=True)
    form_facts = models.JSONField(
        _("facts its paper form asks"), default=list, blank=True,
        help_text=_("Keys from the write-less counter's list of facts (e.g. full_name, "
                    "previous_address, move_date), in the order the form asks them; empty "
                    "means name, kana, date of birth, address and phone."))
    requires_two_approvals = models.BooleanField(
        _("two-person approval"), default=False,
        help_text=_("An online application is approved only when two different staff members "
                    "have approved it."))
    url = models.URLField(_("official page"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    search_index = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_kana", "code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self):
        return self.name_ja

    def clean(self):
        unknown = set(self.channels or []) - set(Channel.values)
        if unknown:
            raise ValidationError({"channels": _("Unknown channel: %(names)s.")
                                   % {"names": ", ".join(sorted(map(str, unknown)))}})
        for field in ("documents_ja", "documents_en", "keywords_ja", "form_facts"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValidationError({field: _("Enter a list of texts.")})
        from .counter import FACTS

        unknown_facts = [key for key in self.form_facts if key not in FACTS]
        if unknown_facts:
            raise ValidationError({"form_facts": _(
                "Unknown fact: %(names)s. Use one of %(known)s.") % {
                    "names": ", ".join(unknown_facts), "known": ", ".join(FACTS)}})

    def channel_labels(self):
        return [Channel(channel).label for channel in self.channels if channel in Channel.values]

    @property
    def can_apply_online(self) -> bool:
        return bool({"online", "mynaportal"} & set(self.channels))


class ProcedureRevision(models.Model):
    """One saved change to a procedure: who changed which fields from what to what."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"],
                                               name="procedures_revision_unique_number")]
        verbose_name = _("procedure revision")
        verbose_name_plural = _("procedure revisions")

    def __str__(self):
        return f"{self.procedure.code} r{self.number}"


class EventRule(models.Model):  # ライフイベントと手続の対応
    life_event = models.ForeignKey(LifeEvent, on_delete=models.CASCADE, related_name="rules",
                                   verbose_name=_("life event"))
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="rules",
                                  verbose_name=_("procedure"))
    step = models.PositiveSmallIntegerField(_("step"), default=100)
    condition = models.JSONField(
        _("condition"), null=True, blank=True,
        help_text=_('Empty: always applies. Otherwise e.g. {"q": "insurance", "op": "eq", '
                    '"value": "nhi"}, combined with {"all": [...]}, {"any": [...]}, '
                    '{"not": ...}.'))
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline in days"), null=True, blank=True,
        help_text=_("Overrides the procedure's deadline for this life event."))
    note_ja = models.CharField(_("note (Japanese)"), max_length=300, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=300, blank=True)

    class Meta:
        ordering = ["life_event", "step", "id"]
        constraints = [models.UniqueConstraint(fields=["life_event", "procedure"],
                                               name="procedures_rule_unique_pair")]
        verbose_name = _("life-event rule")
        verbose_name_plural = _("life-event rules")

    def __str__(self):
        return f"{self.life_event.code} → {self.procedure.code}"

    def clean(self):
        if self.life_event_id is None:
            return
        try:
            validate_condition(self.condition, self.life_event.questions)
        except ValidationError as error:
            raise ValidationError({"condition": error.messages}) from None


class SavedChecklist(models.Model):
    """A navigator result a resident kept in their account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_checklists")
    life_event = models.ForeignKey(LifeEvent, on_delete=models.CASCADE, related_name="+")
    event_date = models.DateField(_("date of the event"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("saved checklist")
        verbose_name_plural = _("saved checklists")

    def __str__(self):
        return f"{self.life_event.code} ({self.created_at:%Y-%m-%d})"


# --- e-applications (電子申請) --------------------------------------------------------------

class ApplicationForm(models.Model):
    """One version of a procedure's online form: a JSON Schema (what the data must be) and a
    small UI description (order, labels in Japanese and English, hints, widgets, and which
    fields come from the resident's profile). Submitted applications keep the version they
    were made with."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="forms",
                                  verbose_name=_("procedure"))
    version = models.PositiveIntegerField(_("version"))
    schema = models.JSONField(_("JSON Schema"))
    ui = models.JSONField(_("UI description"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["procedure", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "version"],
                                    name="procedures_form_unique_version"),
            models.UniqueConstraint(fields=["procedure"], condition=models.Q(is_active=True),
                                    name="procedures_form_one_active"),
        ]
        verbose_name = _("application form")
        verbose_name_plural = _("application forms")

    def __str__(self):
        return f"{self.procedure.name_ja} v{self.version}"

    def clean(self):
        from .forms_schema import validate_form_definition

        try:
            validate_form_definition(self.schema, self.ui)
        except ValidationError as error:
            raise ValidationError({"schema": error.messages}) from None


class PaymentStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No fee")
    AT_COUNTER = "at_counter", _("To be paid at the counter")
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")


class Application(models.Model):  # 電子申請
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        RETURNED = "returned", _("Returned for correction")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")

    reference = models.CharField(_("reference number"), max_length=20, unique=True, null=True,
                                 blank=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT,
                                  related_name="applications", verbose_name=_("procedure"))
    form = models.ForeignKey(ApplicationForm, on_delete=models.PROTECT,
                             related_name="applications", verbose_name=_("form version"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="applications", verbose_name=_("applicant"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    data = models.JSONField(_("answers"), default=dict, blank=True)
    prefilled = models.JSONField(
        _("facts from the resident's profile"), default=dict, blank=True,
        help_text=_("What the city already knew, copied from the profile when submitted."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="assigned_applications",
                                 verbose_name=_("assigned to"))
    first_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("first approver"),
        help_text=_("For two-person approval: who approved first."))
    fee_yen = models.PositiveIntegerField(
        _("fee (yen)"), null=True, blank=True,
        help_text=_("The procedure's fee when the application was submitted."))
    payment_status = models.CharField(_("payment"), max_length=20,
                                      choices=PaymentStatus.choices,
                                      default=PaymentStatus.NOT_REQUIRED)
    payment_reference = models.CharField(
        _("payment reference"), max_length=80, blank=True,
        help_text=_("The payment's reference in the payments engine or at the counter."))

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["procedure", "status", "submitted_at"])]
        permissions = [
            ("review_all_departments", _("Can review applications of every department")),
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self):
        return self.reference or f"draft #{self.pk}"


def _attachment_path(attachment, filename):
    # The stored name never contains what the resident called the file.
    return f"applications/{attachment.application_id}/{attachment.id}"


def _attachment_storage():
    from django.core.files.storage import storages

    return storages["attachments"]


class Attachment(models.Model):
    """A file a resident attached to an application (e.g. a vaccination certificate). Its
    type is checked from its content, not its name, and it is stored privately: only the
    applicant and the reviewers who may see the application can download it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey("Application", on_delete=models.CASCADE,
                                    related_name="attachments")
    field = models.CharField(_("form field"), max_length=60)
    file = models.FileField(upload_to=_attachment_path, storage=_attachment_storage,
                            max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class ApplicationEvent(models.Model):
    """One step in an application's history (status changes and comments)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="events")
    status_from = models.CharField(max_length=20, blank=True)
    status_to = models.CharField(max_length=20, choices=Application.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    comment = models.TextField(blank=True)
    is_internal = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the applicant was told of this step (empty for internal steps).")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.status_from} → {self.status_to}"


# --- hand-off to business systems (電子申請データの業務システム連携) -----------------------------

class IntegrationClient(models.Model):
    """A business system of one department that pulls applications, pushes their status and
    receives signed webhooks. It acts as `acting_user`, a staff account with the
    application_reviewer role, so its decisions pass the same checks and audit as a person's."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT,
                                   related_name="integration_clients",
                                   verbose_name=_("department"))
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("acts as"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("business-system client")
        verbose_name_plural = _("business-system clients")

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One webhook to one client about one status change, stored before it is sent; its id
    is the delivery id the receiver uses to ignore repeats."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE,
                               related_name="deliveries")
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="webhook_deliveries")
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return str(self.id)


# --- write-less counter (書かない窓口) ----------------------------------------------------------

class CounterSession(models.Model):  # 窓口での聞き取り
    """One visit at a counter: staff identify the resident (or note a visitor's facts once),
    answer the navigator's questions with them, correct facts once, and print every
    applicable form pre-filled. The facts are personal data: only staff of the branch office
    where the visit happened open it, and every opening and printing is audited."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PRINTED = "printed", _("Forms printed")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    branch_office = models.ForeignKey("core.BranchOffice", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("branch office"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("staff member"))
    resident = models.ForeignKey("core.ResidentProfile", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("resident"))
    life_event = models.ForeignKey(LifeEvent, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("life event"))
    event_date = models.DateField(_("date of the event"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    procedure_codes = models.JSONField(_("procedures"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.OPEN)
    printed_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("counter session")
        verbose_name_plural = _("counter sessions")

    def __str__(self):
        return f"{self.life_event.code} {self.created_at:%Y-%m-%d %H:%M}"
