"""The one door to payments for staff: a payment names who paid, so every staff read is
audited. Residents see only their own payments."""

from django.db import transaction

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can

from .models import Payment


def _get(payment_id) -> Payment:
    try:
        return Payment.objects.select_related("fee", "department", "payer",
                                              "received_by").get(pk=payment_id)
    except (Payment.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def access_payment(user, payment_id, *, purpose: str = "payments") -> Payment:
    payment = _get(payment_id)
    if not can(user, "payments.view_payment"):
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(actor=user, action="payment.read", target=payment, purpose=purpose)
    return payment


def own_payment(user, payment_id) -> Payment:
    """A resident's own payment; anyone else's is "not found"."""
    payment = _get(payment_id)
    if not user.is_authenticated or payment.payer_id != user.pk:
        raise NotFoundError()
    return payment
