"""Every write of the payments engine (取組2 キャッシュレス決済): the fee schedule, payments
that move forward only, counter payments, refunds with a second person's approval, and the
provider events that drive online payments. Each function is one transaction and writes the
audit log; apps hear of status changes through `register_payment_listener`."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department
from cityhall.core.permissions import can
from cityhall.core.services import sequence_next

from .models import Fee, Method, Payment, ProviderEvent, Refund

RECEIPT_SEQUENCE = "payments.receipt"  # core.YearCounter: receipt numbers P<year>-NNNNNN
MAX_AMOUNT_YEN = 10_000_000  # far above any fee; stops typing mistakes at the counter

# How far along a payment is; a status may only be replaced by one further along.
RANK = {"pending": 0, "authorized": 1, "captured": 2, "partly_refunded": 3, "refunded": 4,
        "failed": 5, "cancelled": 5}
ALLOWED = {
    "pending": {"authorized", "captured", "failed", "cancelled"},
    "authorized": {"captured", "failed", "cancelled"},
    "captured": {"partly_refunded", "refunded"},
    "partly_refunded": {"partly_refunded", "refunded"},
}

_listeners: list = []


def register_payment_listener(listener) -> None:
    """`listener(payment=..., status_from=...)` is called after every status change commits
    (e.g. procedures marks an application's fee as paid)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _announce(payment, status_from):
    for listener in list(_listeners):
        transaction.on_commit(lambda listener=listener: listener(
            payment=payment, status_from=status_from))


# --- fee schedule --------------------------------------------------------------------------

def fee_save(*, fee: Fee, actor) -> Fee:
    from django.core.exceptions import ValidationError

    try:
        fee.full_clean()
    except ValidationError as error:
        raise ValidationFailed("; ".join(error.messages)) from None
    _check_amount(fee.amount_yen)  # a fee of 0 yen, or one no payment could take, is a typo
    with transaction.atomic():
        fee.save()
        audit_record(actor=actor, action="fee.save", target=fee,
                     details={"code": fee.code, "amount_yen": fee.amount_yen})
    return fee


def fee_catalogue_import(*, data: dict, actor=None) -> dict:
    """Create or update fees from `data/minato_fees.json`; all or nothing, safe to rerun."""
    departments = {department.code: department for department in Department.objects.all()}
    with transaction.atomic():
        for row in data["fees"]:
            fee = Fee.objects.filter(code=row["code"]).first() or Fee(code=row["code"])
            for field in ("name_ja", "name_en", "category", "amount_yen", "legal_basis"):
                setattr(fee, field, row.get(field, getattr(fee, field)))
            code = row.get("department")
            if code and code not in departments:
                raise ValidationFailed(_("%(fee)s: there is no department “%(code)s”.")
                                       % {"fee": row["code"], "code": code})
            fee.department = departments.get(code)
            fee_save(fee=fee, actor=actor)
    return {"fees": len(data["fees"])}


# --- payments ------------------------------------------------------------------------------

def _next_reference() -> str:
    year = timezone.localdate().year
    return f"P{year}-{sequence_next(sequence=RECEIPT_SEQUENCE, year=year):06d}"


def _check_amount(amount_yen) -> int:
    if isinstance(amount_yen, bool) or not isinstance(amount_yen, int) \
            or not 1 <= amount_yen <= MAX_AMOUNT_YEN:
        raise ValidationFailed(_("Enter an amount of whole yen between 1 and %(max)s.")
                               % {"max": f"{MAX_AMOUNT_YEN:,}"}, field="amount_yen")
    return amount_yen


def payment_create(*, purpose: str, purpose_label: str, amount_yen: int, provider: str,
                   idempotency_key: str, payer=None, payer_name: str = "", fee: Fee | None = None,
                   department=None, purpose_url: str = "", actor) -> Payment:
    """A payment waiting to be paid. Asking again with the same idempotency key, or for a
    purpose that already has a live payment of the same amount, returns that payment: a
    double click, a retry or a second tab never makes a second one."""
    from .providers import provider_for

    _check_amount(amount_yen)
    provider_for(provider)  # refuses an unknown or switched-off provider
    if not purpose or len(purpose) > 120 or not idempotency_key or len(idempotency_key) > 120:
        raise ValidationFailed(_("A payment needs a purpose and an idempotency key."))
    existing = _existing(purpose, idempotency_key, amount_yen)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                reference=_next_reference(), fee=fee, amount_yen=amount_yen, purpose=purpose,
                purpose_label=purpose_label[:200], purpose_url=purpose_url[:300],
                department=department or (fee.department if fee else None), payer=payer,
                payer_name=payer_name[:100], provider=provider,
                idempotency_key=idempotency_key)
            audit_record(actor=actor, action="payment.create", target=payment,
                         details={"reference": payment.reference, "purpose": purpose,
                                  "amount_yen": amount_yen, "provider": provider})
    except IntegrityError:
        # Another request made it first (same key or same purpose): that one stands.
        existing = _existing(purpose, idempotency_key, amount_yen)
        if existing is None:
            raise
        return existing
    return payment


