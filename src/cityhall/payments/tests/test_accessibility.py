"""The payment pages in a real browser: axe-core finds no WCAG 2.2 A/AA violation on the
resident's and the staff's pages, and paying in the sandbox works without JavaScript."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
    _check_pages,
    _new_page,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _person(key):
    from cityhall.core.demo import RESIDENTS, STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    persona = STAFF.get(key) or RESIDENTS[key]
    user = User.objects.get(email=persona.email)
    if key in STAFF:
        give_second_factor(user)
    return user


def _sandbox_payment(user, purpose="test.a11y:dog"):
    from cityhall.payments import services
    from cityhall.payments.models import Fee

    dog = Fee.objects.get(code="dog-registration")
    return services.payment_create(
        purpose=purpose, purpose_label=dog.name_ja, amount_yen=dog.amount_yen,
        provider="sandbox", idempotency_key=purpose, payer=user, fee=dog, actor=user)


def test_resident_payment_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.payments import services

    hanako = _person("hanako")
    pending = _sandbox_payment(hanako)
    paid = _sandbox_payment(hanako, purpose="test.a11y:paid")
    services.sandbox_pay(payment=paid, outcome="success", actor=hanako)
    context, page = _signed_in_context(browser, demo_site, hanako)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("payments:payment_detail", args=[pending.pk]), False, 200),
            (reverse("payments:sandbox", args=[pending.pk]), False, 200),
            (reverse("payments:payment_detail", args=[paid.pk]), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_sandbox_page_is_accessible_in_each_language(browser, demo_site,  # noqa: F811
                                                         language):
    hanako = _person("hanako")
    payment = _sandbox_payment(hanako)
    context, page = _signed_in_context(browser, demo_site, hanako, language=language)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("payments:sandbox", args=[payment.pk]), False, 200)])
        assert page.get_attribute("html", "lang") == language
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_staff_payment_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.payments import services
    from cityhall.payments.models import Fee

    clerk, manager = _person("shiba_clerk"), _person("shiba_manager")
    koseki = Fee.objects.get(code="koseki-copy")
    payment = services.payment_take_at_counter(
        purpose="payments.counter:a11y", purpose_label=f"{koseki.name_ja} × 2",
        amount_yen=koseki.amount_yen * 2, method="cash", idempotency_key="counter:a11y",
        fee=koseki, payer_name="港 花子", actor=clerk)
    services.refund_request(payment=payment, amount_yen=450, reason="一通は不要になったため",
                            actor=clerk)
    staff_page = reverse("payments:staff_payment", args=[payment.pk])
    context, page = _signed_in_context(browser, demo_site, clerk)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("payments:counter"), False, 200),
            # Recording with nothing filled in shows every error, tied to its field.
            (reverse("payments:counter"), True, 400),
        ])
        amount = page.locator("#id_amount_yen")
        assert amount.get_attribute("aria-invalid") == "true"
        found += _check_pages(page, demo_site, [
            (staff_page, False, 200),  # with the form to ask for another refund
        ])
    finally:
        context.close()
    context, page = _signed_in_context(browser, demo_site, manager)
    try:
        found += _check_pages(page, demo_site, [
            (staff_page, False, 200),  # with the refund waiting for the manager's decision
            (reverse("payments:reconciliation"), False, 200),
            (reverse("payments:reconciliation") + "?day=2026-02-30", False, 400),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_paying_in_the_sandbox_works_without_javascript(browser, demo_site):  # noqa: F811
    hanako = _person("hanako")
    payment = _sandbox_payment(hanako)
    context, page = _signed_in_context(browser, demo_site, hanako, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("payments:payment_detail", args=[payment.pk]))
        with page.expect_navigation():
            page.click(f"form[action$='{payment.pk}/pay/'] button[type=submit]")
        assert page.url.endswith(reverse("payments:sandbox", args=[payment.pk]))
        assert "Sandbox:" in page.inner_text("main")
        page.check("input[name=outcome][value=success]")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.url.endswith(reverse("payments:payment_detail", args=[payment.pk]))
        assert "Paid" in page.inner_text("main")
        assert page.locator("a[href$='receipt.pdf']").count() == 1
    finally:
        context.close()
    payment.refresh_from_db()
    assert payment.status == "captured"
