"""Emergency alerts (CAP 1.2): drafts, approval, publication, updates and cancels
(取組12 防災情報の発信強化; the texts feed 取組17 and the notifications of 取組20, 21).

An `Alert` is one CAP message. An update or a cancel is a new Alert whose `original` is the
alert it replaces; its CAP `references` are built from that chain. Every state change is made
by `cityhall.disaster.services.alerts`, which writes the audit event in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Alert"]


class Alert(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Replaced by an update")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        DISCARDED = "discarded", _("Discarded")

    class Status(models.TextChoices):  # CAP <status>
        ACTUAL = "Actual", _("Actual")
        EXERCISE = "Exercise", _("Exercise")
        SYSTEM = "System", _("System")
        TEST = "Test", _("Test")
        DRAFT = "Draft", _("Draft (not for action)")

    class MsgType(models.TextChoices):  # CAP <msgType> (Ack and Error are not sent by us)
        ALERT = "Alert", _("Alert")
        UPDATE = "Update", _("Update")
        CANCEL = "Cancel", _("Cancel")

    class Urgency(models.TextChoices):
        IMMEDIATE = "Immediate", _("Immediate")
        EXPECTED = "Expected", _("Expected")
        FUTURE = "Future", _("Future")
        PAST = "Past", _("Past")
        UNKNOWN = "Unknown", _("Unknown")

    class Severity(models.TextChoices):
        EXTREME = "Extreme", _("Extreme")
        SEVERE = "Severe", _("Severe")
        MODERATE = "Moderate", _("Moderate")
        MINOR = "Minor", _("Minor")
        UNKNOWN = "Unknown", _("Unknown")

    class Certainty(models.TextChoices):
        OBSERVED = "Observed", _("Observed")
        LIKELY = "Likely", _("Likely")
        POSSIBLE = "Possible", _("Possible")
        UNLIKELY = "Unlikely", _("Unlikely")
        UNKNOWN = "Unknown", _("Unknown")

    CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                  "Transport", "Infra", "CBRNE", "Other")
    RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor",
                      "Assess", "AllClear", "None")

    identifier = models.CharField(_("identifier"), max_length=120, unique=True)
    sender = models.CharField(_("sender"), max_length=120)
    sent = models.DateTimeField(_("sent"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.ACTUAL)
    msg_type = models.CharField(_("message type"), max_length=10, choices=MsgType.choices,
                                default=MsgType.ALERT)
    scope = models.CharField(_("scope"), max_length=10, default="Public", editable=False)
    original = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="followers", verbose_name=_("updates or cancels"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.DRAFT, db_index=True)

    template_key = models.CharField(_("template"), max_length=60, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    is_free_text = models.BooleanField(
        _("free text (not translated)"), default=False,
        help_text=_("Written in Japanese only; other languages say it is not translated."))
    texts = models.JSONField(
        _("texts"), default=dict,
        help_text=_("Per language (ja, en, zh-hans, ko): event, headline, description, "
                    "instruction."))

    categories = models.JSONField(_("categories"), default=list)
    response_types = models.JSONField(_("response types"), default=list, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    certainty = models.CharField(_("certainty"), max_length=10, choices=Certainty.choices)

    effective = models.DateTimeField(_("effective"), null=True, blank=True,
                                     help_text=_("Empty: from when it is sent."))
    onset = models.DateTimeField(_("onset"), null=True, blank=True,
                                 help_text=_("Empty: from when it is sent."))
    expires = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)

    branch_offices = models.ManyToManyField(
        "core.BranchOffice", blank=True, related_name="alerts",
        verbose_name=_("affected areas"))
    polygon = models.TextField(_("polygon"), blank=True,
                               help_text=_('CAP polygon: "lat,lon" pairs separated by '
                                           "spaces, the first pair repeated at the end."))
    circle = models.CharField(_("circle"), max_length=80, blank=True,
                              help_text=_('CAP circle: "lat,lon radius_km".'))

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="alerts_created",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="alerts_approved",
                                    verbose_name=_("approved by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True,
                                     help_text=_("When it was replaced, cancelled or expired."))

    class Meta:
        ordering = ["-sent", "-created_at"]
        verbose_name = _("emergency alert")
        verbose_name_plural = _("emergency alerts")
        permissions = [
            ("compose_alert", _("Can compose emergency alerts")),
            ("approve_alert", _("Can approve and publish emergency alerts")),
        ]
        indexes = [models.Index(fields=["state", "expires"], name="alert_active_idx")]

    def __str__(self):
        return self.identifier

    # --- what the pages and the CAP document read ------------------------------------------

    def text(self, language: str, name: str) -> str:
        return (self.texts.get(language) or {}).get(name, "") or ""

    def is_translated(self, language: str) -> bool:
        return not self.is_free_text or language == "ja"

    @property
    def is_urgent(self) -> bool:
        """Urgent enough to ignore quiet hours and to override the signage."""
        return (self.urgency in (self.Urgency.IMMEDIATE, self.Urgency.EXPECTED)
                and self.severity in (self.Severity.EXTREME, self.Severity.SEVERE))

    @property
    def reference_chain(self) -> list["Alert"]:
        """The earlier messages this one refers to, oldest first."""
        chain, current = [], self.original
        while current is not None:
            chain.append(current)
            current = current.original
        return list(reversed(chain))

    @property
    def references(self) -> str:
        """CAP <references>: "sender,identifier,sent" of each earlier message."""
        from cityhall.disaster.alerts_cap import cap_time

        return " ".join(f"{alert.sender},{alert.identifier},{cap_time(alert.sent)}"
                        for alert in self.reference_chain if alert.sent)
