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