def _existing(purpose, idempotency_key, amount_yen):
    payment = Payment.objects.filter(idempotency_key=idempotency_key).first() or \
        Payment.objects.filter(purpose=purpose, status__in=Payment.LIVE_STATUSES).first()
    if payment is None:
        return None
    if payment.purpose != purpose or payment.amount_yen != amount_yen:
        raise ConflictError(_("This has already been paid or is being paid with a different "
                              "amount."))
    return payment


def payment_start(*, payment: Payment, return_url: str, actor) -> str:
    """Send the payer to the provider's payment page; returns its address. Starting again
    returns the same page."""
    from .providers import provider_for

    if payment.payer_id is None or actor.pk != payment.payer_id:
        raise PermissionDeniedError()
    if payment.status != Payment.Status.PENDING:
        raise ConflictError(_("This payment is no longer waiting to be paid."))
    if payment.checkout_url:
        return payment.checkout_url
    session_id, url = provider_for(payment.provider).start(payment=payment,
                                                           return_url=return_url)
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk, checkout_url="").update(
            provider_session=session_id, checkout_url=url)
        audit_record(actor=actor, action="payment.start", target=payment,
                     details={"provider": payment.provider})
    payment.refresh_from_db()
    return payment.checkout_url


def payment_advance(*, payment_id, status: str, actor=None, provider_reference: str = "",
                    reason: str = "", method: str = "", received_by=None) -> Payment:
    """Move a payment forward (provider events, the sandbox, the counter). A status that is
    not further along — a replayed or late event — changes nothing. `received_by` (the clerk
    at the counter) is recorded only by the call that captures the payment."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        status_from = payment.status
        if status not in ALLOWED.get(status_from, set()):
            return payment
        now = timezone.now()
        payment.status = status
        if provider_reference and not payment.provider_reference:
            payment.provider_reference = provider_reference[:120]
        if method:
            payment.method = method
        if status == "authorized":
            payment.authorized_at = now
        elif status == "captured":
            payment.authorized_at = payment.authorized_at or now
            payment.captured_at = now
            if received_by is not None:
                payment.received_by = received_by
        elif status in ("failed", "cancelled"):
            payment.failure_reason = reason[:200]
            payment.closed_at = now
        payment.save()
        audit_record(actor=actor, action=f"payment.{status}", target=payment,
                     details={"from": status_from, "provider": payment.provider,
                              "provider_reference": payment.provider_reference})
        _announce(payment, status_from)
    return payment


def payment_cancel(*, payment: Payment, actor) -> Payment:
    """The payer (or staff) gives up a payment that has not been made."""
    if actor.pk != payment.payer_id and not can(actor, "payments.take_counter_payment"):
        raise PermissionDeniedError()
    if payment.status != Payment.Status.PENDING:
        raise ConflictError(_("Only a payment that has not been made can be cancelled."))
    from .providers import provider_for

    provider_for(payment.provider).cancel(payment=payment)
    return payment_advance(payment_id=payment.pk, status="cancelled", actor=actor,
                           reason="cancelled")


def payment_take_at_counter(*, purpose: str, purpose_label: str, amount_yen: int,
                            method: str, idempotency_key: str, fee: Fee | None = None,
                            payer=None, payer_name: str = "", department=None,
                            actor) -> Payment:
    """Cash, electronic money or a QR payment taken by staff: made and paid at once."""
    if not can(actor, "payments.take_counter_payment"):
        raise PermissionDeniedError()
    if method not in (Method.CASH, Method.E_MONEY, Method.QR, Method.CARD):
        raise ValidationFailed(_("Choose how it was paid."), field="method")
    payment = payment_create(
        purpose=purpose, purpose_label=purpose_label, amount_yen=amount_yen,
        provider="counter", idempotency_key=idempotency_key, payer=payer,
        payer_name=payer_name, fee=fee, department=department, actor=actor)
    if payment.provider != "counter":
        raise ConflictError(_("This is already being paid online."))
    if payment.status == Payment.Status.PENDING:
        # Two terminals may record the same payment at once: the one whose capture counts is
        # the one named as receiving it (both are set under the payment's row lock).
        payment = payment_advance(payment_id=payment.pk, status="captured", actor=actor,
                                  method=method, received_by=actor)
    return payment


# --- refunds -------------------------------------------------------------------------------

def refund_request(*, payment: Payment, amount_yen: int, reason: str, actor) -> Refund:
    if not can(actor, "payments.add_refund"):
        raise PermissionDeniedError()
    _check_amount(amount_yen)
    if not reason.strip():
        raise ValidationFailed(_("Give the reason for the refund."), field="reason")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in ("captured", "partly_refunded"):
            raise ConflictError(_("Only a payment that has been paid can be refunded."))
        open_refunds = sum(payment.refunds.filter(
            status__in=["requested", "approved"]).values_list("amount_yen", flat=True))
        left = payment.amount_yen - payment.refunded_yen - open_refunds
        if amount_yen > left:
            raise ValidationFailed(_("The refund is more than what is left to refund "
                                     "(%(left)s yen).") % {"left": f"{left:,}"},
                                   field="amount_yen")
        refund = Refund.objects.create(payment=payment, amount_yen=amount_yen,
                                       reason=reason.strip()[:2000], requested_by=actor)
        audit_record(actor=actor, action="refund.request", target=payment,
                     details={"refund": str(refund.id), "amount_yen": amount_yen})
    return refund


def refund_decide(*, refund: Refund, approve: bool, note: str = "", actor) -> Refund:
    """A second person approves or rejects a refund; an approved refund is paid back
    (at once for counter and sandbox payments, through the provider for cards)."""
    if not can(actor, "payments.approve_refund"):
        raise PermissionDeniedError()
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
        if refund.status != Refund.Status.REQUESTED:
            raise ConflictError(_("This refund has already been decided."))
        if refund.requested_by_id == actor.pk:
            raise ConflictError(_("A refund must be approved by someone other than the person "
                                  "who asked for it."))
        refund.status = Refund.Status.APPROVED if approve else Refund.Status.REJECTED
        refund.decided_by, refund.decided_at = actor, timezone.now()
        refund.decision_note = note[:300]
        refund.save()
        audit_record(actor=actor, action="refund.approve" if approve else "refund.reject",
                     target=refund.payment, details={"refund": str(refund.id)})
        if approve:
            from cityhall.core.background import enqueue_on_commit

            from .tasks import pay_back

            enqueue_on_commit(pay_back, str(refund.id))
    return refund


def refund_complete(*, refund_id, provider_reference: str = "") -> Refund:
    """The money went back: count it on the payment (idempotent)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.COMPLETED:
            return refund
        if refund.status != Refund.Status.APPROVED:
            raise ConflictError(_("Only an approved refund can be paid back."))
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        payment.refunded_yen += refund.amount_yen
        payment.save(update_fields=["refunded_yen"])
        refund.status = Refund.Status.COMPLETED
        refund.completed_at = timezone.now()
        refund.provider_reference = provider_reference[:120]
        refund.save()
        audit_record(actor=None, action="refund.complete", target=payment,
                     details={"refund": str(refund.id), "amount_yen": refund.amount_yen})
        # In the same transaction: a refund counted on the payment always shows in its status
        # (run again after a crash, this function returns early and would not fix it).
        payment_advance(payment_id=payment.pk,
                        status="refunded" if payment.refunded_yen >= payment.amount_yen
                        else "partly_refunded")
    return refund


