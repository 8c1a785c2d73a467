"""The payments engine's services (取組2 キャッシュレス決済): the fee schedule, payments that
are made once per purpose and move forward only, counter payments with gap-free receipt
numbers, refunds approved by a second person, the daily reconciliation and its CSV, and the
audit trail.

The Stripe adapter has its own tests (test_stripe.py); how procedures hears that a fee was
paid is tested in procedures/tests/test_fees_through_payments.py (payments may not import
procedures)."""

import csv
import datetime
import io
import json
import re
import threading
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent, Department, YearCounter
from cityhall.core.tests.factories import StaffFactory
from cityhall.payments import selectors, services
from cityhall.payments.models import Fee, Payment, Refund

pytestmark = pytest.mark.django_db

FEES_JSON = Path(services.__file__).parent / "data" / "minato_fees.json"

_capture = None


@pytest.fixture(autouse=True)
def _payments_settings(settings):
    """The providers of a development machine (no Stripe keys), and background tasks that run
    at once, so that an approved refund is paid back inside the test."""
    settings.PAYMENT_PROVIDERS = ["counter", "sandbox"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what the services leave for after the commit (tasks, listeners) right away."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


def act(service, **kwargs):
    with _capture(execute=True):
        return service(**kwargs)


def fee(code) -> Fee:
    return Fee.objects.get(code=code)


def receipt_counters():
    return YearCounter.objects.filter(sequence="payments.receipt")


def snapshot():
    """Everything a refused call must leave as it was."""
    return (list(Payment.objects.order_by("reference").values_list(
                "reference", "status", "amount_yen", "refunded_yen")),
            list(Refund.objects.order_by("created_at").values_list("amount_yen", "status")),
            AuditEvent.objects.count(),
            list(receipt_counters().values_list("year", "last")))


def online(resident, *, purpose="test.order:1", amount_yen=3000, key=None, **extra):
    """A sandbox payment waiting for `resident` (a ResidentProfile)."""
    return services.payment_create(
        purpose=purpose, purpose_label="テスト", amount_yen=amount_yen, provider="sandbox",
        idempotency_key=f"key:{purpose}" if key is None else key, payer=resident.user,
        actor=resident.user, **extra)


def at_counter(clerk, *, code="dog-registration", quantity=1, key="counter-1",
               method="cash", purpose=None):
    chosen = fee(code)
    return services.payment_take_at_counter(
        purpose=purpose or f"payments.counter:{key}",
        purpose_label=f"{chosen.name_ja} × {quantity}", amount_yen=chosen.amount_yen * quantity,
        method=method, idempotency_key=f"counter:{key}", fee=chosen, actor=clerk)


@pytest.fixture
def clerk_and_manager(minato):
    """One member of staff holding both roles: may ask for and approve refunds, though never
    their own."""
    return StaffFactory(email="both@test.cityhall.example", display_name="兼務 職員",
                        roles=("counter_clerk", "branch_manager"))


def year() -> int:
    return timezone.localdate().year


# --- the fee schedule ------------------------------------------------------------------------

def test_the_fee_schedule_holds_minatos_real_fees(minato):
    data = json.loads(FEES_JSON.read_text(encoding="utf-8"))
    assert Fee.objects.count() == len(data["fees"])
    amounts = dict(Fee.objects.values_list("code", "amount_yen"))
    assert amounts["juminhyo-copy"] == 300
    assert amounts["inkan-certificate"] == 300
    assert amounts["koseki-copy"] == 450
    assert amounts["joseki-copy"] == 750
    assert amounts["dog-registration"] == 3000
    assert amounts["rabies-tag"] == 550
    assert fee("juminhyo-copy").name_ja == "住民票の写し"
    assert fee("koseki-copy").department.code == "koseki"
    assert fee("dog-registration").department.code == "seikatsu-eisei"
    assert fee("dog-registration").category == "registration"
    assert "狂犬病予防法" in fee("dog-registration").legal_basis


def test_importing_the_fee_schedule_again_changes_nothing(minato):
    before = list(Fee.objects.order_by("code").values_list("code", "amount_yen",
                                                           "department__code"))
    services.fee_catalogue_import(data=json.loads(FEES_JSON.read_text(encoding="utf-8")))
    assert list(Fee.objects.order_by("code").values_list(
        "code", "amount_yen", "department__code")) == before


def test_a_fee_schedule_with_an_unknown_department_is_refused_whole(minato):
    before = list(Fee.objects.order_by("code").values_list("code", "amount_yen"))
    data = {"fees": [
        {"code": "juminhyo-copy", "name_ja": "住民票の写し", "name_en": "Copy",
         "category": "certificate", "amount_yen": 350, "department": "residents-counter"},
        {"code": "new-fee", "name_ja": "新しい手数料", "name_en": "New",
         "category": "other", "amount_yen": 100, "department": "no-such-department"},
    ]}
    with pytest.raises(ValidationFailed):
        services.fee_catalogue_import(data=data)
    assert list(Fee.objects.order_by("code").values_list("code", "amount_yen")) == before


def test_saving_a_fee_is_audited(minato, system_admin):
    new = Fee(code="parking-permit", name_ja="駐車許可", name_en="Parking permit",
              category="other", amount_yen=1200)
    services.fee_save(fee=new, actor=system_admin)
    assert Fee.objects.get(code="parking-permit").amount_yen == 1200
    event = AuditEvent.objects.get(action="fee.save", target_id=str(new.pk))
    assert event.actor == system_admin
    assert event.details == {"code": "parking-permit", "amount_yen": 1200}


@pytest.mark.parametrize("changes", [
    {"amount_yen": -300},
    {"amount_yen": 0},
    {"amount_yen": services.MAX_AMOUNT_YEN + 1},
    {"code": "not a slug!"},
    {"code": "juminhyo-copy"},  # taken
    {"name_ja": ""},
    {"category": "lottery"},
])
def test_a_bad_fee_is_refused_and_nothing_is_saved(minato, system_admin, changes):
    before = snapshot(), list(Fee.objects.values_list("code", "amount_yen", "name_ja"))
    new = Fee(**{"code": "parking-permit", "name_ja": "駐車許可", "name_en": "Parking permit",
                 "category": "other", "amount_yen": 1200, **changes})
    with pytest.raises(ValidationFailed):
        services.fee_save(fee=new, actor=system_admin)
    assert (snapshot(), list(Fee.objects.values_list("code", "amount_yen", "name_ja"))) == before


# --- making a payment --------------------------------------------------------------------------

def test_a_payment_is_made_with_a_receipt_number_and_audited(minato, hanako):
    payment = online(hanako, fee=fee("dog-registration"))
    assert re.fullmatch(rf"P{year()}-\d{{6}}", payment.reference)
    assert payment.status == "pending"
    assert payment.amount_yen == 3000 and payment.refunded_yen == 0
    assert payment.department.code == "seikatsu-eisei"  # the fee's department
    assert payment.payer == hanako.user
    event = AuditEvent.objects.get(action="payment.create")
    assert event.target_id == str(payment.pk) and event.actor == hanako.user
    assert event.details == {"reference": payment.reference, "purpose": "test.order:1",
                             "amount_yen": 3000, "provider": "sandbox"}


def test_the_same_idempotency_key_gives_the_same_payment(minato, hanako):
    first = online(hanako, key="k-1")
    before = snapshot()
    again = online(hanako, key="k-1")
    assert again.pk == first.pk
    assert snapshot() == before


def test_a_purpose_with_a_live_payment_gets_that_payment(minato, hanako):
    first = online(hanako, key="first tab")
    before = snapshot()
    second = online(hanako, key="second tab")
    assert second.pk == first.pk
    assert snapshot() == before
    services.payment_advance(payment_id=first.pk, status="captured")
    assert online(hanako, key="third tab").pk == first.pk  # captured is live too


def test_the_same_purpose_with_another_amount_is_a_conflict(minato, hanako):
    online(hanako, amount_yen=3000, key="k-1")
    before = snapshot()
    with pytest.raises(ConflictError):
        online(hanako, amount_yen=3500, key="k-2")
    with pytest.raises(ConflictError):  # and the same key for another purpose
        online(hanako, purpose="test.order:2", key="k-1")
    assert snapshot() == before


@pytest.mark.parametrize("ending", ["failed", "cancelled"])
def test_after_a_failed_or_cancelled_payment_the_purpose_can_be_paid_again(minato, hanako,
                                                                          ending):
    first = online(hanako, key="attempt-1")
    services.payment_advance(payment_id=first.pk, status=ending, reason="test")
    second = online(hanako, key="attempt-2")
    assert second.pk != first.pk
    assert second.status == "pending"
    assert Payment.objects.filter(purpose="test.order:1").count() == 2
    first.refresh_from_db()
    assert first.status == ending
    # The same key still names the first one (a retry of that request, not a new one).
    assert online(hanako, key="attempt-1").pk == first.pk


@pytest.mark.parametrize("amount", [0, -300, True, False, 300.0, "300", None,
                                    services.MAX_AMOUNT_YEN + 1])
def test_a_bad_amount_is_refused_and_nothing_is_written(minato, hanako, shiba_clerk, amount):
    before = snapshot()
    with pytest.raises(ValidationFailed) as error:
        online(hanako, amount_yen=amount)
    assert error.value.field == "amount_yen"
    with pytest.raises(ValidationFailed):
        services.payment_take_at_counter(
            purpose="test.counter:1", purpose_label="テスト", amount_yen=amount, method="cash",
            idempotency_key="counter:1", actor=shiba_clerk)
    assert snapshot() == before


def test_the_largest_amount_is_accepted(minato, hanako):
    assert online(hanako, amount_yen=services.MAX_AMOUNT_YEN).amount_yen == 10_000_000


@pytest.mark.parametrize("changes", [{"purpose": ""}, {"purpose": "x" * 121}, {"key": ""},
                                     {"key": "k" * 121}])
def test_a_payment_needs_a_purpose_and_a_key(minato, hanako, changes):
    before = snapshot()
    with pytest.raises(ValidationFailed):
        online(hanako, **changes)
    assert snapshot() == before


def test_an_unknown_or_switched_off_provider_is_refused(minato, hanako, settings):
    before = snapshot()
    for provider in ("paypal", "", "stripe"):  # Stripe is off without its keys
        with pytest.raises(ValidationFailed) as error:
            services.payment_create(purpose="test.order:1", purpose_label="テスト",
                                    amount_yen=300, provider=provider, idempotency_key="k",
                                    payer=hanako.user, actor=hanako.user)
        assert error.value.field == "provider"
    settings.PAYMENT_PROVIDERS = ["counter"]
    with pytest.raises(ValidationFailed):
        online(hanako)
    assert snapshot() == before


def test_the_database_refuses_a_second_live_payment_for_a_purpose(minato, hanako):
    first = online(hanako, key="k-1")
    fields = {"purpose": first.purpose, "purpose_label": "直接", "amount_yen": 3000,
              "provider": "sandbox"}
    for status in ("pending", "authorized", "captured", "partly_refunded"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.create(reference=f"X-{status}", idempotency_key=f"raw-{status}",
                                   status=status, **fields)
    # A payment that is over (failed, cancelled, refunded) does not hold the purpose.
    for status in ("failed", "cancelled", "refunded"):
        Payment.objects.create(reference=f"X-{status}", idempotency_key=f"raw-{status}",
                               status=status, **fields)
    assert Payment.objects.filter(purpose=first.purpose,
                                  status__in=Payment.LIVE_STATUSES).get() == first


def test_the_database_refuses_a_refund_larger_than_the_payment(minato, hanako):
    payment = online(hanako)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_yen=3001)
    payment.refresh_from_db()
    assert payment.refunded_yen == 0


# --- many at once ----------------------------------------------------------------------------

THREADS = 8
ATTEMPTS = 5


def _race(work):
    """Run work(thread, attempt) in THREADS threads, each with its own database connection,
    started together; returns what they returned and what they raised."""
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run(thread):
        try:
            barrier.wait()
            for attempt in range(ATTEMPTS):
                results.append(work(thread, attempt))
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_many_requests_for_one_purpose_make_one_payment_paid_once(minato, shiba_clerk,
                                                                 azabu_clerk):
    """Eight terminals at two counters (or a double click, a retry, two tabs), each with its
    own database connection, try again and again to take the same fee with different keys:
    one payment is made and it is captured once, by the clerk recorded as receiving it. On
    SQLite the writers queue; on PostgreSQL they really run at the same time."""
    dog = fee("dog-registration")
    purpose = "test.race:dog"
    clerks = [shiba_clerk, azabu_clerk]

    def work(thread, attempt):
        key = f"race-{thread}-{attempt}"
        if (thread + attempt) % 2:
            return services.payment_take_at_counter(
                purpose=purpose, purpose_label="犬の登録", amount_yen=3000, method="cash",
                idempotency_key=key, fee=dog, actor=clerks[thread % 2]).pk
        return services.payment_create(
            purpose=purpose, purpose_label="犬の登録", amount_yen=3000, provider="counter",
            idempotency_key=key, fee=dog, actor=clerks[thread % 2]).pk

    results, errors = _race(work)
    assert errors == []
    payment = Payment.objects.get(purpose=purpose)
    assert set(results) == {payment.pk}
    assert len(results) == THREADS * ATTEMPTS
    assert payment.status == "captured"
    assert AuditEvent.objects.filter(action="payment.create", target_id=str(payment.pk)) \
        .count() == 1
    captured = AuditEvent.objects.get(action="payment.captured", target_id=str(payment.pk))
    assert payment.received_by in clerks
    assert captured.actor == payment.received_by
    # The losers' receipt numbers were given back: the numbering has no gap.
    assert receipt_counters().get(year=year()).last == Payment.objects.count()


@pytest.mark.django_db(transaction=True)
def test_receipt_numbers_made_at_the_same_time_are_unique_and_without_gaps(minato,
                                                                          shiba_clerk):
    def work(thread, attempt):
        return services.payment_take_at_counter(
            purpose=f"test.race:{thread}-{attempt}", purpose_label="住民票の写し",
            amount_yen=300, method="cash", idempotency_key=f"race-{thread}-{attempt}",
            actor=shiba_clerk).reference

    results, errors = _race(work)
    assert errors == []
    assert sorted(results) == [f"P{year()}-{number:06d}"
                               for number in range(1, THREADS * ATTEMPTS + 1)]
    assert Payment.objects.filter(status="captured").count() == THREADS * ATTEMPTS
    assert receipt_counters().get(year=year()).last == THREADS * ATTEMPTS


@pytest.mark.django_db(transaction=True)
def test_refunds_asked_for_at_the_same_time_never_exceed_the_payment(minato, shiba_clerk,
                                                                     azabu_clerk):
    payment = at_counter(shiba_clerk)  # 3,000 yen
    clerks = [shiba_clerk, azabu_clerk]

    def work(thread, attempt):
        try:
            return services.refund_request(payment=payment, amount_yen=250, reason="同時",
                                           actor=clerks[thread % 2]).amount_yen
        except ValidationFailed:
            return 0

    results, errors = _race(work)
    assert errors == []
    assert sum(results) == 3000 and results.count(250) == 12
    assert sum(Refund.objects.values_list("amount_yen", flat=True)) == 3000


@pytest.mark.django_db(transaction=True)
def test_a_refund_approved_at_the_same_time_is_paid_back_once(minato, shiba_clerk,
                                                              shiba_manager):
    managers = [shiba_manager, StaffFactory(email="manager2@test.cityhall.example",
                                            roles=("branch_manager",))]
    payment = at_counter(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=3000, reason="取消し",
                                     actor=shiba_clerk)

    def work(thread, attempt):
        try:
            services.refund_decide(refund=refund, approve=True, actor=managers[thread % 2])
        except ConflictError:
            return "already decided"
        return "decided"

    results, errors = _race(work)
    assert errors == []
    assert results.count("decided") == 1
    refund.refresh_from_db()
    assert refund.status == "completed"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("refunded", 3000)
    assert AuditEvent.objects.filter(action="refund.complete").count() == 1


# --- moving forward only -----------------------------------------------------------------------

def test_a_late_authorization_does_not_undo_a_capture(minato, hanako):
    payment = online(hanako)
    services.payment_advance(payment_id=payment.pk, status="captured",
                             provider_reference="pi_1", method="card")
    captured = Payment.objects.get(pk=payment.pk)
    before = snapshot()
    for status in ("authorized", "pending", "captured", "failed", "cancelled"):
        assert services.payment_advance(payment_id=payment.pk, status=status,
                                        provider_reference="pi_2").status == "captured"
    assert snapshot() == before
    payment.refresh_from_db()
    assert payment.captured_at == captured.captured_at
    assert payment.provider_reference == "pi_1"


def test_a_failed_payment_stays_failed(minato, hanako):
    payment = online(hanako)
    services.payment_advance(payment_id=payment.pk, status="failed", reason="declined")
    before = snapshot()
    for status in ("authorized", "captured", "pending", "refunded"):
        assert services.payment_advance(payment_id=payment.pk,
                                        status=status).status == "failed"
    assert snapshot() == before
    payment.refresh_from_db()
    assert payment.captured_at is None and payment.failure_reason == "declined"


def test_a_payment_moves_pending_authorized_captured(minato, hanako):
    payment = online(hanako)
    payment = services.payment_advance(payment_id=payment.pk, status="authorized",
                                       provider_reference="pi_1")
    assert payment.status == "authorized" and payment.authorized_at is not None
    assert payment.captured_at is None
    payment = services.payment_advance(payment_id=payment.pk, status="captured")
    assert payment.status == "captured" and payment.captured_at >= payment.authorized_at
    assert list(AuditEvent.objects.filter(target_id=str(payment.pk)).order_by("sequence")
                .values_list("action", flat=True)) == [
        "payment.create", "payment.authorized", "payment.captured"]


def test_only_the_payer_may_start_or_pay_in_the_sandbox(minato, hanako, taro):
    payment = online(hanako)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.payment_start(payment=payment, return_url="http://testserver/",
                               actor=taro.user)
    with pytest.raises(PermissionDeniedError):
        services.sandbox_pay(payment=payment, outcome="success", actor=taro.user)
    with pytest.raises(ValidationFailed):
        services.sandbox_pay(payment=payment, outcome="maybe", actor=hanako.user)
    assert snapshot() == before
    url = services.payment_start(payment=payment, return_url="http://testserver/",
                                 actor=hanako.user)
    assert url == f"/payments/sandbox/{payment.pk}/"
    assert services.payment_start(payment=payment, return_url="http://testserver/",
                                  actor=hanako.user) == url
    paid = services.sandbox_pay(payment=payment, outcome="success", actor=hanako.user)
    assert (paid.status, paid.method) == ("captured", "sandbox")
    assert paid.provider_reference.startswith("sandbox_pi_")
    payment.refresh_from_db()
    with pytest.raises(ConflictError):
        services.sandbox_pay(payment=payment, outcome="decline", actor=hanako.user)
    with pytest.raises(ConflictError):
        services.payment_cancel(payment=payment, actor=hanako.user)


def test_a_payer_may_cancel_a_payment_not_yet_made(minato, hanako, taro):
    payment = online(hanako)
    with pytest.raises(PermissionDeniedError):
        services.payment_cancel(payment=payment, actor=taro.user)
    payment.refresh_from_db()
    assert payment.status == "pending"
    cancelled = services.payment_cancel(payment=payment, actor=hanako.user)
    assert cancelled.status == "cancelled" and cancelled.closed_at is not None


# --- the counter -------------------------------------------------------------------------------

def test_a_clerk_takes_a_payment_at_the_counter(minato, shiba_clerk):
    payment = at_counter(shiba_clerk, code="koseki-copy", quantity=2, method="e_money")
    assert (payment.status, payment.provider, payment.method) == ("captured", "counter",
                                                                  "e_money")
    assert payment.amount_yen == 900
    assert payment.received_by == shiba_clerk
    assert payment.department.code == "koseki"
    assert payment.captured_at is not None
    assert re.fullmatch(rf"P{year()}-\d{{6}}", payment.reference)
    actions = list(AuditEvent.objects.filter(target_id=str(payment.pk)).order_by("sequence")
                   .values_list("action", "actor"))
    assert actions == [("payment.create", shiba_clerk.pk), ("payment.captured", shiba_clerk.pk)]


def test_taking_the_same_counter_payment_again_records_it_once(minato, shiba_clerk):
    first = at_counter(shiba_clerk, key="form-1")
    before = snapshot()
    again = at_counter(shiba_clerk, key="form-1")
    assert again.pk == first.pk and again.status == "captured"
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "resident", "reviewer", "auditor",
                                 "shiba_manager"])
