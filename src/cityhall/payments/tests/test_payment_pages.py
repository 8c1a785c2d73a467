"""The payment pages: a resident pays in the sandbox and downloads the receipt; staff take
counter payments, ask for and approve refunds and reconcile the day; who may see what
(anonymous / resident / staff without the permission / staff with it); bad input is a 400
that changes nothing."""

import csv
import io
import json
import re
import uuid

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.core.models import AuditEvent, Department
from cityhall.core.tests.factories import StaffFactory
from cityhall.payments import services
from cityhall.payments.models import Fee, Payment, ProviderEvent, Refund

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CSV_HEADER = ["日時", "区分", "領収番号", "所管課", "決済手段", "支払方法", "内容", "金額（円）",
              "決済事業者の参照番号"]


@pytest.fixture(autouse=True)
def _payments_settings(settings):
    settings.PAYMENT_PROVIDERS = ["counter", "sandbox"]
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}


def fee(code) -> Fee:
    return Fee.objects.get(code=code)


def snapshot():
    """What a refused request must leave as it was (reads of the staff page are audited, so
    they are left out)."""
    return (list(Payment.objects.order_by("reference").values_list(
                "reference", "status", "amount_yen", "refunded_yen", "checkout_url")),
            list(Refund.objects.order_by("created_at").values_list("amount_yen", "status")),
            list(AuditEvent.objects.exclude(action="payment.read").order_by("sequence")
                 .values_list("action", flat=True)))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def sandbox_payment(resident, *, amount_yen=3000):
    return services.payment_create(
        purpose="test.dog:1", purpose_label="犬の登録（テスト）", amount_yen=amount_yen,
        provider="sandbox", idempotency_key="test.dog:1", payer=resident.user,
        fee=fee("dog-registration"), actor=resident.user)


def counter_payment(clerk, *, code="dog-registration", key="k-1", payer=None):
    chosen = fee(code)
    return services.payment_take_at_counter(
        purpose=f"payments.counter:{key}", purpose_label=chosen.name_ja,
        amount_yen=chosen.amount_yen, method="cash", idempotency_key=f"counter:{key}",
        fee=chosen, payer=payer, actor=clerk)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and \
        response["Location"].startswith(reverse("account_login"))


# --- a resident pays ---------------------------------------------------------------------------

