"""The alert pages in a real browser on a phone-sized screen (取組12, JIS X 8341-3): axe-core
finds no WCAG 2.2 A/AA violation on the staff pages (list, choose a template, compose with
and without errors, the four-language preview, the approval page) or the public pages (list,
alert page in ja/en/zh-hans/ko, the home page with the banner); composing, submitting and
approving work without JavaScript."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
    _axe_violations,
    _check_pages,
    _format_violations,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _staff(key):
    from allauth.mfa.models import Authenticator

    from cityhall.core.demo import STAFF
    from cityhall.core.models import User

    user = User.objects.get(email=STAFF[key].email)
    if not Authenticator.objects.filter(user=user).exists():
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP,
                                     data={"secret": "test-only"})
    return user


def _published_alert():
    from cityhall.disaster import services

    composer, approver = _staff("shiba_manager"), _staff("admin")
    alert = services.alert_create(actor=composer, template_key="evacuation_level_4",
                                  parameters={"hazard": "flood", "time": "2031-06-02T14:30"},
                                  area_codes=["shiba", "azabu"])
    services.alert_submit(alert=alert, actor=composer)
    return services.alert_approve(alert=alert, actor=approver)


def test_compose_submit_and_approve_work_without_javascript(browser, demo_site):  # noqa: F811
    from cityhall.disaster.models import Alert

    composer = _staff("shiba_manager")
    compose = reverse("disaster:alert_compose", args=["evacuation_level_4"])
    context, page = _signed_in_context(browser, demo_site, composer, javascript=False)
    try:
        page.goto(demo_site.url + compose)
        page.select_option("#id_hazard", "flood")
        page.fill("#id_time", "2031-06-02T14:30")
        page.check("input[name=areas][value=shiba]")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        alert = Alert.objects.get()
        assert page.url.endswith(reverse("disaster:alert_staff_detail",
                                         args=[alert.identifier]))
        assert "Evacuation order for the Shiba area" in page.inner_text("main")
        with page.expect_navigation():
            page.click("form[action$='/submit/'] button")
        alert.refresh_from_db()
        assert alert.state == Alert.State.AWAITING_APPROVAL
    finally:
        context.close()

    context, page = _signed_in_context(browser, demo_site, _staff("admin"), language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("disaster:alert_staff_detail",
                                          args=[alert.identifier]))
        with page.expect_navigation():
            page.click("form[action$='/approve/'] button")
        alert.refresh_from_db()
        assert alert.state == Alert.State.PUBLISHED
        # The banner is on the next page opened.
        page.goto(demo_site.url + reverse("core:home"))
        assert alert.texts["en"]["headline"] in page.inner_text("body")
    finally:
        context.close()


def test_staff_alert_pages_are_accessible(browser, demo_site):  # noqa: F811
    """axe needs JavaScript, so these run with it; the flow above proves the pages work
    without."""
    from cityhall.disaster import services

    composer, approver = _staff("shiba_manager"), _staff("admin")
    draft = services.alert_create(actor=composer, template_key="shelter_opened",
                                  parameters={"shelter": _a_shelter(), "time": "2031-06-02T14:30"},
                                  area_codes=["shiba"])
    waiting = services.alert_create(actor=composer, template_key="earthquake",
                                    parameters={"intensity": "6-", "time": "2031-06-02T14:30"},
                                    area_codes=["azabu", "akasaka"])
    services.alert_submit(alert=waiting, actor=composer)
    compose = reverse("disaster:alert_compose", args=["evacuation_level_4"])
    free = reverse("disaster:alert_compose", args=["free"])
    found = []
    context, page = _signed_in_context(browser, demo_site, composer)
    try:
        found += _check_pages(page, demo_site, [
            (reverse("disaster:alert_staff_list"), False, 200),
            (reverse("disaster:alert_new"), False, 200),
            (compose, False, 200),
            (compose, True, 400),
            (free, False, 200),
            (free, True, 400),
            (reverse("disaster:alert_staff_detail", args=[draft.identifier]), False, 200),
        ])
    finally:
        context.close()
    context, page = _signed_in_context(browser, demo_site, approver, language="en")
    try:
        found += _check_pages(page, demo_site, [
            (reverse("disaster:alert_staff_detail", args=[waiting.identifier]), False, 200),
            (reverse("disaster:alert_staff_list"), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def _a_shelter() -> str:
    from cityhall.core.models import Facility

    return Facility.objects.filter(kind=Facility.Kind.SHELTER).order_by("code").first().code


@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_public_alert_pages_are_accessible(browser, demo_site, language):  # noqa: F811
    alert = _published_alert()
    _assert_accessible(browser, demo_site, reverse("disaster:alert_list"), language=language)
    _assert_accessible(browser, demo_site,
                       reverse("disaster:alert_detail", args=[alert.identifier]),
                       language=language)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_pages_with_the_banner_are_accessible(browser, demo_site, language):  # noqa: F811
    _published_alert()
    _assert_accessible(browser, demo_site, reverse("core:home"), language=language)
    _assert_accessible(browser, demo_site, reverse("bookings:resource_list"),
                       language=language)