def test_only_staff_with_the_permission_take_counter_payments(minato, request, who):
    from django.contrib.auth.models import AnonymousUser

    actor = {"anonymous": lambda: AnonymousUser(),
             "resident": lambda: request.getfixturevalue("hanako").user,
             }.get(who, lambda: request.getfixturevalue(who))()
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        at_counter(actor)
    assert snapshot() == before


def test_the_clerk_whose_capture_counts_is_the_one_recorded(minato, shiba_clerk, azabu_clerk,
                                                            monkeypatch):
    """Two terminals record the same payment: the second one captures it while the first is
    between making the payment and capturing it."""
    real_advance = services.payment_advance

    def advance(**kwargs):
        monkeypatch.setattr(services, "payment_advance", real_advance)
        at_counter(azabu_clerk, key="azabu-terminal", purpose="test.same")
        return real_advance(**kwargs)

    monkeypatch.setattr(services, "payment_advance", advance)
    payment = at_counter(shiba_clerk, key="shiba-terminal", purpose="test.same")
    assert payment.status == "captured"
    captured = AuditEvent.objects.get(action="payment.captured", target_id=str(payment.pk))
    assert captured.actor == azabu_clerk
    assert payment.received_by == azabu_clerk
    assert Payment.objects.get(pk=payment.pk).received_by == azabu_clerk