def test_a_resident_pays_in_the_sandbox_and_downloads_the_receipt(client, minato, hanako):
    payment = sandbox_payment(hanako)
    client.force_login(hanako.user)
    detail = reverse("payments:payment_detail", args=[payment.pk])
    page = client.get(detail, **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert payment.reference in content and "3,000 yen" in content
    assert "Sandbox:" in content and "Pay now" in content
    assert reverse("payments:payment_receipt", args=[payment.pk]) not in content

    response = client.post(reverse("payments:payment_pay", args=[payment.pk]))
    sandbox = reverse("payments:sandbox", args=[payment.pk])
    assert response.status_code == 302 and response["Location"] == sandbox
    page = client.get(sandbox, **EN)
    assert page.status_code == 200
    assert "Sandbox:" in page.content.decode()
    assert "No money is taken and no card is charged." in page.content.decode()
    assert "Continue to the payment page" in client.get(detail, **EN).content.decode()

    response = client.post(sandbox, {"outcome": "success"})
    assert response.status_code == 302 and response["Location"] == detail
    payment.refresh_from_db()
    assert (payment.status, payment.method) == ("captured", "sandbox")
    content = client.get(detail, **EN).content.decode()
    assert "Paid" in content and "Pay now" not in content
    receipt_url = reverse("payments:payment_receipt", args=[payment.pk])
    assert receipt_url in content

    receipt = client.get(receipt_url, **EN)
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt["Content-Disposition"] == \
        f'attachment; filename="receipt-{payment.reference}.pdf"'
    text = pdf_text(receipt.content)
    assert payment.reference in text
    assert "3,000" in text
    assert "SANDBOX" in text


def test_a_declined_card_fails_the_payment_and_gives_no_receipt(client, minato, hanako):
    payment = sandbox_payment(hanako)
    client.force_login(hanako.user)
    client.post(reverse("payments:payment_pay", args=[payment.pk]))
    detail = reverse("payments:payment_detail", args=[payment.pk])
    response = client.post(reverse("payments:sandbox", args=[payment.pk]),
                           {"outcome": "decline"})
    assert response["Location"] == detail
    payment.refresh_from_db()
    assert payment.status == "failed"
    content = client.get(detail, **EN).content.decode()
    assert "Failed" in content and "Nothing was charged." in content
    before = snapshot()
    response = client.get(reverse("payments:payment_receipt", args=[payment.pk]), **EN)
    assert response.status_code == 302 and response["Location"] == detail
    # Paying again, or paying in the sandbox again, changes nothing.
    assert client.post(reverse("payments:payment_pay", args=[payment.pk]),
                       **EN)["Location"] == detail
    assert client.post(reverse("payments:sandbox", args=[payment.pk]),
                       {"outcome": "success"}, **EN)["Location"] == detail
    assert snapshot() == before
    messages = [str(message) for message in
                client.get(detail, **EN).context["messages"]]
    assert "This payment is no longer waiting to be paid." in messages


def test_a_payer_may_cancel_from_the_page(client, minato, hanako):
    payment = sandbox_payment(hanako)
    client.force_login(hanako.user)
    response = client.post(reverse("payments:payment_cancel", args=[payment.pk]))
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "cancelled"


def test_a_bad_sandbox_outcome_changes_nothing(client, minato, hanako):
    payment = sandbox_payment(hanako)
    client.force_login(hanako.user)
    before = snapshot()
    for data in ({}, {"outcome": "steal"}):
        response = client.post(reverse("payments:sandbox", args=[payment.pk]), data)
        assert response.status_code == 302
    assert snapshot() == before


@pytest.mark.parametrize("who", ["taro", "shiba_clerk"])
def test_someone_elses_payment_is_not_found(client, minato, hanako, request, who):
    payment = sandbox_payment(hanako)
    services.payment_start(payment=payment, return_url="http://testserver/",
                           actor=hanako.user)
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    before = snapshot()
    for name in ("payment_detail", "payment_receipt", "sandbox"):
        assert client.get(reverse(f"payments:{name}", args=[payment.pk])).status_code == 404
    for name in ("payment_pay", "payment_cancel"):
        assert client.post(reverse(f"payments:{name}", args=[payment.pk])).status_code == 404
    assert client.post(reverse("payments:sandbox", args=[payment.pk]),
                       {"outcome": "success"}).status_code == 404
    assert client.get(reverse("payments:payment_detail", args=[uuid.uuid4()])) \
        .status_code == 404
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, minato, hanako):
    payment = sandbox_payment(hanako)
    before = snapshot()
    for name in ("payment_detail", "payment_receipt", "sandbox"):
        assert is_login_redirect(client.get(reverse(f"payments:{name}", args=[payment.pk])))
    for name in ("payment_pay", "payment_cancel", "sandbox"):
        assert is_login_redirect(client.post(reverse(f"payments:{name}", args=[payment.pk]),
                                             {"outcome": "success"}))
    assert snapshot() == before


def test_the_sandbox_page_is_only_for_sandbox_payments(client, minato, hanako, shiba_clerk):
    payment = counter_payment(shiba_clerk, payer=hanako.user)
    client.force_login(hanako.user)
    assert client.get(reverse("payments:payment_detail", args=[payment.pk])).status_code == 200
    assert client.get(reverse("payments:sandbox", args=[payment.pk])).status_code == 403
    # The resident may download the receipt of what they paid at the counter.
    receipt = client.get(reverse("payments:payment_receipt", args=[payment.pk]))
    assert receipt.status_code == 200 and payment.reference in pdf_text(receipt.content)


# --- the counter -------------------------------------------------------------------------------

def counter_form(client, **data):
    page = client.get(reverse("payments:counter"))
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page.content.decode()).group(1)
    return {"key": key, "quantity": "1", "method": "cash", **data}


def test_a_clerk_records_a_counter_payment(client, minato, shiba_clerk):
    client.force_login(shiba_clerk)
    data = counter_form(client, fee=fee("koseki-copy").pk, quantity="2", method="e_money",
                        payer_name="港 花子")
    response = client.post(reverse("payments:counter"), data, **EN)
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:staff_payment", args=[payment.pk])
    assert (payment.amount_yen, payment.status, payment.provider, payment.method) == (
        900, "captured", "counter", "e_money")
    assert payment.purpose_label == "戸籍謄本・抄本（全部・個人事項証明書） × 2"
    assert payment.payer_name == "港 花子"
    assert payment.received_by == shiba_clerk
    assert payment.department.code == "koseki"
    page = client.get(response["Location"], **EN)
    assert f"The payment was recorded: receipt number {payment.reference}." in \
        page.content.decode()

    # The same form sent again (a double click, the back button): one payment.
    again = client.post(reverse("payments:counter"), data, **EN)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="payment.captured").count() == 1


