"""Background work of the payments engine: capture an authorized card payment, pay a refund
back. Both are idempotent (the provider gets the same idempotency key on every attempt)."""

from cityhall.core.background import PermanentTaskError, durable_task


@durable_task(max_attempts=8, backoff_seconds=30)
def capture_payment(payment_id: str) -> str:
    from . import services
    from .models import Payment
    from .providers import PROVIDERS

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise PermanentTaskError("payment no longer exists")
    if payment.status != Payment.Status.AUTHORIZED:
        return "nothing to capture"
    PROVIDERS[payment.provider].capture(payment=payment)
    services.payment_advance(payment_id=payment.pk, status="captured")
    return "captured"


@durable_task(max_attempts=8, backoff_seconds=60)
def pay_back(refund_id: str) -> str:
    from . import services
    from .models import Refund
    from .providers import PROVIDERS

    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None:
        raise PermanentTaskError("refund no longer exists")
    if refund.status != Refund.Status.APPROVED:
        return "nothing to pay back"
    reference, done = PROVIDERS[refund.payment.provider].refund(payment=refund.payment,
                                                                refund=refund)
    if done:
        services.refund_complete(refund_id=refund.pk, provider_reference=reference)
        return "paid back"
    from .models import Refund as RefundModel

    RefundModel.objects.filter(pk=refund.pk, provider_reference="").update(
        provider_reference=reference)
    return "waiting for the provider"