@pytest.mark.parametrize("method", ["", "sandbox", "bitcoin", None])
def test_a_counter_payment_needs_a_valid_method(minato, shiba_clerk, method):
    before = snapshot()
    with pytest.raises(ValidationFailed) as error:
        at_counter(shiba_clerk, method=method)
    assert error.value.field == "method"
    assert snapshot() == before


def test_a_purpose_being_paid_online_is_not_taken_at_the_counter(minato, hanako, shiba_clerk):
    online(hanako, purpose="test.order:1")
    before = snapshot()
    with pytest.raises(ConflictError):
        services.payment_take_at_counter(
            purpose="test.order:1", purpose_label="テスト", amount_yen=3000, method="cash",
            idempotency_key="counter:x", actor=shiba_clerk)
    assert snapshot() == before


def test_receipt_numbers_have_no_gaps_even_after_refused_payments(minato, hanako,
                                                                  shiba_clerk):
    first = at_counter(shiba_clerk, key="a")
    with pytest.raises(ValidationFailed):
        online(hanako, amount_yen=0)
    with pytest.raises(ConflictError):
        online(hanako, purpose=first.purpose, key="other", amount_yen=1)
    with pytest.raises(ValidationFailed):
        at_counter(shiba_clerk, key="b", method="bitcoin")
    second = at_counter(shiba_clerk, key="c")
    third = online(hanako)
    number = int(first.reference.rsplit("-", 1)[1])
    assert [second.reference, third.reference] == [
        f"P{year()}-{number + 1:06d}", f"P{year()}-{number + 2:06d}"]
    assert receipt_counters().get(year=year()).last == number + 2