def test_a_clerk_records_another_amount(client, minato, shiba_clerk):
    client.force_login(shiba_clerk)
    data = counter_form(client, amount_yen="1200", purpose_label="資料のコピー代", method="qr")
    assert client.post(reverse("payments:counter"), data).status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount_yen, payment.purpose_label, payment.fee, payment.method) == (
        1200, "資料のコピー代", None, "qr")


@pytest.mark.parametrize(("data", "error"), [
    ({"purpose_label": "コピー代"}, "Choose a fee or enter an amount."),
    ({"amount_yen": "0", "purpose_label": "コピー代"}, "Enter an amount of at least 1 yen."),
    ({"amount_yen": "300"}, "Say what the payment is for."),
    ({"amount_yen": "three hundred", "purpose_label": "コピー代"},
     "Enter the amount in whole yen, e.g. 300."),
    ({"amount_yen": "10000001", "purpose_label": "コピー代"},
     "Enter an amount of at most 10,000,000 yen."),
    ({"fee": "koseki-copy", "method": ""}, "Choose how it was paid."),
    ({"fee": "koseki-copy", "method": "sandbox"}, "Select a valid choice."),
    ({"fee": "koseki-copy", "quantity": "0"}, "Enter at least 1."),
    ({"fee": "koseki-copy", "quantity": "101"}, "Enter at most 100."),
    ({"fee": "999999"}, "Select a valid choice."),
])
def test_bad_counter_input_is_refused_and_nothing_is_written(client, minato, shiba_clerk, data,
                                                            error):
    client.force_login(shiba_clerk)
    if data.get("fee") == "koseki-copy":
        data = {**data, "fee": fee("koseki-copy").pk}
    form = counter_form(client, **data)
    before = snapshot()
    response = client.post(reverse("payments:counter"), form, **EN)
    assert response.status_code == 400
    content = response.content.decode()
    assert error in content
    assert 'class="error-summary"' in content
    assert snapshot() == before


def test_a_counter_form_without_its_key_is_refused(client, minato, shiba_clerk):
    client.force_login(shiba_clerk)
    before = snapshot()
    response = client.post(reverse("payments:counter"), {
        "fee": fee("koseki-copy").pk, "quantity": "1", "method": "cash"})
    assert response.status_code == 400
    assert snapshot() == before


# --- who may see the staff pages ---------------------------------------------------------------

@pytest.fixture
def users(request, minato):
    """anonymous, a resident, staff without the permission, and staff with each."""
    def get(name):
        if name == "anonymous":
            return None
        user = request.getfixturevalue(name)
        return getattr(user, "user", user)
    return get


STAFF_PAGES = [
    # (page, who may, who may not)
    ("counter", ["shiba_clerk", "azabu_clerk"], ["hanako", "reviewer", "shiba_manager",
                                                 "auditor"]),
    ("staff_payment", ["shiba_clerk", "shiba_manager", "auditor"], ["hanako", "reviewer"]),
    ("reconciliation", ["shiba_manager", "auditor"], ["hanako", "reviewer", "shiba_clerk"]),
]


@pytest.mark.parametrize(("name", "allowed", "refused"), STAFF_PAGES)
def test_staff_pages_need_their_permission(client, minato, shiba_clerk, users, name, allowed,
                                           refused):
    payment = counter_payment(shiba_clerk)
    url = reverse(f"payments:{name}", args=[payment.pk] if name == "staff_payment" else [])
    assert is_login_redirect(client.get(url))
    for who in refused:
        client.force_login(users(who))
        assert client.get(url).status_code == 403, who
    for who in allowed:
        client.force_login(users(who))
        assert client.get(url).status_code == 200, who


