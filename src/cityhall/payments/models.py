"""Fees, payments, refunds and receipts (取組2 キャッシュレス決済の推進).

A Fee is a line of the city's fee schedule (手数料・使用料) in integer yen. A Payment is one
attempt to pay an amount for one purpose — an application, a booking, a bulky-waste
collection — named by a `purpose` key that the paying app chooses (e.g.
"procedures.application:A2026-000123"); the engine never imports the app that owns it. The
database refuses a second live payment for the same purpose, so double clicks, retries and
two tabs cannot pay twice.

Statuses move forward only: pending → authorized → captured, then partly refunded or
refunded; or failed / cancelled. Provider events that arrive late or twice cannot move a
payment backwards.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department


class Fee(models.Model):  # 手数料・使用料
    class Category(models.TextChoices):
        CERTIFICATE = "certificate", _("Certificates")
        REGISTRATION = "registration", _("Registrations")
        FACILITY = "facility", _("Facility use")
        WASTE = "waste", _("Bulky waste")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices,
                                default=Category.OTHER)
    amount_yen = models.PositiveIntegerField(_("amount (yen)"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="fees", verbose_name=_("receiving department"))
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")

    def __str__(self):
        return f"{self.name_ja} ({self.amount_yen:,}円)"


class Provider(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    STRIPE = "stripe", _("Card (Stripe)")
    SANDBOX = "sandbox", _("Sandbox (demo, no money moves)")


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    E_MONEY = "e_money", _("Electronic money")
    QR = "qr", _("QR code payment")
    CARD = "card", _("Credit card")
    SANDBOX = "sandbox", _("Sandbox")


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        AUTHORIZED = "authorized", _("Authorized")
        CAPTURED = "captured", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")
        REFUNDED = "refunded", _("Refunded")

    # A purpose is taken while one of its payments is in one of these statuses.
    LIVE_STATUSES = ("pending", "authorized", "captured", "partly_refunded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("receipt number"), max_length=20, unique=True)
    fee = models.ForeignKey(Fee, on_delete=models.PROTECT, null=True, blank=True,
                            related_name="payments", verbose_name=_("fee"))
    amount_yen = models.PositiveIntegerField(_("amount (yen)"))
    purpose = models.CharField(_("purpose"), max_length=120, db_index=True)
    purpose_label = models.CharField(_("what is paid for"), max_length=200)
    purpose_url = models.CharField(max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="payments",
                                   verbose_name=_("receiving department"))
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="payments", verbose_name=_("payer"))
    payer_name = models.CharField(_("payer's name"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=120, blank=True,
                                          db_index=True)
    provider_session = models.CharField(max_length=120, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    refunded_yen = models.PositiveIntegerField(_("refunded (yen)"), default=0)
    failure_reason = models.CharField(_("why it failed"), max_length=200, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("received by"))
    created_at = models.DateTimeField(auto_now_add=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["purpose"],
                                    condition=models.Q(status__in=[
                                        "pending", "authorized", "captured",
                                        "partly_refunded"]),
                                    name="payments_one_live_payment_per_purpose"),
            models.CheckConstraint(
                condition=models.Q(refunded_yen__lte=models.F("amount_yen")),
                name="payments_refund_within_amount"),
        ]
        permissions = [
            ("take_counter_payment", _("Can take payments at the counter")),
            ("approve_refund", _("Can approve refunds")),
            ("view_reconciliation", _("Can see the daily reconciliation")),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return self.reference

    @property
    def is_sandbox(self) -> bool:
        return self.provider == Provider.SANDBOX


class Refund(models.Model):  # 還付・返金
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for approval")
        APPROVED = "approved", _("Approved, being paid back")
        COMPLETED = "completed", _("Paid back")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds",
                                verbose_name=_("payment"))
    amount_yen = models.PositiveIntegerField(_("amount (yen)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decision_note = models.CharField(_("note on the decision"), max_length=300, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self):
        return f"{self.payment.reference} −{self.amount_yen:,}"


class ProviderEvent(models.Model):
    """A webhook from a provider, kept by its event id: a replayed event is recognised and
    ignored, and what each one did is on record."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    result = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"],
                                               name="payments_event_once")]

    def __str__(self):
        return f"{self.provider} {self.event_id}"
