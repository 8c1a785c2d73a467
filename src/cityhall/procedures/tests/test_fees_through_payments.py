"""An application's fee through the payments engine's sandbox: procedures asks for the
payment (PaymentsEngineGateway), the applicant pays, and the payments listener
(`fees.on_payment_change`) marks the fee paid, or refunded, on the application. These tests
live in procedures because procedures may use the payments engine, not the other way round
(DESIGN.md); card payments through Stripe are in test_card_fees.py."""

import pytest
from django.urls import reverse

from cityhall.core.models import AuditEvent
from cityhall.payments import services as payments
from cityhall.payments.models import Fee, Payment
from cityhall.procedures import fees, services
from cityhall.procedures.models import Procedure

pytestmark = pytest.mark.django_db

DOG = {"dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
       "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01", "rabies_vaccination": True}

_capture = None


@pytest.fixture(autouse=True)
def _sandbox_and_immediate_tasks(settings, django_capture_on_commit_callbacks):
    """The providers of a development machine (no Stripe keys), tasks run at once, and what
    the services leave for after the commit run when `act` returns."""
    global _capture
    settings.PAYMENT_PROVIDERS = ["counter", "sandbox"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


@pytest.fixture(autouse=True)
def engine_gateway():
    """The payments engine as the fee gateway; the gateway registered before is put back."""
    installed = fees.fee_gateway()
    fees.register_fee_gateway(fees.PaymentsEngineGateway())
    yield
    fees.register_fee_gateway(installed)


def act(service, **kwargs):
    with _capture(execute=True):
        return service(**kwargs)


def submitted(resident):
    application = services.application_start(
        procedure=Procedure.objects.get(code="dog-registration"), applicant=resident.user,
        actor=resident.user)
    services.application_save_draft(application=application, data=DOG, actor=resident.user)
    act(services.application_submit, application=application, actor=resident.user)
    application.refresh_from_db()
    return application


def payment_of(application) -> Payment:
    return Payment.objects.get(purpose=f"procedures.application:{application.reference}")


def test_a_fee_paid_in_the_sandbox_is_marked_paid_on_the_application(
        client, minato, hanako, shiba_clerk, shiba_manager):
    application = submitted(hanako)
    payment = payment_of(application)
    assert (payment.status, payment.provider, payment.amount_yen) == ("pending", "sandbox",
                                                                      3000)
    assert payment.payer == hanako.user
    assert payment.fee == Fee.objects.get(code="dog-registration")
    assert payment.department.code == "seikatsu-eisei"
    assert payment.purpose_url == reverse("procedures:application_detail",
                                          args=[application.pk])
    assert (application.payment_status, application.payment_reference) == (
        "pending", payment.reference)
    client.force_login(hanako.user)
    page = client.get(reverse("procedures:application_detail", args=[application.pk]))
    assert reverse("payments:payment_detail", args=[payment.pk]) in page.content.decode()

    act(payments.sandbox_pay, payment=payment, outcome="success", actor=hanako.user)
    application.refresh_from_db()
    assert (application.payment_status, application.payment_reference) == (
        "paid", payment.reference)
    assert AuditEvent.objects.filter(action="application.payment_paid",
                                     target_id=str(application.pk)).count() == 1

    # Refunded in part, the fee stays paid; refunded in full, the application says so.
    refund = payments.refund_request(payment=payment, amount_yen=1000, reason="一部取下げ",
                                     actor=shiba_clerk)
    act(payments.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    application.refresh_from_db()
    assert application.payment_status == "paid"
    refund = payments.refund_request(payment=payment, amount_yen=2000, reason="取下げ",
                                     actor=shiba_clerk)
    act(payments.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    application.refresh_from_db()
    assert application.payment_status == "refunded"
    assert AuditEvent.objects.filter(action="application.payment_refunded",
                                     target_id=str(application.pk)).count() == 1


def test_asking_the_gateway_again_makes_no_second_payment(minato, hanako):
    application = submitted(hanako)
    payment = payment_of(application)
    again = fees.PaymentsEngineGateway().request_payment(
        application=application, amount_yen=application.fee_yen,
        idempotency_key=fees.idempotency_key(application))
    assert again == payment.reference
    assert Payment.objects.count() == 1


def test_a_capture_reported_twice_is_recorded_once(minato, hanako):
    application = submitted(hanako)
    payment = payment_of(application)
    act(payments.sandbox_pay, payment=payment, outcome="success", actor=hanako.user)
    payment.refresh_from_db()
    fees.on_payment_change(payment=payment, status_from="authorized")
    application.refresh_from_db()
    assert application.payment_status == "paid"
    assert AuditEvent.objects.filter(action="application.payment_paid").count() == 1


def test_a_declined_card_leaves_the_fee_unpaid(minato, hanako):
    application = submitted(hanako)
    payment = payment_of(application)
    act(payments.sandbox_pay, payment=payment, outcome="decline", actor=hanako.user)
    payment.refresh_from_db()
    application.refresh_from_db()
    assert payment.status == "failed"
    assert application.payment_status == "pending"
    assert not AuditEvent.objects.filter(action="application.payment_paid").exists()


def test_payments_of_other_purposes_are_ignored(minato, hanako):
    for purpose in ("procedures.application:A0000-000000", "bookings.booking:1"):
        payment = payments.payment_create(
            purpose=purpose, purpose_label="テスト", amount_yen=300, provider="sandbox",
            idempotency_key=purpose, payer=hanako.user, actor=hanako.user)
        act(payments.sandbox_pay, payment=payment, outcome="success", actor=hanako.user)
    assert not AuditEvent.objects.filter(action__startswith="application.").exists()


def test_after_a_declined_card_the_applicant_pays_again_from_the_application(
        client, minato, hanako, taro):
    application = submitted(hanako)
    first = payment_of(application)
    act(payments.sandbox_pay, payment=first, outcome="decline", actor=hanako.user)
    pay = reverse("procedures:application_pay", args=[application.pk])
    client.force_login(taro.user)
    assert client.post(pay).status_code == 404  # nobody else's fee
    client.force_login(hanako.user)
    page = client.get(reverse("procedures:application_detail", args=[application.pk]))
    assert pay in page.content.decode()
    response = client.post(pay)
    second = Payment.objects.filter(purpose=first.purpose).exclude(pk=first.pk).get()
    assert response["Location"] == reverse("payments:payment_detail", args=[second.pk])
    assert second.status == "pending" and second.idempotency_key != first.idempotency_key
    # Asking again while it is live brings back the same payment, never a third.
    assert client.post(pay)["Location"] == response["Location"]
    assert Payment.objects.filter(purpose=first.purpose).count() == 2
    act(payments.sandbox_pay, payment=second, outcome="success", actor=hanako.user)
    application.refresh_from_db()
    assert application.payment_status == "paid"
    assert application.payment_reference == second.reference
    # Once paid there is nothing left to pay.
    response = client.post(pay)
    assert response["Location"] == reverse("procedures:application_detail",
                                           args=[application.pk])
    assert Payment.objects.filter(purpose=first.purpose).count() == 2