def test_a_counter_payment_cannot_be_posted_without_the_permission(client, minato, users):
    people = {who: users(who) for who in ("anonymous", "hanako", "reviewer", "shiba_manager")}
    before = snapshot()
    for who, user in people.items():
        client.logout()
        if user:
            client.force_login(user)
        response = client.post(reverse("payments:counter"), {
            "fee": fee("koseki-copy").pk, "quantity": "1", "method": "cash",
            "key": "0" * 32})
        assert response.status_code == (302 if who == "anonymous" else 403), who
    assert snapshot() == before


def test_a_staff_read_of_a_payment_is_audited(client, minato, hanako, shiba_clerk):
    payment = counter_payment(shiba_clerk, payer=hanako.user)
    client.force_login(shiba_clerk)
    page = client.get(reverse("payments:staff_payment", args=[payment.pk]), **EN)
    assert page.status_code == 200
    assert payment.reference in page.content.decode()
    event = AuditEvent.objects.get(action="payment.read")
    assert (event.actor, event.target_type, event.target_id, event.purpose) == (
        shiba_clerk, "payments.payment", str(payment.pk), "payments")
    receipt = client.get(reverse("payments:staff_receipt", args=[payment.pk]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert payment.reference in pdf_text(receipt.content)
    assert AuditEvent.objects.filter(action="payment.read", purpose="print receipt",
                                     actor=shiba_clerk).count() == 1
    assert client.get(reverse("payments:staff_payment", args=[uuid.uuid4()])).status_code == 404


# --- refunds through the pages -----------------------------------------------------------------

def test_a_clerk_asks_for_a_refund_and_a_manager_approves_it(
        client, minato, shiba_clerk, shiba_manager, django_capture_on_commit_callbacks):
    payment = counter_payment(shiba_clerk)  # 3,000 yen
    staff_page = reverse("payments:staff_payment", args=[payment.pk])
    client.force_login(shiba_clerk)
    assert "Ask for a refund" in client.get(staff_page, **EN).content.decode()
    response = client.post(staff_page, {"amount_yen": "1000", "reason": "二重に受領"}, **EN)
    assert response.status_code == 302 and response["Location"] == staff_page
    refund = Refund.objects.get()
    assert (refund.amount_yen, refund.status, refund.requested_by) == (1000, "requested",
                                                                       shiba_clerk)
    # The clerk sees no decision form and may not decide.
    assert "Record the decision" not in client.get(staff_page, **EN).content.decode()
    decide = reverse("payments:refund_decide", args=[refund.pk])
    before = snapshot()
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    assert snapshot() == before

    client.force_login(shiba_manager)
    page = client.get(staff_page, **EN).content.decode()
    assert "Record the decision" in page and "二重に受領" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide, {"decision": "approve", "note": "確認しました"})
    assert response.status_code == 302 and response["Location"] == staff_page
    refund.refresh_from_db()
    assert (refund.status, refund.decided_by, refund.decision_note) == (
        "completed", shiba_manager, "確認しました")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_yen) == ("partly_refunded", 1000)
    page = client.get(staff_page, **EN).content.decode()
    assert "1,000 yen refunded" in page and "Paid back" in page


def test_nobody_approves_their_own_refund_through_the_page(client, minato):
    both = StaffFactory(email="both@test.cityhall.example",
                        roles=("counter_clerk", "branch_manager"))
    payment = counter_payment(both)
    staff_page = reverse("payments:staff_payment", args=[payment.pk])
    client.force_login(both)
    client.post(staff_page, {"amount_yen": "500", "reason": "誤り"})
    refund = Refund.objects.get()
    assert "Record the decision" not in client.get(staff_page, **EN).content.decode()
    before = snapshot()
    response = client.post(reverse("payments:refund_decide", args=[refund.pk]),
                           {"decision": "approve"}, **EN)
    assert response.status_code == 302
    messages = [str(message) for message in client.get(staff_page, **EN).context["messages"]]
    assert "A refund must be approved by someone other than the person who asked for it." \
        in messages
    assert snapshot() == before


def test_a_decision_needs_approve_or_reject(client, minato, shiba_clerk, shiba_manager):
    payment = counter_payment(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=100, reason="理由",
                                     actor=shiba_clerk)
    client.force_login(shiba_manager)
    before = snapshot()
    decide = reverse("payments:refund_decide", args=[refund.pk])
    for data in ({}, {"decision": "maybe"}):
        assert client.post(decide, data).status_code == 302
    assert client.post(decide.replace(str(refund.pk), "not-a-refund"),
                       {"decision": "approve"}).status_code == 404
    assert client.post(reverse("payments:refund_decide", args=[uuid.uuid4()]),
                       {"decision": "approve"}).status_code == 404
    assert client.get(decide).status_code == 405
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "hanako", "reviewer", "shiba_clerk",
                                 "azabu_clerk"])
