"""The card adapter (`providers.StripeProvider`, the official `stripe` client) end to end
against a fake Stripe that follows Stripe's documented API and webhook signatures
(`fake_stripe.py`): the resident is sent to the hosted page, pays, the signed webhooks
authorize the payment, the capture task captures it through the real client, and the receipt
is there. Then what goes wrong in real life: declined cards, replayed, late and forged
webhooks, double clicks, a network that fails mid-capture, refunds that take days, and a
provider that is down."""

import json
import time
import urllib.request
import uuid

import pytest
import stripe
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cityhall.core.errors import ConflictError, PermissionDeniedError
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory
from cityhall.payments import services, tasks
from cityhall.payments.models import Payment, ProviderEvent, Refund

from .fake_stripe import DECLINED_CARD, GOOD_CARD

pytestmark = pytest.mark.django_db

PROVIDER_DOWN = ("The payment service cannot be reached just now. Please try again in a few "
                 "minutes.")
MISCONFIGURED = ("Online payment cannot be used just now because of a set-up problem on the "
                 "city's side; staff have been told. Please try again later or pay at the "
                 "counter.")
REFUSED = ("The payment service did not accept this payment. Please pay at the counter or ask "
           "the department that charges the fee.")


def card_payment(resident, *, amount_yen=3000, purpose="test.order:1", key=None):
    return services.payment_create(
        purpose=purpose, purpose_label="犬の登録（テスト）", amount_yen=amount_yen,
        provider="stripe", idempotency_key=key or f"key:{purpose}", payer=resident.user,
        actor=resident.user)


def start(client, resident, payment):
    """The resident presses "Pay now"; returns the response (a redirect)."""
    client.force_login(resident.user)
    return client.post(reverse("payments:payment_pay", args=[payment.pk]))


def paid(client, fake, resident, payment, card=GOOD_CARD):
    """Start the payment and pay on the hosted page; returns the payment as it is now."""
    response = start(client, resident, payment)
    assert response.status_code == 302
    payment.refresh_from_db()
    fake.pay(payment.provider_session, card)
    payment.refresh_from_db()
    return payment


def stripe_api(fake):
    """The official client, as someone else at the provider's end would use it."""
    return stripe.StripeClient(fake.secret_key, base_addresses={"api": fake.api_base})


def snapshot(payment):
    payment.refresh_from_db()
    return ({field.name: getattr(payment, field.name) for field in Payment._meta.fields},
            ProviderEvent.objects.count(), AuditEvent.objects.count(),
            list(Refund.objects.values_list("status", "amount_yen", "provider_reference")))


# --- the whole round trip ------------------------------------------------------------------