# --- refunds -----------------------------------------------------------------------------------

def test_a_refund_is_asked_for_approved_by_another_and_paid_back(minato, shiba_clerk,
                                                                shiba_manager, commits):
    payment = at_counter(shiba_clerk)  # 3,000 yen
    refund = services.refund_request(payment=payment, amount_yen=1000,
                                     reason="二重に受け取ったため", actor=shiba_clerk)
    assert refund.status == "requested" and refund.requested_by == shiba_clerk
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("captured", 0)
    decided = act(services.refund_decide, refund=refund, approve=True, note="確認済み",
                  actor=shiba_manager)
    assert decided.decided_by == shiba_manager
    refund.refresh_from_db()
    assert refund.status == "completed" and refund.completed_at is not None
    assert refund.provider_reference == f"counter-refund-{refund.id}"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("partly_refunded", 1000)
    # The rest, in a second refund: the payment is then refunded in full.
    rest = services.refund_request(payment=payment, amount_yen=2000, reason="取消し",
                                   actor=shiba_clerk)
    act(services.refund_decide, refund=rest, approve=True, actor=shiba_manager)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("refunded", 3000)
    assert list(AuditEvent.objects.filter(target_id=str(payment.pk)).order_by("sequence")
                .values_list("action", flat=True)) == [
        "payment.create", "payment.captured",
        "refund.request", "refund.approve", "refund.complete", "payment.partly_refunded",
        "refund.request", "refund.approve", "refund.complete", "payment.refunded"]
    before = snapshot()
    with pytest.raises(ConflictError):  # nothing is left to refund
        services.refund_request(payment=payment, amount_yen=1, reason="再度",
                                actor=shiba_clerk)
    assert snapshot() == before