def test_deciding_a_refund_needs_the_permission(client, minato, shiba_clerk, users, who):
    payment = counter_payment(shiba_clerk)
    refund = services.refund_request(payment=payment, amount_yen=100, reason="理由",
                                     actor=shiba_clerk)
    if users(who):
        client.force_login(users(who))
    before = snapshot()
    response = client.post(reverse("payments:refund_decide", args=[refund.pk]),
                           {"decision": "approve"})
    if who == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("data", "error"), [
    ({"amount_yen": "3001", "reason": "多すぎ"},
     "The refund is more than what is left to refund (3,000 yen)."),
    ({"amount_yen": "0", "reason": "零"}, "Enter an amount of at least 1 yen."),
    ({"amount_yen": "", "reason": "空"}, "Enter the amount to refund."),
    ({"amount_yen": "100", "reason": ""}, "Give the reason for the refund."),
    ({"amount_yen": "100", "reason": "   "}, "Give the reason for the refund."),
])
def test_a_bad_refund_request_is_refused_on_the_page(client, minato, shiba_clerk, data, error):
    payment = counter_payment(shiba_clerk)
    client.force_login(shiba_clerk)
    before = snapshot()
    response = client.post(reverse("payments:staff_payment", args=[payment.pk]), data, **EN)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert snapshot() == before


def test_staff_who_may_not_ask_for_refunds_cannot_post_one(client, minato, shiba_clerk,
                                                            shiba_manager, auditor):
    payment = counter_payment(shiba_clerk)
    before = snapshot()
    for user in (shiba_manager, auditor):
        client.force_login(user)
        response = client.post(reverse("payments:staff_payment", args=[payment.pk]),
                               {"amount_yen": "100", "reason": "理由"})
        assert response.status_code == 403
    assert snapshot() == before


# --- reconciliation ----------------------------------------------------------------------------