def test_a_resident_pays_by_card_from_start_to_receipt(client, minato, hanako, fake_stripe):
    payment = card_payment(hanako)
    response = start(client, hanako, payment)

    payment.refresh_from_db()
    session = fake_stripe.sessions[payment.provider_session]
    assert response.status_code == 302
    assert response.url == payment.checkout_url == session["url"]
    assert response.url.startswith(f"{fake_stripe.api_base}/pay/cs_test_")
    assert payment.status == "pending" and payment.provider_reference == ""
    # What the city asked of Stripe: one item in whole yen, captured later by the city.
    assert (session["mode"], session["currency"], session["amount_total"]) == \
        ("payment", "jpy", 3000)
    assert session["metadata"] == {"payment_id": str(payment.pk),
                                   "reference": payment.reference}
    assert session["client_reference_id"] == str(payment.pk)
    assert session["_payment_intent_data"]["capture_method"] == "manual"
    assert session["success_url"].endswith(reverse("payments:payment_detail",
                                                   args=[payment.pk]))
    # The hosted page is there for the payer.
    with urllib.request.urlopen(response.url) as page:  # noqa: S310 - the local fake
        assert b"3,000" in page.read()

    assert fake_stripe.pay(payment.provider_session) == "paid"

    payment.refresh_from_db()
    intent = fake_stripe.payment_intents[session["payment_intent"]]
    assert payment.status == "captured" and payment.method == "card"
    assert payment.provider_reference == intent["id"]
    assert payment.authorized_at and payment.captured_at
    assert intent["status"] == "succeeded" and intent["amount_received"] == 3000
    assert fake_stripe.count("POST", f"/v1/payment_intents/{intent['id']}/capture") == 1
    assert [(d["type"], d["status"]) for d in fake_stripe.deliveries] == [
        ("payment_intent.amount_capturable_updated", 200),
        ("checkout.session.completed", 200),
        ("payment_intent.succeeded", 200)]
    assert sorted(ProviderEvent.objects.values_list("type", "result")) == [
        ("checkout.session.completed", "captured"),
        ("payment_intent.amount_capturable_updated", "authorized"),
        ("payment_intent.succeeded", "captured")]
    assert list(AuditEvent.objects.filter(target_id=str(payment.pk)).order_by(
        "sequence").values_list("action", flat=True)) == [
        "payment.create", "payment.start", "payment.authorized", "payment.captured"]

    response = client.get(reverse("payments:payment_receipt", args=[payment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_paying_on_the_hosted_page_form_then_the_webhooks_arrive(client, minato, hanako,
                                                                 fake_stripe):
    """Through the page's own form, as a browser pays: Stripe sends the events after the
    payer is back, and until then the payment waits."""
    payment = card_payment(hanako)
    url = start(client, hanako, payment).url
    request = urllib.request.Request(  # noqa: S310 - the local fake
        url, data=f"card={GOOD_CARD}".encode(), method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as back:
        opener.open(request)
    assert back.value.code == 303
    assert back.value.headers["Location"].endswith(
        reverse("payments:payment_detail", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == "pending" and len(fake_stripe.outbox) == 2
    assert client.get(reverse("payments:payment_receipt",
                              args=[payment.pk])).status_code == 302  # no receipt yet

    fake_stripe.flush()

    payment.refresh_from_db()
    assert payment.status == "captured"


# --- declined, expired, cancelled ----------------------------------------------------------

def test_a_declined_card_takes_nothing_and_the_payer_may_try_another(client, minato, hanako,
                                                                     fake_stripe):
    """Stripe's hosted page stays open after a decline: the payment is not lost (nor marked
    failed while the payer can still pay on that page), nothing is captured, and a second
    card pays it."""
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()

    assert fake_stripe.pay(payment.provider_session, DECLINED_CARD) == "generic_decline"

    payment.refresh_from_db()
    session = fake_stripe.sessions[payment.provider_session]
    intent = fake_stripe.payment_intents[session["payment_intent"]]
    assert [d["type"] for d in fake_stripe.deliveries] == ["payment_intent.payment_failed"]
    assert payment.status == "pending" and payment.captured_at is None
    assert ProviderEvent.objects.get().result == "declined; the payment page stays open"
    assert session["status"] == "open"
    assert intent["status"] == "requires_payment_method" and intent["amount_received"] == 0
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0  # no capture attempted
    assert client.get(reverse("payments:payment_receipt",
                              args=[payment.pk])).status_code == 302
    # "Continue to the payment page" leads back to the same page.
    assert start(client, hanako, payment).url == session["url"]
    assert fake_stripe.created["checkout.session"] == 1

    assert fake_stripe.pay(payment.provider_session, GOOD_CARD) == "paid"

    payment.refresh_from_db()
    assert payment.status == "captured" and intent["status"] == "succeeded"
    assert fake_stripe.created["payment_intent"] == 1


def test_a_session_that_expires_unpaid_cancels_the_payment(client, minato, hanako,
                                                           fake_stripe):
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.pay(payment.provider_session, DECLINED_CARD)

    fake_stripe.expire(payment.provider_session)

    payment.refresh_from_db()
    assert payment.status == "cancelled" and payment.closed_at is not None
    assert [d["type"] for d in fake_stripe.deliveries][1:] == [
        "payment_intent.canceled", "checkout.session.expired"]
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0
    # The purpose is free again: a new payment can be made for it.
    again = card_payment(hanako, key="key:test.order:1:again")
    assert again.pk != payment.pk and again.status == "pending"


def test_the_resident_cancels_before_paying(client, minato, hanako, fake_stripe):
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()

    response = client.post(reverse("payments:payment_cancel", args=[payment.pk]))

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    assert fake_stripe.sessions[payment.provider_session]["status"] == "expired"
    fake_stripe.flush()  # Stripe's checkout.session.expired changes nothing more
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    with pytest.raises(ValueError, match="not open"):
        fake_stripe.pay(payment.provider_session)


def test_a_payer_who_already_paid_cannot_cancel(client, minato, hanako, fake_stripe):
    """Paid in another tab, the webhook not here yet: the session cannot be expired any
    more, so the payment is not cancelled, and the webhook then completes it."""
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.auto_deliver = False
    fake_stripe.pay(payment.provider_session)

    response = client.post(reverse("payments:payment_cancel", args=[payment.pk]))

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "pending"
    fake_stripe.flush()
    payment.refresh_from_db()
    assert payment.status == "captured"


# --- webhooks: replayed, out of order, forged, unknown -------------------------------------

def test_a_replayed_webhook_changes_nothing_and_is_recorded_once(client, minato, hanako,
                                                                 fake_stripe):
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.pay(payment.provider_session)
    before = snapshot(payment)
    delivered = list(fake_stripe.events)

    for event in delivered:
        assert fake_stripe.send(event) == (200, "already seen")

    assert snapshot(payment) == before
    assert ProviderEvent.objects.count() == len(delivered) == 3
    for event in delivered:
        assert ProviderEvent.objects.filter(event_id=event["id"]).count() == 1
    assert fake_stripe.count("POST", "/v1/payment_intents") == 1  # captured once


def test_events_out_of_order_never_move_a_payment_backwards(client, minato, hanako,
                                                            fake_stripe):
    """payment_intent.succeeded first (captured at the provider's end, e.g. in its
    dashboard), then checkout.session.completed, then an old
    payment_intent.amount_capturable_updated: the payment stays captured and is not
    captured again."""
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.auto_deliver = False
    fake_stripe.pay(payment.provider_session)
    intent_id = fake_stripe.sessions[payment.provider_session]["payment_intent"]
    stripe_api(fake_stripe).v1.payment_intents.capture(intent_id)
    capturable, completed, succeeded = fake_stripe.take_events()
    assert [capturable["type"], completed["type"], succeeded["type"]] == [
        "payment_intent.amount_capturable_updated", "checkout.session.completed",
        "payment_intent.succeeded"]

    assert fake_stripe.send(succeeded) == (200, "captured")
    payment.refresh_from_db()
    captured_at = payment.captured_at
    assert payment.status == "captured" and payment.provider_reference == intent_id

    assert fake_stripe.send(completed) == (200, "captured")
    assert fake_stripe.send(capturable) == (200, "captured")

    payment.refresh_from_db()
    assert payment.status == "captured" and payment.captured_at == captured_at
    assert fake_stripe.count("POST", f"/v1/payment_intents/{intent_id}/capture") == 1
    assert fake_stripe.outbox == []
    assert AuditEvent.objects.filter(target_id=str(payment.pk),
                                     action__in=["payment.authorized",
                                                 "payment.captured"]).count() == 1


def test_a_late_authorization_after_the_capture_changes_nothing(client, minato, hanako,
                                                                fake_stripe):
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.auto_deliver = False
    fake_stripe.pay(payment.provider_session)
    capturable, completed = fake_stripe.take_events()
    fake_stripe.send(completed)  # authorizes; the capture task captures
    fake_stripe.flush()  # payment_intent.succeeded
    before = snapshot(payment)

    assert fake_stripe.send(capturable) == (200, "captured")

    after = snapshot(payment)
    assert after[0] == before[0] and after[3] == before[3]
    assert after[1] == before[1] + 1  # recorded, and that is all
    assert fake_stripe.count("POST", "/v1/payment_intents") == 1


def _forged(fake, event):
    body = fake.body_of(event)
    now = int(time.time())
    tampered = body.replace(b'"amount_capturable": 3000', b'"amount_capturable": 300')
    assert tampered != body
    return {
        "signed with another secret": (body, fake.sign(body, secret="whsec_someone_else")),
        "no signature header": (body, None),
        "empty signature header": (body, ""),
        "signed more than five minutes ago": (body, fake.sign(body, timestamp=now - 301)),
        "tampered body": (tampered, fake.sign(body)),
        "signature of another timestamp": (
            body, fake.sign(body, timestamp=now).replace(f"t={now}", f"t={now - 1}")),
        "garbage header": (body, "t=abc,v1=xyz"),
        "only a v0 signature": (body, f"t={now},v0=" + "0" * 64),
    }


FORGERY_NAMES = ["signed with another secret", "no signature header",
                 "empty signature header", "signed more than five minutes ago",
                 "tampered body", "signature of another timestamp", "garbage header",
                 "only a v0 signature"]


@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_a_webhook_that_does_not_verify_is_refused_and_changes_nothing(
        client, minato, hanako, fake_stripe, forgery):
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.auto_deliver = False
    fake_stripe.pay(payment.provider_session)
    event = fake_stripe.take_events()[0]
    assert event["type"] == "payment_intent.amount_capturable_updated"
    body, signature = _forged(fake_stripe, event)[forgery]
    before = snapshot(payment)

    status, text = fake_stripe.deliver(body, signature)

    assert (status, text) == (400, "invalid signature")
    assert snapshot(payment) == before
    assert payment.status == "pending" and ProviderEvent.objects.count() == 0
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0
    # The genuine event, signed as Stripe signs it, is still accepted.
    assert fake_stripe.send(event) == (200, "authorized")


def test_the_webhook_takes_only_post(client, minato, fake_stripe):
    assert client.get(reverse("payments:stripe_webhook")).status_code == 405
    assert ProviderEvent.objects.count() == 0


def test_a_webhook_for_a_payment_we_do_not_know_is_recorded_and_harmless(
        client, minato, hanako, fake_stripe):
    """Someone else's checkout on the same Stripe account (or a payment deleted since)."""
    ours = card_payment(hanako)
    start(client, hanako, ours)
    before = snapshot(ours)
    session = stripe_api(fake_stripe).v1.checkout.sessions.create(params={
        "mode": "payment", "success_url": "https://shop.example/thanks",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "jpy", "unit_amount": 800, "product_data": {"name": "other"}}}],
        "payment_intent_data": {"capture_method": "manual",
                                "metadata": {"payment_id": str(uuid.uuid4())}},
        "metadata": {"payment_id": str(uuid.uuid4())}})

    fake_stripe.pay(session.id)

    assert [(d["status"], d["text"]) for d in fake_stripe.deliveries] == [
        (200, "no such payment"), (200, "no such payment")]
    assert list(ProviderEvent.objects.values_list("result", flat=True)) == [
        "no such payment", "no such payment"]
    after = snapshot(ours)
    assert after[0] == before[0] and after[2] == before[2]
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0


# --- idempotency: double clicks and a network that fails -----------------------------------

def test_pressing_pay_twice_makes_one_checkout_session(client, minato, hanako, fake_stripe):
    payment = card_payment(hanako)

    first = start(client, hanako, payment)
    second = start(client, hanako, payment)

    assert first.url == second.url
    assert fake_stripe.created["checkout.session"] == 1
    assert fake_stripe.count("POST", "/v1/checkout/sessions") == 1


def test_two_requests_racing_to_start_get_the_same_session(minato, hanako, fake_stripe):
    """Both saw a payment without a session and both asked Stripe: the idempotency key
    makes Stripe answer the second with the first one's session."""
    payment = card_payment(hanako)
    stale = Payment.objects.get(pk=payment.pk)
    return_url = "https://cityhall.example/payments/back"

    first = services.payment_start(payment=payment, return_url=return_url,
                                   actor=hanako.user)
    second = services.payment_start(payment=stale, return_url=return_url, actor=hanako.user)

    assert first == second
    assert fake_stripe.created["checkout.session"] == 1
    assert [r["replayed"] for r in fake_stripe.requests] == [False, True]
    assert AuditEvent.objects.filter(action="payment.start").count() == 2


@pytest.mark.parametrize("mode", ["error", "drop", "drop_after"])
def test_a_capture_that_fails_once_is_retried_by_the_client_and_captures_once(
        client, minato, hanako, fake_stripe, mode):
    """A 500, a connection broken before Stripe ran the capture, or one broken after it ran
    (the answer lost): the client tries again with the same idempotency key."""
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.fail_next("POST", "/v1/payment_intents/", times=1, mode=mode)

    fake_stripe.pay(payment.provider_session)

    payment.refresh_from_db()
    captures = [r for r in fake_stripe.requests if r["path"].endswith("/capture")]
    assert payment.status == "captured"
    assert len(captures) == 2
    assert captures[1]["replayed"] is (mode == "drop_after")
    assert len(fake_stripe.events_of("payment_intent.succeeded")) == 1


def test_a_capture_that_keeps_failing_is_left_authorized_and_the_task_retries(
        client, minato, hanako, fake_stripe):
    """The client gives up after its own retries; the payment stays authorized (the card
    hold is safe for days) and the durable task's next attempt captures it, once."""
    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.fail_next("POST", "/v1/payment_intents/", times=3, mode="drop_after")
    fake_stripe.auto_deliver = False
    fake_stripe.pay(payment.provider_session)
    capturable, completed = fake_stripe.take_events()

    assert fake_stripe.send(capturable) == (200, "authorized")

    payment.refresh_from_db()
    intent_id = payment.provider_reference
    assert payment.status == "authorized"
    assert fake_stripe.count("POST", f"/v1/payment_intents/{intent_id}/capture") == 3
    # Stripe did capture on the first try; only the answers were lost.
    assert fake_stripe.payment_intents[intent_id]["status"] == "succeeded"

    assert tasks.capture_payment.call(str(payment.pk), _attempt=2) == "captured"

    payment.refresh_from_db()
    assert payment.status == "captured"
    assert fake_stripe.requests[-1]["replayed"] is True
    assert len(fake_stripe.events_of("payment_intent.succeeded")) == 1
    # The events still on their way find it done.
    assert fake_stripe.send(completed) == (200, "captured")
    fake_stripe.flush()
    assert tasks.capture_payment.call(str(payment.pk)) == "nothing to capture"
    assert fake_stripe.count("POST", f"/v1/payment_intents/{intent_id}/capture") == 4


# --- refunds -------------------------------------------------------------------------------

def _captured(client, fake, resident, amount_yen=3000):
    payment = paid(client, fake, resident, card_payment(resident, amount_yen=amount_yen))
    assert payment.status == "captured"
    return payment


def test_a_refund_asked_by_a_clerk_and_approved_by_a_manager_is_paid_back(
        client, minato, hanako, shiba_clerk, shiba_manager, fake_stripe, on_commit):
    payment = _captured(client, fake_stripe, hanako)
    intent = fake_stripe.payment_intents[payment.provider_reference]
    refund = services.refund_request(payment=payment, amount_yen=1000,
                                     reason="二重に申請されたため一部返金", actor=shiba_clerk)
    with pytest.raises(PermissionDeniedError):
        services.refund_decide(refund=refund, approve=True, actor=shiba_clerk)
    assert fake_stripe.created["refund"] == 0

    with on_commit():
        services.refund_decide(refund=refund, approve=True, actor=shiba_manager)

    refund.refresh_from_db()
    payment.refresh_from_db()
    at_stripe = fake_stripe.refunds[refund.provider_reference]
    assert refund.status == "completed" and refund.decided_by == shiba_manager
    assert (at_stripe["amount"], at_stripe["payment_intent"], at_stripe["status"]) == \
        (1000, intent["id"], "succeeded")
    assert at_stripe["metadata"] == {"refund_id": str(refund.pk),
                                     "payment_id": str(payment.pk)}
    assert payment.status == "partly_refunded" and payment.refunded_yen == 1000
    fake_stripe.flush()  # refund.created, charge.refunded: already counted, nothing more
    payment.refresh_from_db()
    assert payment.refunded_yen == 1000

    rest = services.refund_request(payment=payment, amount_yen=2000, reason="残額",
                                   actor=shiba_clerk)
    with on_commit():
        services.refund_decide(refund=rest, approve=True, actor=shiba_manager)
    fake_stripe.flush()

    payment.refresh_from_db()
    charge = fake_stripe.charges[intent["latest_charge"]]
    assert payment.status == "refunded" and payment.refunded_yen == 3000
    assert charge["amount_refunded"] == 3000 and charge["refunded"] is True
    assert fake_stripe.created["refund"] == 2
    # A receipt is still there, and says what was refunded.
    client.force_login(hanako.user)
    assert client.get(reverse("payments:payment_receipt",
                              args=[payment.pk])).status_code == 200


def test_the_requester_cannot_approve_their_own_refund(client, minato, hanako, fake_stripe):
    manager = StaffFactory(roles=("counter_clerk", "branch_manager"))
    payment = _captured(client, fake_stripe, hanako)
    refund = services.refund_request(payment=payment, amount_yen=500, reason="誤り",
                                     actor=manager)

    with pytest.raises(ConflictError):
        services.refund_decide(refund=refund, approve=True, actor=manager)

    refund.refresh_from_db()
    assert refund.status == "requested" and fake_stripe.created["refund"] == 0


def test_a_pending_refund_completes_only_when_stripe_says_so(
        client, minato, hanako, shiba_clerk, shiba_manager, fake_stripe, on_commit):
    payment = _captured(client, fake_stripe, hanako)
    fake_stripe.refund_status = "pending"
    refund = services.refund_request(payment=payment, amount_yen=3000, reason="取下げ",
                                     actor=shiba_clerk)

    with on_commit():
        services.refund_decide(refund=refund, approve=True, actor=shiba_manager)
    fake_stripe.flush()  # refund.created (pending)

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == "approved" and refund.provider_reference.startswith("re_")
    assert fake_stripe.refunds[refund.provider_reference]["status"] == "pending"
    assert payment.status == "captured" and payment.refunded_yen == 0
    # The task running again does not refund twice (same idempotency key).
    assert tasks.pay_back.call(str(refund.pk)) == "waiting for the provider"
    assert fake_stripe.created["refund"] == 1

    fake_stripe.settle_refund(refund.provider_reference)

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == "completed"
    assert payment.status == "refunded" and payment.refunded_yen == 3000
    updated = fake_stripe.events_of("refund.updated")[0]
    assert ProviderEvent.objects.get(event_id=updated["id"]).result == "refund completed"
    before = snapshot(payment)
    assert fake_stripe.send(updated) == (200, "already seen")
    assert snapshot(payment) == before


# --- the provider is down or refuses us ----------------------------------------------------

@pytest.mark.parametrize("trouble", ["down", "wrong key"])
def test_when_the_provider_cannot_be_used_the_resident_is_told_and_nothing_changes(
        client, minato, hanako, fake_stripe, settings, trouble):
    payment = card_payment(hanako)
    if trouble == "down":
        fake_stripe.stop()
    else:
        settings.STRIPE_SECRET_KEY = "sk_test_not_ours"
    before = snapshot(payment)

    response = start(client, hanako, payment)

    assert response.status_code == 302
    assert response.url == reverse("payments:payment_detail", args=[payment.pk])
    told = PROVIDER_DOWN if trouble == "down" else MISCONFIGURED
    with translation.override("ja"):
        expected = gettext(told)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [expected]
    assert snapshot(payment) == before
    assert payment.checkout_url == "" and payment.provider_session == ""
    if trouble == "wrong key":
        assert [r["status"] for r in fake_stripe.requests] == [401]
        assert fake_stripe.created["checkout.session"] == 0


def test_a_payment_stripe_will_not_take_says_so_instead_of_blaming_the_network(
        client, minato, hanako, fake_stripe):
    # Stripe takes no card payment under 50 yen: that is a refusal, not an outage.
    payment = card_payment(hanako, amount_yen=10)
    before = snapshot(payment)

    response = start(client, hanako, payment)

    assert response.status_code == 302
    with translation.override("ja"):
        expected = gettext(REFUSED)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [expected]
    assert snapshot(payment) == before
    assert fake_stripe.created["checkout.session"] == 0


def test_the_fake_speaks_stripes_error_shapes(fake_stripe):
    """A few of the documented answers the adapter may meet, through the official client."""
    api = stripe_api(fake_stripe)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        api.v1.payment_intents.retrieve("pi_missing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        api.v1.checkout.sessions.create(params={"mode": "payment", "colour": "red"})
    assert unknown.value.http_status == 400 and "colour" in str(unknown.value)
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_other", base_addresses={
            "api": fake_stripe.api_base}).v1.payment_intents.retrieve("pi_x")
    params = {"mode": "payment", "success_url": "https://x.example/",
              "payment_intent_data": {"capture_method": "manual"},
              "line_items": [{"quantity": 1, "price_data": {
                  "currency": "jpy", "unit_amount": 300, "product_data": {"name": "x"}}}]}
    first = api.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k"})
    again = api.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k"})
    assert first.id == again.id and fake_stripe.created["checkout.session"] == 1
    with pytest.raises(stripe.IdempotencyError):
        api.v1.checkout.sessions.create(params={**params, "client_reference_id": "other"},
                                        options={"idempotency_key": "k"})
    with pytest.raises(stripe.InvalidRequestError, match="at least 50"):
        api.v1.checkout.sessions.create(params={**params, "line_items": [{
            "quantity": 1, "price_data": {"currency": "jpy", "unit_amount": 10,
                                          "product_data": {"name": "x"}}}]})
    fake_stripe.pay(first.id)
    intent = fake_stripe.sessions[first.id]["payment_intent"]
    with pytest.raises(stripe.InvalidRequestError) as early:
        api.v1.refunds.create(params={"payment_intent": intent})
    assert early.value.http_status == 400
    fake_stripe.fail_next("POST", "/v1/payment_intents/", status=402)
    with pytest.raises(stripe.CardError) as declined:
        api.v1.payment_intents.capture(intent)
    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    assert api.v1.payment_intents.capture(intent).status == "succeeded"
    event = fake_stripe.events[0]
    assert json.loads(fake_stripe.body_of(event))["object"] == "event"
    assert stripe.Webhook.construct_event(fake_stripe.body_of(event), fake_stripe.sign(
        fake_stripe.body_of(event)), fake_stripe.webhook_secret).id == event["id"]


def test_a_webhook_that_fails_midway_is_applied_when_stripe_sends_it_again(
        client, minato, hanako, fake_stripe, monkeypatch):
    """Stripe retries an event that did not get a 2xx. If applying it broke half way (here:
    the database refuses the update), nothing of it may stay behind — not even the record
    that it was seen — or the retry would be ignored as a replay."""
    from django.db import OperationalError

    payment = card_payment(hanako)
    start(client, hanako, payment)
    payment.refresh_from_db()
    fake_stripe.auto_deliver = False
    fake_stripe.pay(payment.provider_session)
    _capturable, completed = fake_stripe.take_events()
    real_advance = services.payment_advance

    def broken(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "payment_advance", broken)
    with pytest.raises(OperationalError):
        fake_stripe.send(completed)  # the view fails: Stripe sees a 500
    monkeypatch.setattr(services, "payment_advance", real_advance)
    payment.refresh_from_db()
    assert payment.status == "pending" and ProviderEvent.objects.count() == 0

    assert fake_stripe.send(completed) == (200, "authorized")  # Stripe's retry

    payment.refresh_from_db()
    assert payment.status == "captured"
    assert ProviderEvent.objects.get().event_id == completed["id"]


def test_a_refund_stripe_cannot_pay_back_is_marked_failed_and_counts_nothing(
        client, minato, hanako, shiba_clerk, shiba_manager, fake_stripe, on_commit):
    payment = _captured(client, fake_stripe, hanako)
    fake_stripe.refund_status = "pending"
    refund = services.refund_request(payment=payment, amount_yen=1000, reason="一部取下げ",
                                     actor=shiba_clerk)
    with on_commit():
        services.refund_decide(refund=refund, approve=True, actor=shiba_manager)
    fake_stripe.flush()
    refund.refresh_from_db()
    fake_stripe.settle_refund(refund.provider_reference, "failed")
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == "failed"
    assert payment.status == "captured" and payment.refunded_yen == 0
    # What is left to refund is free again for another refund.
    again = services.refund_request(payment=payment, amount_yen=3000, reason="全額取下げ",
                                    actor=shiba_clerk)
    assert again.amount_yen == 3000