def test_a_sandbox_payment_is_paid_back_at_once(minato, hanako, shiba_clerk, shiba_manager,
                                               commits):
    payment = online(hanako)
    services.sandbox_pay(payment=payment, outcome="success", actor=hanako.user)
    refund = services.refund_request(payment=payment, amount_yen=3000, reason="取下げ",
                                     actor=shiba_clerk)
    act(services.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("refunded", 3000)
    assert Refund.objects.get().provider_reference == f"sandbox-refund-{refund.id}"


def test_a_refund_larger_than_what_is_left_is_refused(minato, shiba_clerk, shiba_manager,
                                                     commits):
    payment = at_counter(shiba_clerk)  # 3,000 yen
    first = services.refund_request(payment=payment, amount_yen=1000, reason="一部",
                                    actor=shiba_clerk)
    act(services.refund_decide, refund=first, approve=True, actor=shiba_manager)
    services.refund_request(payment=payment, amount_yen=1500, reason="一部",
                            actor=shiba_clerk)  # asked for, not yet approved
    before = snapshot()
    for amount in (501, 2001, 3001):
        with pytest.raises(ValidationFailed) as error:
            services.refund_request(payment=payment, amount_yen=amount, reason="多すぎ",
                                    actor=shiba_clerk)
        assert error.value.field == "amount_yen"
    assert snapshot() == before
    assert services.refund_request(payment=payment, amount_yen=500, reason="残り",
                                   actor=shiba_clerk).amount_yen == 500


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, services.MAX_AMOUNT_YEN + 1])
def test_a_refund_of_a_bad_amount_is_refused(minato, shiba_clerk, amount):
    payment = at_counter(shiba_clerk)
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.refund_request(payment=payment, amount_yen=amount, reason="理由",
                                actor=shiba_clerk)
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_refund_needs_a_reason(minato, shiba_clerk, reason):
    payment = at_counter(shiba_clerk)
    before = snapshot()
    with pytest.raises(ValidationFailed) as error:
        services.refund_request(payment=payment, amount_yen=100, reason=reason,
                                actor=shiba_clerk)
    assert error.value.field == "reason"
    assert snapshot() == before