def refund_fail(*, refund_id, reason: str) -> Refund:
    """The provider could not pay the money back (e.g. the card was closed): the refund is
    marked failed, so staff see it and pay back another way; nothing is counted."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.APPROVED:
            return refund
        refund.status = Refund.Status.FAILED
        refund.decision_note = f"{refund.decision_note} [{reason}]"[:300].strip()
        refund.save(update_fields=["status", "decision_note"])
        audit_record(actor=None, action="refund.fail", target=refund.payment,
                     details={"refund": str(refund.id), "reason": reason[:100]})
    return refund


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- provider events -----------------------------------------------------------------------

def provider_event_record(*, provider: str, event_id: str, type: str, payload: dict):
    """Keep a verified provider event once; returns None when it was seen before."""
    try:
        with transaction.atomic():
            return ProviderEvent.objects.create(provider=provider, event_id=event_id[:120],
                                                type=type[:80], payload=payload)
    except IntegrityError:
        return None


def _payment_for(obj: dict):
    import uuid

    metadata = obj.get("metadata") or {}
    try:
        payment_id = uuid.UUID(str(metadata.get("payment_id") or obj.get("client_reference_id")))
    except ValueError:
        payment_id = None
    if payment_id is not None:
        payment = Payment.objects.filter(pk=payment_id, provider="stripe").first()
        if payment is not None:
            return payment
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return Payment.objects.filter(provider="stripe", provider_reference=intent).first() \
        if intent else None


def stripe_event_apply(event: dict) -> str:
    """Act on one verified Stripe event, once. Events may come twice or out of order:
    `payment_advance` only ever moves a payment forward. Recording the event and acting on
    it are one transaction: if acting fails, the event is not kept as seen, and Stripe's
    retry of it is applied."""
    with transaction.atomic():
        return _stripe_event_apply(event)


def _stripe_event_apply(event: dict) -> str:
    from cityhall.core.background import enqueue_on_commit

    from .tasks import capture_payment

    recorded = provider_event_record(provider="stripe", event_id=str(event.get("id", "")),
                                     type=str(event.get("type", "")), payload=event)
    if recorded is None:
        return "already seen"
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    result = "ignored"
    if kind.startswith("refund.") or kind == "charge.refunded":
        refunds = [obj] if obj.get("object") == "refund" else \
            ((obj.get("refunds") or {}).get("data") or [])
        for item in refunds:
            refund_id = _uuid_or_none((item.get("metadata") or {}).get("refund_id"))
            waiting = refund_id and Refund.objects.filter(pk=refund_id,
                                                          status="approved").exists()
            if waiting and item.get("status") == "succeeded":
                refund_complete(refund_id=refund_id, provider_reference=item.get("id", ""))
                result = "refund completed"
            elif waiting and item.get("status") in ("failed", "canceled"):
                refund_fail(refund_id=refund_id, reason=str(item.get("failure_reason") or
                                                            item.get("status")))
                result = "refund failed"
    else:
        payment = _payment_for(obj)
        if payment is None:
            result = "no such payment"
        elif kind == "checkout.session.completed" or \
                kind == "payment_intent.amount_capturable_updated":
            intent = obj.get("payment_intent") if kind.startswith("checkout") else obj.get("id")
            if isinstance(intent, dict):
                intent = intent.get("id")
            with transaction.atomic():
                payment = payment_advance(payment_id=payment.pk, status="authorized",
                                          provider_reference=intent or "", method="card")
                if payment.status == "authorized":
                    enqueue_on_commit(capture_payment, str(payment.pk))
            result = payment.status
        elif kind == "payment_intent.succeeded":
            result = payment_advance(payment_id=payment.pk, status="captured",
                                     provider_reference=obj.get("id", ""),
                                     method="card").status
        elif kind == "payment_intent.payment_failed" and payment.status == "pending":
            # Stripe's Checkout page stays open after a declined card and the payer may try
            # another: the payment is not over until the session completes or expires
            # (failing it here would leave a later authorization uncaptured).
            result = "declined; the payment page stays open"
        elif kind == "payment_intent.payment_failed":
            error = obj.get("last_payment_error") or {}
            result = payment_advance(payment_id=payment.pk, status="failed",
                                     reason=str(error.get("message") or "declined")).status
        elif kind in ("payment_intent.canceled", "checkout.session.expired"):
            result = payment_advance(payment_id=payment.pk, status="cancelled",
                                     reason=kind).status
    ProviderEvent.objects.filter(pk=recorded.pk).update(result=result[:200])
    return result


def sandbox_pay(*, payment: Payment, outcome: str, actor) -> Payment:
    """The sandbox's pretend card page: "success" authorizes and captures, "decline"
    fails. Only the payer, only for sandbox payments."""
    if payment.provider != "sandbox":
        raise PermissionDeniedError()
    if payment.payer_id is None or actor.pk != payment.payer_id:
        raise PermissionDeniedError()
    if outcome not in ("success", "decline"):
        raise ValidationFailed(_("Choose what the pretend card does."), field="outcome")
    if payment.status != Payment.Status.PENDING:
        raise ConflictError(_("This payment is no longer waiting to be paid."))
    if outcome == "decline":
        return payment_advance(payment_id=payment.pk, status="failed", actor=actor,
                               reason="sandbox: card declined", method="sandbox")
    payment_advance(payment_id=payment.pk, status="authorized", actor=actor, method="sandbox",
                    provider_reference=f"sandbox_pi_{payment.id.hex[:12]}")
    return payment_advance(payment_id=payment.pk, status="captured", actor=actor)
