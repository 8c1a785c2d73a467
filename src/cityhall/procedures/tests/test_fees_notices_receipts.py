"""What follows a submission: the fee (through the payments seam or at the counter), the
applicant told of every step in their language, and the PDF receipt."""

import io

import pypdf
import pytest
from django.urls import reverse

from cityhall.core import notify
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.procedures import fees, services
from cityhall.procedures.models import Application, ApplicationEvent, Procedure

pytestmark = pytest.mark.django_db

GOOD = {"dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
        "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01",
        "rabies_vaccination": True}


_capture = None


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks, settings):
    """Run what the services leave for after the commit (tasks, notices) right away, as a
    real commit and a worker would, inside the test's transaction."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


def act(service, **kwargs):
    with _capture(execute=True):
        return service(**kwargs)


def submitted(resident):
    procedure = Procedure.objects.get(code="dog-registration")
    application = services.application_start(procedure=procedure, applicant=resident.user,
                                             actor=resident.user)
    services.application_save_draft(application=application, data=GOOD, actor=resident.user)
    return act(services.application_submit, application=application, actor=resident.user)


class FakeGateway:
    """Stands in for the payments engine: remembers each request by its idempotency key."""

    def __init__(self, fail_times=0):
        self.requests = {}
        self.fail_times = fail_times

    def request_payment(self, *, application, amount_yen, idempotency_key):
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("payments engine unreachable")
        self.requests.setdefault(idempotency_key, (application.pk, amount_yen))
        return f"pay_{len(self.requests)}"


@pytest.fixture(autouse=True)
def no_payments_engine():
    """These tests describe the seam itself: without a gateway, fees are paid at the
    counter (the payments engine's own gateway is tested in payments/tests)."""
    installed = fees.fee_gateway()
    fees.register_fee_gateway(None)
    yield
    fees.register_fee_gateway(installed)


@pytest.fixture
def gateway(no_payments_engine):
    fake = FakeGateway()
    fees.register_fee_gateway(fake)
    return fake


def test_without_a_payments_engine_the_fee_is_paid_at_the_counter(minato, hanako, reviewer):
    application = submitted(hanako)
    assert application.fee_yen == 3000
    assert application.payment_status == "at_counter"
    services.application_transition(application=application, status_to="in_review",
                                    actor=reviewer)
    services.application_transition(application=application, status_to="approved",
                                    actor=reviewer)
    with pytest.raises(ConflictError):
        services.application_transition(application=application, status_to="completed",
                                        actor=reviewer)
    services.application_payment_record(application=application, status="paid",
                                        reference="R-0001", actor=reviewer)
    application.refresh_from_db()
    assert application.payment_status == "paid" and application.payment_reference == "R-0001"
    assert AuditEvent.objects.filter(action="application.payment_paid",
                                     target_id=str(application.pk)).exists()
    services.application_transition(application=application, status_to="completed",
                                    actor=reviewer)


def test_with_a_payments_engine_a_payment_is_requested_once(minato, hanako, gateway):
    application = submitted(hanako)
    application.refresh_from_db()
    assert application.payment_status == "pending"
    assert gateway.requests == {f"procedures.application:{application.reference}":
                                (application.pk, 3000)}
    assert application.payment_reference == "pay_1"
    # The engine reports the payment (twice, as a retried webhook would): recorded once.
    for _ in range(2):
        services.application_payment_record(application=application, status="paid",
                                            reference="pay_1", actor=None)
    application.refresh_from_db()
    assert application.payment_status == "paid"
    assert AuditEvent.objects.filter(action="application.payment_paid").count() == 1


def test_a_corrected_application_is_not_charged_again(minato, hanako, reviewer, gateway):
    application = submitted(hanako)
    act(services.application_transition, application=application, status_to="returned",
        actor=reviewer, comment="毛色を確認してください。")
    act(services.application_submit, application=application, actor=hanako.user)
    assert len(gateway.requests) == 1


def test_payment_records_that_make_no_sense_are_refused(minato, hanako, taro, reviewer):
    application = submitted(hanako)
    with pytest.raises(ValidationFailed):
        services.application_payment_record(application=application, status="pending",
                                            actor=reviewer)
    with pytest.raises(ConflictError):
        services.application_payment_record(application=application, status="refunded",
                                            actor=reviewer)
    with pytest.raises(PermissionDeniedError):
        services.application_payment_record(application=application, status="paid",
                                            actor=taro.user)
    application.refresh_from_db()
    assert application.payment_status == "at_counter"


def test_the_applicant_is_told_of_every_step_in_their_language(minato, emily, hanako,
                                                               reviewer, mailoutbox):
    application = submitted(emily)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [emily.user.email]
    assert "Submitted" in mailoutbox[0].subject and application.reference in \
        mailoutbox[0].subject
    assert f"/procedures/applications/{application.pk}/" in mailoutbox[0].body
    act(services.application_comment, application=application, actor=reviewer,
        comment="internal only", is_internal=True)
    assert len(mailoutbox) == 1  # internal notes are never sent
    act(services.application_transition, application=application, status_to="in_review",
        actor=reviewer)
    act(services.application_transition, application=application, status_to="returned",
        actor=reviewer, comment="Please add the coat colour.")
    assert len(mailoutbox) == 3
    assert "Please add the coat colour." in mailoutbox[2].body
    assert "internal only" not in "".join(message.body for message in mailoutbox)
    japanese = submitted(hanako)  # 港 花子 reads Japanese
    assert mailoutbox[-1].subject == f"【港区】申請（受付番号：{japanese.reference}）：受付済み"
    assert "You can see" not in mailoutbox[-1].body
    assert all(event.notified_at for event in ApplicationEvent.objects.filter(
        application=application, is_internal=False).exclude(status_to="draft"))


def test_a_step_is_announced_once_even_if_the_task_runs_again(minato, hanako, mailoutbox):
    from cityhall.procedures.tasks import notify_applicant

    application = submitted(hanako)
    event = application.events.get(status_to="submitted")
    notify_applicant.call(event.pk)
    assert len(mailoutbox) == 1


def test_the_notifications_engine_can_take_over_delivery(minato, hanako, mailoutbox):
    received = []
    previous = notify.registered_notice_sender()
    notify.register_notice_sender(received.append)
    try:
        application = submitted(hanako)
    finally:
        notify.register_notice_sender(previous)
    assert mailoutbox == []
    assert [(notice.topic, notice.recipient_id) for notice in received] == [
        ("procedures.application_status", hanako.user.pk)]
    assert received[0].key == f"procedures.application_event:" \
        f"{application.events.get(status_to='submitted').pk}"


def test_a_failed_delivery_is_tried_again_later(minato, hanako, mailoutbox):
    calls = []

    def flaky(notice):
        calls.append(notice)
        if len(calls) == 1:
            raise ConnectionError("mail server down")

    previous = notify.registered_notice_sender()
    notify.register_notice_sender(flaky)
    try:
        application = submitted(hanako)
    finally:
        notify.register_notice_sender(previous)
    event = application.events.get(status_to="submitted")
    # The failure left the step unsent (a retry is scheduled); the retry delivers it.
    assert len(calls) == 1 and event.notified_at is None
    from cityhall.procedures.tasks import notify_applicant

    notify.register_notice_sender(flaky)
    try:
        notify_applicant.call(event.pk)
    finally:
        notify.register_notice_sender(previous)
    event.refresh_from_db()
    assert len(calls) == 2 and event.notified_at is not None


def test_the_receipt_is_an_a4_pdf_with_the_reference(client, minato, hanako, taro,
                                                     reviewer):
    application = submitted(hanako)
    client.force_login(hanako.user)
    response = client.get(reverse("procedures:application_receipt", args=[application.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert application.reference in text and "ポチ" in text and "港 花子" in text
    assert "3000" in text.replace(",", "")
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)
    # Nobody else's receipt.
    client.force_login(taro.user)
    assert client.get(reverse("procedures:application_receipt",
                              args=[application.pk])).status_code == 404
    client.force_login(reviewer)
    response = client.get(reverse("procedures:review_receipt", args=[application.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="application.read", actor=reviewer,
                                     purpose="print receipt").exists()


def test_a_draft_has_no_receipt(client, minato, hanako):
    procedure = Procedure.objects.get(code="dog-registration")
    draft = services.application_start(procedure=procedure, applicant=hanako.user,
                                       actor=hanako.user)
    client.force_login(hanako.user)
    assert client.get(reverse("procedures:application_receipt",
                              args=[draft.pk])).status_code == 404
    assert Application.objects.get(pk=draft.pk).status == "draft"


def test_a_reviewer_records_a_counter_payment_on_the_page(client, minato, hanako, taro,
                                                          reviewer):
    application = submitted(hanako)
    url = reverse("procedures:review_payment", args=[application.pk])
    client.force_login(reviewer)
    page = client.get(reverse("procedures:review_detail", args=[application.pk]))
    assert page.context["payment_form"] is not None
    response = client.post(url, {"reference": ""})
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.payment_status == "at_counter"
    response = client.post(url, {"reference": "R-2026-0042"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.payment_status, application.payment_reference) == (
        "paid", "R-2026-0042")
    assert client.get(reverse("procedures:review_detail",
                              args=[application.pk])).context["payment_form"] is None
    response = client.post(url, {"reference": "again"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.payment_reference == "R-2026-0042"
    # The applicant and other residents cannot record payments.
    for user in (hanako.user, taro.user):
        client.force_login(user)
        assert client.post(url, {"reference": "X"}).status_code == 403