@pytest.mark.parametrize("status", ["pending", "failed", "cancelled", "authorized"])
def test_only_a_paid_payment_can_be_refunded(minato, hanako, shiba_clerk, status):
    payment = online(hanako)
    if status != "pending":
        services.payment_advance(payment_id=payment.pk, status=status)
    before = snapshot()
    with pytest.raises(ConflictError):
        services.refund_request(payment=payment, amount_yen=100, reason="理由",
                                actor=shiba_clerk)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["resident", "shiba_manager", "auditor", "reviewer"])
def test_only_staff_with_the_permission_ask_for_refunds(minato, shiba_clerk, request, who):
    payment = at_counter(shiba_clerk)
    actor = request.getfixturevalue("hanako").user if who == "resident" else \
        request.getfixturevalue(who)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.refund_request(payment=payment, amount_yen=100, reason="理由", actor=actor)
    assert snapshot() == before


def test_nobody_approves_their_own_refund(minato, clerk_and_manager, shiba_manager, commits):
    payment = at_counter(clerk_and_manager)
    refund = services.refund_request(payment=payment, amount_yen=300, reason="理由",
                                     actor=clerk_and_manager)
    before = snapshot()
    with pytest.raises(ConflictError):
        act(services.refund_decide, refund=refund, approve=True, actor=clerk_and_manager)
    with pytest.raises(ConflictError):
        act(services.refund_decide, refund=refund, approve=False, actor=clerk_and_manager)
    assert snapshot() == before
    act(services.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    assert Payment.objects.get(pk=payment.pk).refunded_yen == 300


@pytest.mark.parametrize("who", ["resident", "shiba_clerk", "azabu_clerk", "auditor"])
def test_only_staff_with_the_permission_decide_refunds(minato, shiba_clerk, request, who,
                                                       commits):
    payment = at_counter(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=300, reason="理由",
                                     actor=shiba_clerk)
    actor = request.getfixturevalue("hanako").user if who == "resident" else \
        request.getfixturevalue(who)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        act(services.refund_decide, refund=refund, approve=True, actor=actor)
    assert snapshot() == before


def test_a_rejected_refund_pays_nothing_and_frees_the_amount(minato, shiba_clerk,
                                                            shiba_manager, commits):
    payment = at_counter(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=3000, reason="理由",
                                     actor=shiba_clerk)
    act(services.refund_decide, refund=refund, approve=False, note="根拠なし",
        actor=shiba_manager)
    refund.refresh_from_db()
    assert (refund.status, refund.decision_note) == ("rejected", "根拠なし")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("captured", 0)
    assert AuditEvent.objects.filter(action="refund.reject", actor=shiba_manager).count() == 1
    before = snapshot()
    with pytest.raises(ConflictError):  # decided once
        act(services.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    with pytest.raises(ConflictError):  # only an approved refund is paid back
        services.refund_complete(refund_id=refund.pk)
    assert snapshot() == before
    assert services.refund_request(payment=payment, amount_yen=3000, reason="再申請",
                                   actor=shiba_clerk).status == "requested"


def test_a_refund_is_counted_and_shown_on_the_payment_together(minato, shiba_clerk,
                                                               shiba_manager, commits,
                                                               monkeypatch):
    """If the status change fails, the refund is not counted either, and paying it back again
    completes both."""
    payment = at_counter(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=3000, reason="理由",
                                     actor=shiba_clerk)
    act(services.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    # (The immediate task already paid it back; rewind to "approved" to try again.)
    Refund.objects.filter(pk=refund.pk).update(status="approved", completed_at=None)
    Payment.objects.filter(pk=payment.pk).update(status="captured", refunded_yen=0)
    before = snapshot()
    real_advance = services.payment_advance

    def crash(**kwargs):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services, "payment_advance", crash)
    with pytest.raises(ConnectionError):
        services.refund_complete(refund_id=refund.pk)
    assert snapshot() == before
    monkeypatch.setattr(services, "payment_advance", real_advance)
    services.refund_complete(refund_id=refund.pk)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("refunded", 3000)


def test_paying_back_twice_counts_once(minato, shiba_clerk, shiba_manager, commits):
    from cityhall.payments.tasks import pay_back

    payment = at_counter(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=3000, reason="理由",
                                     actor=shiba_clerk)
    act(services.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    before = snapshot()
    services.refund_complete(refund_id=refund.pk)
    assert pay_back.call(str(refund.pk)) == "nothing to pay back"
    assert snapshot() == before
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("refunded", 3000)


# --- reconciliation ----------------------------------------------------------------------------

TOKYO_DAY = datetime.date(2026, 4, 1)


def at(hour, minute=0, day=TOKYO_DAY):
    """An aware time in Tokyo on `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def captured_at(payment, when):
    Payment.objects.filter(pk=payment.pk).update(captured_at=when)
    payment.refresh_from_db()
    return payment


@pytest.fixture
def a_day_of_payments(minato, hanako, shiba_clerk, shiba_manager, commits):
    """Payments of 2026-04-01 in Tokyo: two at the counter, one in the sandbox, a refund,
    and what must not be counted (a payment not made, a failed one, another day's)."""
    koseki = captured_at(at_counter(shiba_clerk, code="koseki-copy", key="1"), at(9, 5))
    juminhyo = captured_at(at_counter(shiba_clerk, code="juminhyo-copy", quantity=2, key="2",
                                      method="e_money"), at(10, 30))
    sandbox = online(hanako, purpose="test.order:dog", fee=fee("dog-registration"))
    services.sandbox_pay(payment=sandbox, outcome="success", actor=hanako.user)
    sandbox = captured_at(sandbox, at(23, 59))
    refund = services.refund_request(payment=juminhyo, amount_yen=300, reason="一通は不要",
                                     actor=shiba_clerk)
    act(services.refund_decide, refund=refund, approve=True, actor=shiba_manager)
    Refund.objects.filter(pk=refund.pk).update(completed_at=at(11, 0))
    online(hanako, purpose="test.order:waiting", fee=fee("rabies-tag"))
    failed = online(hanako, purpose="test.order:failed", amount_yen=550)
    services.sandbox_pay(payment=failed, outcome="decline", actor=hanako.user)
    # 00:00 on 2 April in Tokyo is still 1 April in UTC: another day.
    captured_at(at_counter(shiba_clerk, code="joseki-copy", key="3"),
                at(0, 0, TOKYO_DAY + datetime.timedelta(days=1)))
    captured_at(at_counter(shiba_clerk, code="mibun-certificate", key="4"),
                at(23, 59, TOKYO_DAY - datetime.timedelta(days=1)))
    return {"koseki": koseki, "juminhyo": juminhyo, "sandbox": sandbox}


def test_the_reconciliation_lists_money_in_and_out_of_a_day(a_day_of_payments):
    koseki, juminhyo, sandbox = (a_day_of_payments[key]
                                 for key in ("koseki", "juminhyo", "sandbox"))
    rows = selectors.reconciliation(day=TOKYO_DAY)
    assert [(row.kind, row.reference, row.department, row.provider, row.method,
             row.amount_yen) for row in rows] == [
        ("payment", koseki.reference, "芝地区総合支所 区民課 戸籍係", "counter", "cash", 450),
        ("payment", juminhyo.reference, "各総合支所 区民課 窓口サービス係（全地区共通）",
         "counter", "e_money", 600),
        ("refund", juminhyo.reference, "各総合支所 区民課 窓口サービス係（全地区共通）",
         "counter", "e_money", -300),
        ("payment", sandbox.reference, "みなと保健所 生活衛生課", "sandbox", "sandbox", 3000),
    ]
    assert selectors.totals(rows) == [
        ("みなと保健所 生活衛生課", "sandbox", 1, 0, 3000),
        ("各総合支所 区民課 窓口サービス係（全地区共通）", "counter", 1, 1, 300),
        ("芝地区総合支所 区民課 戸籍係", "counter", 1, 0, 450),
    ]
    assert [row.reference for row in selectors.reconciliation(
        day=TOKYO_DAY, department_code="koseki")] == [koseki.reference]
    assert [row.reference for row in selectors.reconciliation(
        day=TOKYO_DAY, provider="sandbox")] == [sandbox.reference]
    assert selectors.reconciliation(day=TOKYO_DAY, department_code="koseki",
                                    provider="sandbox") == []
    assert selectors.reconciliation(day=datetime.date(2026, 3, 1)) == []
    assert [row.amount_yen for row in selectors.reconciliation(
        day=TOKYO_DAY + datetime.timedelta(days=1))] == [750]


def test_departments_of_the_same_name_are_totalled_apart(minato, shiba_clerk):
    """Each branch office has its own 区民課: their money is not added together."""
    for code in ("shiba-residents", "azabu-residents"):
        payment = services.payment_take_at_counter(
            purpose=f"test.{code}", purpose_label="証明書", amount_yen=300, method="cash",
            idempotency_key=f"k-{code}", department=Department.objects.get(code=code),
            actor=shiba_clerk)
        captured_at(payment, at(12))
    assert selectors.totals(selectors.reconciliation(day=TOKYO_DAY)) == [
        ("芝地区総合支所 区民課", "counter", 1, 0, 300),
        ("麻布地区総合支所 区民課", "counter", 1, 0, 300)]
    assert [row.amount_yen for row in selectors.reconciliation(
        day=TOKYO_DAY, department_code="azabu-residents")] == [300]


def _csv_rows(text: str):
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(("encoding", "codec"), [("utf-8", "utf-8"), ("shift_jis", "cp932")])
def test_the_reconciliation_csv_opens_in_excel(a_day_of_payments, encoding, codec):
    rows = selectors.reconciliation(day=TOKYO_DAY)
    body = selectors.reconciliation_csv(rows, encoding=encoding)
    if encoding == "utf-8":
        assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
        text = body[3:].decode("utf-8")
    else:
        assert not body.startswith(b"\xef\xbb\xbf")
        text = body.decode(codec)
    assert "\r\n" in text
    table = _csv_rows(text)
    assert table[0] == ["日時", "区分", "領収番号", "所管課", "決済手段", "支払方法", "内容",
                        "金額（円）", "決済事業者の参照番号"]
    juminhyo = a_day_of_payments["juminhyo"]
    assert table[1:] == [
        ["2026-04-01 09:05:00", "入金", a_day_of_payments["koseki"].reference,
         "芝地区総合支所 区民課 戸籍係", "counter", "cash",
         "戸籍謄本・抄本（全部・個人事項証明書） × 1", "450", ""],
        ["2026-04-01 10:30:00", "入金", juminhyo.reference,
         "各総合支所 区民課 窓口サービス係（全地区共通）", "counter", "e_money",
         "住民票の写し × 2", "600", ""],
        ["2026-04-01 11:00:00", "返金", juminhyo.reference,
         "各総合支所 区民課 窓口サービス係（全地区共通）", "counter", "e_money",
         "住民票の写し × 2", "-300", f"counter-refund-{Refund.objects.get().id}"],
        ["2026-04-01 23:59:00", "入金", a_day_of_payments["sandbox"].reference,
         "みなと保健所 生活衛生課", "sandbox", "sandbox", "テスト", "3000",
         a_day_of_payments["sandbox"].provider_reference],
    ]


def test_the_csv_of_a_day_without_payments_has_the_header_only(minato):
    for encoding, codec in (("utf-8", "utf-8-sig"), ("shift_jis", "cp932")):
        body = selectors.reconciliation_csv([], encoding=encoding)
        assert _csv_rows(body.decode(codec)) == [["日時", "区分", "領収番号", "所管課",
                                                  "決済手段", "支払方法", "内容", "金額（円）",
                                                  "決済事業者の参照番号"]]
