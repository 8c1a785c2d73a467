"""The feedback pages in a real browser (取組11): axe-core finds no WCAG 2.2 A/AA violation on
the resident form (empty and with errors, ja and en), the confirmation, the public Q&A list
and an entry, and the staff queue and an opinion; the form works without JavaScript."""

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


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("url_name", ["feedback:opinion_new", "feedback:qa_list"])
def test_the_public_pages_are_accessible(browser, demo_site, url_name,  # noqa: F811
                                         language):
    _assert_accessible(browser, demo_site, reverse(url_name), language=language)


def test_a_qa_entry_is_accessible(browser, demo_site):  # noqa: F811
    from cityhall.feedback.models import QAEntry

    entry = QAEntry.objects.filter(status="published").first()
    _assert_accessible(browser, demo_site, reverse("feedback:qa_detail", args=[entry.pk]),
                       language="en")
    _assert_accessible(browser, demo_site, reverse("feedback:qa_list") + "?topic=nothing",
                       language="ja")


def test_the_form_with_errors_is_accessible(browser, demo_site):  # noqa: F811
    context, page = _new_page(browser, language="en")
    try:
        page.goto(demo_site.url + reverse("feedback:opinion_new"))
        page.check("#id_wants_reply")
        with page.expect_navigation():
            page.click("form.feedback-form button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
    finally:
        context.close()


def test_the_form_works_without_javascript(browser, demo_site):  # noqa: F811
    # (axe-core needs JavaScript, so this page is only driven, not checked by axe.)
    from cityhall.feedback.models import Opinion

    before = Opinion.objects.count()
    context, page = _new_page(browser, language="en", javascript=False)
    page.set_default_timeout(20000)
    try:
        page.goto(demo_site.url + reverse("feedback:opinion_new"))
        page.check("#id_wants_reply")
        with page.expect_navigation():
            page.click("form.feedback-form button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        assert Opinion.objects.count() == before
        page.select_option("#id_topic", label="Town planning")
        page.fill("#id_text", "Please add benches along the canal.")
        page.fill("#id_contact_email", "a11y@example.com")
        with page.expect_navigation():
            page.click("form.feedback-form button[type=submit]")
        reference = page.inner_text(".feedback-reference")
        sent = Opinion.objects.get(contact_email="a11y@example.com")
        assert sent.reference == reference and sent.wants_reply
    finally:
        context.close()


def test_the_staff_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor
    from cityhall.feedback.models import Opinion

    officer = User.objects.get(email=STAFF["kouchou"].email)
    give_second_factor(officer)
    opinion = Opinion.objects.filter(status="routed").first()
    for language in ("ja", "en"):
        context, page = _signed_in_context(browser, demo_site, officer, language=language)
        try:
            for url in (reverse("feedback:staff_queue"),
                        reverse("feedback:staff_opinion", args=[opinion.pk]),
                        reverse("feedback:staff_stats")):
                response = page.goto(demo_site.url + url)
                assert response.status == 200, url
                violations = _axe_violations(page, demo_site)
                assert not violations, _format_violations(violations)
        finally:
            context.close()
