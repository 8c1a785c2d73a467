"""An application's fee paid by card, end to end: procedures asks the payments engine for the
payment (PaymentsEngineGateway), the applicant pays on the card provider's page — the
payments engine's fake Stripe, driven through the real `stripe` client — and the signed
webhooks mark the fee paid on the application. These tests live here, not in payments/tests,
because procedures may use the payments engine but not the other way round (DESIGN.md)."""

import pytest
from django.urls import reverse

from cityhall.payments import services as payments
from cityhall.payments.models import Payment
from cityhall.payments.tests.fake_stripe import DECLINED_CARD, serving_django
from cityhall.procedures import fees, services
from cityhall.procedures.models import Application, Procedure

pytestmark = pytest.mark.django_db

GOOD = {"dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
        "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01",
        "rabies_vaccination": True}


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def fake_stripe(settings, on_commit):
    """Card payments through a fake Stripe, with the payments engine as the fee gateway (the
    gateway that was registered before is put back after)."""
    installed = fees.fee_gateway()
    fees.register_fee_gateway(fees.PaymentsEngineGateway())
    try:
        with serving_django(settings, run_on_commit=on_commit) as fake:
            yield fake
    finally:
        fees.register_fee_gateway(installed)


def submitted(resident, on_commit):
    procedure = Procedure.objects.get(code="dog-registration")
    application = services.application_start(procedure=procedure, applicant=resident.user,
                                             actor=resident.user)
    services.application_save_draft(application=application, data=GOOD, actor=resident.user)
    with on_commit():
        application = services.application_submit(application=application,
                                                  actor=resident.user)
    application.refresh_from_db()
    return application


def start_paying(client, resident, application):
    """From the application's page to the provider's payment page."""
    client.force_login(resident.user)
    page = client.get(reverse("procedures:application_detail", args=[application.pk]))
    payment = page.context["payment"]
    assert payment is not None
    assert reverse("payments:payment_detail", args=[payment.pk]) in page.content.decode()
    response = client.post(reverse("payments:payment_pay", args=[payment.pk]))
    payment.refresh_from_db()
    assert response.status_code == 302 and response.url == payment.checkout_url
    return payment


def test_a_dog_registration_fee_is_paid_by_card(client, minato, hanako, fake_stripe,
                                                on_commit):
    application = submitted(hanako, on_commit)
    payment = Payment.objects.get(purpose=f"procedures.application:{application.reference}")
    assert application.payment_status == "pending"
    assert application.payment_reference == payment.reference
    assert (payment.provider, payment.amount_yen, payment.payer) == \
        ("stripe", application.fee_yen, hanako.user)

    payment = start_paying(client, hanako, application)
    assert fake_stripe.sessions[payment.provider_session]["amount_total"] == application.fee_yen
    fake_stripe.pay(payment.provider_session)

    payment.refresh_from_db()
    application.refresh_from_db()
    assert payment.status == "captured"
    assert application.payment_status == "paid"
    assert application.payment_reference == payment.reference
    assert fake_stripe.count("POST", "/v1/payment_intents") == 1  # one capture
    # Replayed webhooks report nothing new to the application.
    events = application.events.count()
    for event in list(fake_stripe.events):
        assert fake_stripe.send(event) == (200, "already seen")
    application.refresh_from_db()
    assert application.payment_status == "paid" and application.events.count() == events


def test_a_declined_card_leaves_the_fee_unpaid(client, minato, hanako, fake_stripe,
                                               on_commit):
    application = submitted(hanako, on_commit)
    payment = start_paying(client, hanako, application)

    fake_stripe.pay(payment.provider_session, DECLINED_CARD)

    payment.refresh_from_db()
    application.refresh_from_db()
    assert payment.status == "pending"  # the provider's page stays open for another card
    assert application.payment_status == "pending"
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0  # nothing captured
    assert not fake_stripe.events_of("payment_intent.succeeded")

    fake_stripe.expire(payment.provider_session)

    payment.refresh_from_db()
    application.refresh_from_db()
    assert payment.status == "cancelled"
    assert application.payment_status == "pending"


def test_a_refunded_card_fee_is_marked_refunded(client, minato, hanako, shiba_clerk,
                                                shiba_manager, fake_stripe, on_commit):
    application = submitted(hanako, on_commit)
    payment = start_paying(client, hanako, application)
    fake_stripe.pay(payment.provider_session)
    payment.refresh_from_db()
    refund = payments.refund_request(payment=payment, amount_yen=payment.amount_yen,
                                     reason="申請の取下げ", actor=shiba_clerk)

    with on_commit():
        payments.refund_decide(refund=refund, approve=True, actor=shiba_manager)
    fake_stripe.flush()

    payment.refresh_from_db()
    application = Application.objects.get(pk=application.pk)
    assert payment.status == "refunded"
    assert application.payment_status == "refunded"
    assert fake_stripe.charges[fake_stripe.payment_intents[payment.provider_reference][
        "latest_charge"]]["amount_refunded"] == payment.amount_yen