def test_the_reconciliation_page_shows_the_day(client, minato, shiba_clerk, shiba_manager):
    koseki = counter_payment(shiba_clerk, code="koseki-copy", key="1")
    dog = counter_payment(shiba_clerk, key="2")
    refund = services.refund_request(payment=dog, amount_yen=500, reason="一部返金",
                                     actor=shiba_clerk)
    client.force_login(shiba_manager)
    page = client.get(reverse("payments:reconciliation"), **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert koseki.reference in content and dog.reference in content
    assert "Net: 3,450 yen." in content
    assert "芝地区総合支所 区民課 戸籍係" in content
    assert "Refunds waiting for approval" in content and "一部返金" in content
    assert reverse("payments:staff_payment", args=[refund.payment_id]) in content
    today = timezone.localdate().isoformat()
    filtered = client.get(reverse("payments:reconciliation"),
                          {"day": today, "department": "koseki", "provider": "counter"}, **EN)
    assert filtered.status_code == 200
    assert koseki.reference in filtered.content.decode()
    assert dog.reference not in filtered.content.decode().split("Refunds waiting")[0]
    other_day = client.get(reverse("payments:reconciliation"), {"day": "2020-01-01"}, **EN)
    assert "No payments or refunds on this day." in other_day.content.decode()


def test_the_reconciliation_filters_by_any_department_that_was_paid(client, minato,
                                                                    shiba_clerk, shiba_manager):
    """An application's fee is paid to the procedure's department, which may have no fee of
    its own; each branch office's 区民課 is named with its office."""
    payment = services.payment_take_at_counter(
        purpose="test.shiba", purpose_label="証明書", amount_yen=300, method="cash",
        idempotency_key="k-shiba", department=Department.objects.get(code="shiba-residents"),
        actor=shiba_clerk)
    client.force_login(shiba_manager)
    response = client.get(reverse("payments:reconciliation"), {"department": "shiba-residents"},
                          **EN)
    assert response.status_code == 200
    content = response.content.decode()
    assert payment.reference in content
    assert '<option value="shiba-residents" selected>芝地区総合支所 区民課</option>' in content


@pytest.mark.parametrize(("query", "error"), [
    ({"day": "2026-02-30"}, "Enter the date as year-month-day, e.g. 2026-04-01."),
    ({"day": "yesterday"}, "Enter the date as year-month-day, e.g. 2026-04-01."),
    ({"provider": "paypal"}, "Select a valid choice."),
    ({"department": "no-such-department"}, "Select a valid choice."),
])
def test_a_bad_reconciliation_query_is_a_400(client, minato, shiba_manager, query, error):
    client.force_login(shiba_manager)
    response = client.get(reverse("payments:reconciliation"), query, **EN)
    assert response.status_code == 400
    assert error in response.content.decode()
    csv_response = client.get(reverse("payments:reconciliation"),
                              {**query, "format": "csv"}, **EN)
    assert csv_response.status_code == 400
    assert not AuditEvent.objects.filter(action="payments.reconciliation_export").exists()


@pytest.mark.parametrize(("encoding", "charset", "codec"), [
    ("utf-8", "utf-8", "utf-8-sig"), ("shift_jis", "shift_jis", "cp932")])
def test_the_reconciliation_downloads_as_csv(client, minato, shiba_clerk, shiba_manager,
                                            encoding, charset, codec):
    payment = counter_payment(shiba_clerk, code="juminhyo-copy")
    client.force_login(shiba_manager)
    today = timezone.localdate()
    response = client.get(reverse("payments:reconciliation"),
                          {"day": today.isoformat(), "format": "csv", "encoding": encoding})
    assert response.status_code == 200
    assert response["Content-Type"] == f"text/csv; charset={charset}"
    assert response["Content-Disposition"] == \
        f'attachment; filename="payments-{today:%Y%m%d}-{encoding}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
    table = list(csv.reader(io.StringIO(response.content.decode(codec), newline="")))
    assert table[0] == CSV_HEADER
    assert [row[1:] for row in table[1:]] == [
        ["入金", payment.reference, "各総合支所 区民課 窓口サービス係（全地区共通）", "counter",
         "cash", "住民票の写し", "300", ""]]
    event = AuditEvent.objects.get(action="payments.reconciliation_export")
    assert event.actor == shiba_manager
    assert event.details == {"day": today.isoformat(), "rows": 1, "department": "",
                             "provider": ""}


def test_an_unknown_csv_encoding_falls_back_to_utf8(client, minato, shiba_manager):
    client.force_login(shiba_manager)
    response = client.get(reverse("payments:reconciliation"),
                          {"format": "csv", "encoding": "ebcdic"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode("utf-8-sig").splitlines()[0] == ",".join(CSV_HEADER)


# --- the provider's webhook --------------------------------------------------------------------

@pytest.mark.parametrize("secret", ["", "whsec_test_only"])
def test_a_webhook_with_a_bad_signature_changes_nothing(client, minato, hanako, settings,
                                                        secret):
    settings.STRIPE_WEBHOOK_SECRET = secret
    payment = sandbox_payment(hanako)
    before = snapshot()
    body = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {
        "object": "payment_intent", "id": "pi_1", "metadata": {"payment_id": str(payment.pk)}}}})
    url = reverse("payments:stripe_webhook")
    for headers in ({}, {"HTTP_STRIPE_SIGNATURE": "t=1,v1=forged"}):
        response = client.post(url, body, content_type="application/json", **headers)
        assert response.status_code == 400
    assert client.get(url).status_code == 405
    assert ProviderEvent.objects.count() == 0
    assert snapshot() == before


# --- the public fee schedule API ---------------------------------------------------------------

def test_the_fee_schedule_is_public_in_the_api(client, minato):
    Fee.objects.filter(code="rabies-tag-reissue").update(is_active=False)
    response = client.get("/api/v1/payments/fees")
    assert response.status_code == 200
    fees = {row["code"]: row for row in response.json()}
    assert fees["dog-registration"] == {
        "code": "dog-registration", "name_ja": "犬の登録手数料（鑑札交付）",
        "name_en": "Dog registration (licence tag)", "category": "registration",
        "amount_yen": 3000, "department": "seikatsu-eisei",
        "legal_basis": "狂犬病予防法第4条、港区手数料条例"}
    assert fees["koseki-copy"]["amount_yen"] == 450
    assert "rabies-tag-reissue" not in fees
    assert len(fees) == Fee.objects.filter(is_active=True).count()
