"""The back-office pages of street-problem reports (取組13) in a real browser: axe-core finds
no WCAG 2.2 A/AA violation on the queue (plain and filtered), a report page (with and
without an error from a form posted without JavaScript), filing for a caller, the monthly
summary, the categories and the Open311 keys, in Japanese and English, on a phone-sized
screen; the queue's filters work without JavaScript."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _format_violations,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _staff(key):
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    user = User.objects.get(email=STAFF[key].email)
    give_second_factor(user)
    return user


def _assert_page_accessible(page, site, url, status=200):
    response = page.goto(site.url + url)
    assert response.status == status, f"{url}: HTTP {response.status}"
    violations = _axe_violations(page, site)
    assert not violations, f"{url}\n" + _format_violations(violations)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_officers_pages_are_accessible(browser, demo_site, language):  # noqa: F811
    from ..models import Report

    officer = _staff("roads_shiba")
    report = Report.objects.filter(branch_office__code="shiba", status="acknowledged",
                                   department__code="shiba-machizukuri").first()
    context, page = _signed_in_context(browser, demo_site, officer, language=language)
    try:
        for url in (reverse("reports:staff_queue"),
                    reverse("reports:staff_queue") + "?status=all&overdue=on",
                    reverse("reports:staff_report", args=[report.reference]),
                    reverse("reports:staff_report_new"),
                    reverse("reports:staff_report_new") + "?category=streetlight",
                    reverse("reports:staff_summary"),
                    reverse("reports:staff_categories")):
            _assert_page_accessible(page, demo_site, url)
        _assert_page_accessible(page, demo_site, reverse("reports:staff_queue")
                                + "?status=zombie", status=400)
        # A merge into a report that does not exist: the error is on the page.
        page.goto(demo_site.url + reverse("reports:staff_report", args=[report.reference]))
        page.fill("#id_merge-into", "2000-000000")
        with page.expect_navigation():
            page.click("#merge-heading ~ form button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
    finally:
        context.close()


def test_the_managers_pages_are_accessible(browser, demo_site):  # noqa: F811
    manager = _staff("roads_manager")
    context, page = _signed_in_context(browser, demo_site, manager, language="ja")
    try:
        _assert_page_accessible(page, demo_site, reverse("reports:staff_open311_clients"))
        page.fill("#id_issue-name", "道路通報アプリ")
        with page.expect_navigation():
            page.click("#issue-heading ~ form button[type=submit]")
        assert page.locator("code.api-key").count() == 1
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
        _assert_page_accessible(page, demo_site, reverse("reports:staff_summary"))
    finally:
        context.close()


def test_the_queue_filters_work_without_javascript(browser, demo_site):  # noqa: F811
    officer = _staff("roads_shiba")
    context, page = _signed_in_context(browser, demo_site, officer, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("reports:staff_queue"))
        everything = page.locator("ol.report-queue > li").count()
        assert everything > 0
        page.click(".queue-filters summary")
        page.select_option("#id_status", "fixed")
        with page.expect_navigation():
            page.click(".queue-filters button[type=submit]")
        fixed = page.locator("ol.report-queue > li")
        assert fixed.count() > 0
        assert all("Fixed" in fixed.nth(i).inner_text() for i in range(fixed.count()))
    finally:
        context.close()
