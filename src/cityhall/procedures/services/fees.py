"""Fees of online applications (取組1 電子申請, 取組2 キャッシュレス決済): what happened to an
application's fee (paid online or at the counter, refunded), the reference of the payment the
payments engine created, and the applicant paying online. The seam to the payments engine
itself is `procedures.fees`."""

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

from .. import fees
from ..models import ApplicationEvent, PaymentStatus
from .applications import _require_reviewer

__all__ = [
    "application_fee_pay_online", "application_payment_record",
    "application_payment_requested",
]

def application_payment_record(*, application, status: str, reference: str = "", actor):
    """Record what happened to an application's fee: paid (online or at the counter) or
    refunded. `actor` is the staff member at the counter, or None when the payments engine
    reports a payment it took."""
    from ..models import Application

    if actor is not None:
        _require_reviewer(actor, application)
    if status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        raise ValidationFailed(_("A payment can only be recorded as paid or refunded."),
                               field="status")
    reference = (reference or "").strip()[:80]
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if not application.fee_yen:
            raise ConflictError(_("This application has no fee."))
        allowed_from = {PaymentStatus.PAID: (PaymentStatus.PENDING, PaymentStatus.AT_COUNTER),
                        PaymentStatus.REFUNDED: (PaymentStatus.PAID,)}[status]
        if application.payment_status == status and (
                not reference or application.payment_reference == reference):
            return application  # the same report again (a retried webhook): nothing to do
        if application.payment_status not in allowed_from:
            raise ConflictError(_("The payment of this application is already “%(status)s”.")
                                % {"status": application.get_payment_status_display()})
        application.payment_status = status
        if reference:
            application.payment_reference = reference
        application.save(update_fields=["payment_status", "payment_reference", "updated_at"])
        ApplicationEvent.objects.create(
            application=application, status_from=application.status,
            status_to=application.status, actor=actor,
            comment=(_("Fee of %(fee)s yen paid.") if status == PaymentStatus.PAID
                     else _("Fee of %(fee)s yen refunded.")) % {
                "fee": f"{application.fee_yen:,}"})
        audit_record(actor=actor, action=f"application.payment_{status}", target=application,
                     details={"fee_yen": application.fee_yen, "reference": reference})
    return application


def application_payment_requested(*, application_id: int, reference: str) -> None:
    """The payments engine created the payment: keep its reference (idempotent)."""
    from ..models import Application

    Application.objects.filter(pk=application_id, payment_reference="").update(
        payment_reference=reference[:80])



def application_fee_pay_online(*, application, actor):
    """The applicant's way to pay the fee online now (again, after a failed attempt);
    returns the payment of the payments engine."""
    from ..models import Application

    if actor.pk != application.applicant_id:
        raise PermissionDeniedError()
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.payment_status != PaymentStatus.PENDING or fees.fee_gateway() is None:
            raise ConflictError(_("There is no fee to pay online for this application."))
        payment = fees.pay_online(current)
        if payment is None:
            raise ConflictError(_("There is no fee to pay online for this application."))
        if current.payment_reference != payment.reference:
            current.payment_reference = payment.reference
            current.save(update_fields=["payment_reference", "updated_at"])
            audit_record(actor=actor, action="application.fee_payment", target=current,
                         details={"payment": payment.reference})
    return payment
