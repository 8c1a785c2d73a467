"""Card payments through the Stripe adapter and a local fake Stripe, beside same-run baselines.

    uv run python bench/payments_bench.py                    # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/payments_bench.py                # PostgreSQL (flushed)

One round is what a resident's card payment costs the city's side: payment_create (receipt
number under a row lock, audit), payment_start (a Checkout Session through the official
`stripe` client over HTTP), the payer paying on the fake's hosted page, then the signed
webhooks through the webhook view (verify, record once, authorize), the capture task calling
the fake through the client, and the late payment_intent.succeeded webhook. The fake is the
tests' `FakeStripe` (src/cityhall/payments/tests/fake_stripe.py); tasks run at once.

Baselines in the same run: a plain INSERT of a payment row; a bare HTTP round trip to the
fake (http.client, kept-alive connection); one API call through the official client (retrieve
a PaymentIntent). BENCH_ROUNDS sets the number of rounds (default 100).
"""

import datetime
import http.client
import os
import sys
import uuid

from benchsetup import ROOT, percentiles, setup_django, timed_ms

sys.path.insert(0, str(ROOT / "src"))
from cityhall.payments.tests.fake_stripe import FakeStripe  # needs no Django

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))

fake = FakeStripe(secret_key="sk_test_bench", webhook_secret="whsec_bench").start()
os.environ.update(TASK_BACKEND="immediate", STRIPE_SECRET_KEY=fake.secret_key,
                  STRIPE_WEBHOOK_SECRET=fake.webhook_secret, STRIPE_API_BASE=fake.api_base,
                  PAYMENT_PROVIDERS="counter,stripe")
setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402


def main():
    import stripe

    from cityhall.core.models import User
    from cityhall.payments import services
    from cityhall.payments.models import Payment

    webhooks, url = Client(), reverse("payments:stripe_webhook")

    def deliver(body, signature):
        response = webhooks.post(url, body, content_type="application/json",
                                 HTTP_STRIPE_SIGNATURE=signature)
        return response.status_code, response.content.decode()

    fake.deliver = deliver
    payer = User.objects.create_user(email="bench.payer@bench.example", password=None)
    phases = {"create": [], "start": [], "pay": [], "round": []}
    failures = 0
    for number in range(ROUNDS):
        holder = {}

        def create(number=number, holder=holder):
            holder["payment"] = services.payment_create(
                purpose=f"bench.order:{number}", purpose_label="犬の登録", amount_yen=3000,
                provider="stripe", idempotency_key=f"bench:{number}", payer=payer,
                actor=payer)

        def start(holder=holder):
            services.payment_start(payment=holder["payment"],
                                   return_url="http://127.0.0.1:8000/payments/back",
                                   actor=payer)

        def pay(holder=holder):
            payment = Payment.objects.get(pk=holder["payment"].pk)
            fake.pay(payment.provider_session)  # webhooks, capture, late webhook

        times = [timed_ms(create), timed_ms(start), timed_ms(pay)]
        for key, value in zip(("create", "start", "pay"), times, strict=True):
            phases[key].append(value)
        phases["round"].append(sum(times))
        if Payment.objects.get(pk=holder["payment"].pk).status != "captured":
            failures += 1

    # Baselines.
    insert = []
    now = datetime.datetime.now(datetime.UTC)
    for number in range(ROUNDS):
        def plain(number=number):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO payments_payment (id, reference, amount_yen, purpose, "
                    "purpose_label, purpose_url, payer_id, payer_name, status, provider, "
                    "method, provider_reference, provider_session, checkout_url, "
                    "idempotency_key, refunded_yen, failure_reason, created_at) VALUES "
                    "(%s, %s, 3000, %s, '犬の登録', '', %s, '', 'pending', 'stripe', '', '', "
                    "'', '', %s, 0, '', %s)",
                    [uuid.uuid4().hex if connection.vendor == "sqlite" else str(uuid.uuid4()),
                     f"B{number:09d}", f"bench.plain:{number}", payer.pk,
                     f"bench.plain:{number}", now])
        insert.append(timed_ms(plain))
    intent_id = next(iter(fake.payment_intents))
    host, port = fake.api_base.removeprefix("http://").split(":")
    bare_connection = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": f"Bearer {fake.secret_key}"}

    def bare():
        bare_connection.request("GET", f"/v1/payment_intents/{intent_id}", headers=headers)
        bare_connection.getresponse().read()

    bare()
    http_round = [timed_ms(bare) for _ in range(ROUNDS)]
    client = stripe.StripeClient(fake.secret_key, base_addresses={"api": fake.api_base})
    client.v1.payment_intents.retrieve(intent_id)
    client_call = [timed_ms(lambda: client.v1.payment_intents.retrieve(intent_id))
                   for _ in range(ROUNDS)]

    captured = Payment.objects.filter(status="captured").count()
    print(f"database: {connection.vendor}; {ROUNDS} rounds; {captured} payments captured, "
          f"{failures} not; fake Stripe: {fake.created['checkout.session']} sessions, "
          f"{fake.count('POST', '/v1/payment_intents/')} captures, "
          f"{len(fake.deliveries)} webhooks delivered")
    print(f"{'operation':58} {'median ms':>10} {'p95 ms':>10}")
    for label, samples in (
            ("baseline: plain INSERT of a payment row", insert),
            ("baseline: bare HTTP round trip to the fake (keep-alive)", http_round),
            ("baseline: one call through the stripe client (retrieve)", client_call),
            ("payment_create (receipt number, audit)", phases["create"]),
            ("payment_start (Checkout Session via the client)", phases["start"]),
            ("pay: 3 webhooks + capture task via the client", phases["pay"]),
            ("whole round (create + start + pay + capture)", phases["round"])):
        median, p95 = percentiles(samples)
        print(f"{label:58} {median:10.2f} {p95:10.2f}")


if __name__ == "__main__":
    try:
        main()
    finally:
        fake.stop()
