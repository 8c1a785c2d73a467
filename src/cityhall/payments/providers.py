"""Payment providers behind one small interface (取組2).

- `counter`: cash, electronic money or QR payments taken by staff; paid when recorded.
- `stripe`: cards online through Stripe Checkout and PaymentIntents with manual capture
  (authorized when the card is accepted, captured by us right after), with signed webhooks.
  Checkout is Stripe's hosted page, so paying needs no JavaScript on our pages and card
  numbers never reach the city's servers (PCI DSS scope stays with the provider).
- `sandbox`: the demo's pretend provider, labelled as such on every page; no money moves.

A provider starts a payment (returns a session id and the page to send the payer to), may
capture, cancel and refund, and turns a verified webhook into an event dict.
"""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

UNREACHABLE = gettext_lazy("The payment service cannot be reached just now. Please try again "
                           "in a few minutes.")
MISCONFIGURED = gettext_lazy("Online payment cannot be used just now because of a set-up "
                             "problem on the city's side; staff have been told. Please try "
                             "again later or pay at the counter.")
REFUSED = gettext_lazy("The payment service did not accept this payment. Please pay at the "
                       "counter or ask the department that charges the fee.")
DECLINED = gettext_lazy("The card was declined. Please try another card or another way of "
                        "paying.")


class ProviderUnavailable(Exception):
    """The provider could not be reached or refused the call. `transient` says whether trying
    later may work; `user_message` is what the payer is told (never the provider's own text,
    which may hold details of the city's account)."""

    def __init__(self, detail: str, *, user_message=UNREACHABLE, transient: bool = True):
        super().__init__(detail)
        self.user_message = user_message
        self.transient = transient


class CounterProvider:
    code = "counter"
    online = False

    def start(self, *, payment, return_url):
        raise ValidationFailed(_("This payment is taken at the counter."))

    def cancel(self, *, payment):
        return None

    def capture(self, *, payment):
        return None

    def refund(self, *, payment, refund) -> tuple[str, bool]:
        return f"counter-refund-{refund.id}", True  # handed back in cash at once


class SandboxProvider:
    code = "sandbox"
    online = True

    def start(self, *, payment, return_url):
        return f"sandbox_{payment.id.hex[:12]}", reverse("payments:sandbox",
                                                         args=[payment.pk])

    def cancel(self, *, payment):
        return None

    def capture(self, *, payment):
        return None

    def refund(self, *, payment, refund) -> tuple[str, bool]:
        return f"sandbox-refund-{refund.id}", True


class StripeProvider:
    code = "stripe"
    online = True

    def client(self):
        import stripe

        options = {"max_network_retries": 2}
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)

    def _call(self, func, *args, **kwargs):
        import stripe

        try:
            return func(*args, **kwargs)
        except stripe.StripeError as error:
            detail = f"{type(error).__name__}: {error}"[:300]
            if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
                # A wrong or revoked key: no payer can fix it, an operator must.
                logger.error("Stripe refused the city's credentials: %s", detail)
                raise ProviderUnavailable(detail, user_message=MISCONFIGURED,
                                          transient=False) from error
            if isinstance(error, stripe.CardError):
                raise ProviderUnavailable(detail, user_message=DECLINED,
                                          transient=False) from error
            if isinstance(error, stripe.InvalidRequestError | stripe.IdempotencyError):
                logger.warning("Stripe refused a request: %s", detail)
                raise ProviderUnavailable(detail, user_message=REFUSED,
                                          transient=False) from error
            raise ProviderUnavailable(detail) from error

    def start(self, *, payment, return_url):
        metadata = {"payment_id": str(payment.id), "reference": payment.reference}
        session = self._call(self.client().v1.checkout.sessions.create, params={
            "mode": "payment",
            "client_reference_id": str(payment.id),
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "jpy", "unit_amount": payment.amount_yen,
                "product_data": {"name": payment.purpose_label[:200]}}}],
            "payment_intent_data": {"capture_method": "manual", "metadata": metadata,
                                    "description": payment.reference},
            "metadata": metadata,
            "success_url": return_url,
            "cancel_url": return_url,
        }, options={"idempotency_key": f"{payment.idempotency_key}:checkout"})
        return session.id, session.url

    def capture(self, *, payment):
        self._call(self.client().v1.payment_intents.capture, payment.provider_reference,
                   options={"idempotency_key": f"{payment.idempotency_key}:capture"})

    def cancel(self, *, payment):
        if payment.provider_session:
            self._call(self.client().v1.checkout.sessions.expire, payment.provider_session,
                       options={"idempotency_key": f"{payment.idempotency_key}:expire"})

    def refund(self, *, payment, refund) -> tuple[str, bool]:
        result = self._call(self.client().v1.refunds.create, params={
            "payment_intent": payment.provider_reference, "amount": refund.amount_yen,
            "metadata": {"refund_id": str(refund.id), "payment_id": str(payment.id)},
        }, options={"idempotency_key": f"refund:{refund.id}"})
        return result.id, result.status == "succeeded"

    def verify(self, body: bytes, signature_header: str) -> dict:
        """The event, if the Stripe-Signature header proves Stripe sent this very body
        within the last five minutes; raises ValueError otherwise."""
        import stripe

        if not settings.STRIPE_WEBHOOK_SECRET:
            raise ValueError("no webhook secret is configured")
        try:
            event = stripe.Webhook.construct_event(body, signature_header or "",
                                                   settings.STRIPE_WEBHOOK_SECRET)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise ValueError(str(error)) from error
        return event.to_dict()


PROVIDERS = {"counter": CounterProvider(), "sandbox": SandboxProvider(),
             "stripe": StripeProvider()}


def enabled_providers() -> list[str]:
    return [code for code in settings.PAYMENT_PROVIDERS if code in PROVIDERS]


def online_providers() -> list[str]:
    return [code for code in enabled_providers() if PROVIDERS[code].online]


def provider_for(code: str):
    if code not in enabled_providers():
        raise ValidationFailed(_("This way of paying is not available."), field="provider")
    return PROVIDERS[code]
