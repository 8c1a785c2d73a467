"""Fees of online applications and the seam to the payments engine (取組1 電子申請, 取組2
キャッシュレス決済).

When an application for a procedure with a fee is submitted, the fee is fixed on the
application. If a fee gateway is registered, a background task asks it to create a payment
and the application waits for it; otherwise the fee is paid at the counter and recorded by
staff. The payments engine (DESIGN.md layer 2, which procedures may import) registers its
gateway in `ProceduresConfig.ready()` once it exists, and reports back through
`services.application_payment_record`; no other code changes.
"""

from typing import Protocol

from .models import PaymentStatus


class FeeGateway(Protocol):
    def request_payment(self, *, application, amount_yen: int, idempotency_key: str) -> str:
        """Create (or find, for the same key) a payment for the application and return its
        reference. Called again after a crash with the same key; must not charge twice."""


_gateway: FeeGateway | None = None


def register_fee_gateway(gateway: FeeGateway | None) -> None:
    global _gateway
    _gateway = gateway


def fee_gateway() -> FeeGateway | None:
    return _gateway


def initial_payment_status(fee_yen: int | None) -> str:
    if not fee_yen:
        return PaymentStatus.NOT_REQUIRED
    return PaymentStatus.PENDING if _gateway is not None else PaymentStatus.AT_COUNTER


def idempotency_key(application) -> str:
    return f"procedures.application:{application.reference}"


class PaymentsEngineGateway:
    """The fee gateway when the payments engine is installed: the applicant pays online
    (card, or the sandbox in the demo) from the application's page."""

    def request_payment(self, *, application, amount_yen: int, idempotency_key: str) -> str:
        from django.urls import reverse

        from cityhall.payments import services as payments
        from cityhall.payments.models import Fee
        from cityhall.payments.providers import online_providers

        procedure = application.procedure
        payment = payments.payment_create(
            purpose=f"procedures.application:{application.reference}",
            purpose_label=f"{procedure.name_ja}（{application.reference}）",
            amount_yen=amount_yen, provider=online_providers()[0],
            idempotency_key=idempotency_key, payer=application.applicant,
            fee=Fee.objects.filter(code=procedure.code, amount_yen=amount_yen).first(),
            department=procedure.department,
            purpose_url=reverse("procedures:application_detail", args=[application.pk]),
            actor=None)
        return payment.reference


def on_payment_change(*, payment, status_from) -> None:
    """Payments listener: a paid or refunded fee is recorded on its application."""
    from .models import Application
    from .services import application_payment_record

    prefix = "procedures.application:"
    if not payment.purpose.startswith(prefix):
        return
    application = Application.objects.filter(
        reference=payment.purpose.removeprefix(prefix)).first()
    if application is None:
        return
    if payment.status == "captured":
        application_payment_record(application=application, status=PaymentStatus.PAID,
                                   reference=payment.reference, actor=None)
    elif payment.status == "refunded" and application.payment_status == PaymentStatus.PAID:
        application_payment_record(application=application, status=PaymentStatus.REFUNDED,
                                   reference=payment.reference, actor=None)


def live_payment_of(application):
    """The payments engine's payment for an application's fee, if any (for a "Pay" link)."""
    from django.apps import apps

    if not apps.is_installed("cityhall.payments") or not application.reference:
        return None
    from cityhall.payments.models import Payment

    return Payment.objects.filter(
        purpose=idempotency_key(application)).order_by("-created_at").first()


def pay_online(application):
    """The payment the applicant pays the fee with: the live one, or — after a declined,
    expired or cancelled attempt — a new one under a new idempotency key."""
    from cityhall.payments.models import Payment

    latest = live_payment_of(application)
    if latest is not None and latest.status in Payment.LIVE_STATUSES:
        return latest
    if _gateway is None:
        return None
    attempts = Payment.objects.filter(purpose=idempotency_key(application)).count()
    key = idempotency_key(application) if attempts == 0 else \
        f"{idempotency_key(application)}:{attempts + 1}"
    _gateway.request_payment(application=application, amount_yen=application.fee_yen,
                             idempotency_key=key)
    return live_payment_of(application)
