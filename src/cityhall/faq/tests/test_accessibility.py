"""The FAQ pages in a real browser: axe-core finds no WCAG 2.2 A/AA violation on the chat page
(empty, with an answer, with "I don't know"), an entry page, a category page, the widget
open on the home page, and the staff pages; the chat works without JavaScript and with htmx
(the reply replaces only the reply area)."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
    _axe_violations,
    _format_violations,
    _new_page,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_the_chat_page_is_accessible(browser, demo_site, language):  # noqa: F811
    _assert_accessible(browser, demo_site, reverse("faq:ask"), language=language)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_entry_and_category_pages_are_accessible(browser, demo_site, language):  # noqa: F811
    _assert_accessible(browser, demo_site, reverse("faq:entry_detail", args=["juminhyo-copy"]),
                       language=language)
    _assert_accessible(browser, demo_site,
                       reverse("faq:category_detail", args=["resident-registry"]),
                       language=language)


@pytest.mark.parametrize("javascript", [False, True])
def test_asking_works_with_and_without_javascript(browser, demo_site, javascript):  # noqa: F811
    context, page = _new_page(browser, language="ja", javascript=javascript)
    try:
        page.goto(demo_site.url + reverse("faq:ask"))
        for question, kind in (("住民票の写しはどこで取れますか", "answer"),
                               ("区長の好きな食べ物は何ですか", "unknown")):
            page.fill("#faq-ask-q", question)
            if javascript:
                page.click("#faq-ask button[type=submit]")
                page.wait_for_selector(f"#faq-reply .faq-message--{kind}")
            else:
                with page.expect_navigation():
                    page.click("#faq-ask button[type=submit]")
            assert page.locator(f"#faq-reply .faq-message--{kind}").count() == 1
            if javascript:
                # axe runs as a script: in a page with JavaScript off, page.evaluate never
                # returns. The same reply markup is checked in the run with JavaScript.
                violations = _axe_violations(page, demo_site)
                assert not violations, _format_violations(violations)
    finally:
        context.close()


def test_the_widget_is_accessible_when_open(browser, demo_site):  # noqa: F811
    context, page = _new_page(browser, language="en")
    try:
        page.goto(demo_site.url + "/")
        page.click(".faq-widget__toggle")
        page.fill("#faq-widget-ask-q", "bulky waste")
        page.click("#faq-widget-ask button[type=submit]")
        page.wait_for_selector("#faq-widget-reply .faq-message")
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
    finally:
        context.close()


def test_the_staff_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.tests.factories import StaffFactory

    editor = StaffFactory(roles=("faq_editor",), email="faq-axe@city.example")
    context, page = _signed_in_context(browser, demo_site, editor, language="ja")
    try:
        for url in (reverse("faq:staff_home"),
                    reverse("faq:staff_entry_edit", args=["juminhyo-copy"]),
                    reverse("faq:staff_entry_create"), reverse("faq:staff_synonyms"),
                    reverse("faq:staff_questions")):
            response = page.goto(demo_site.url + url)
            assert response.status == 200, url
            violations = _axe_violations(page, demo_site)
            assert not violations, f"{url}\n" + _format_violations(violations)
    finally:
        context.close()
