"""The residents' report pages in a real browser (取組13): axe-core finds no WCAG 2.2 A/AA
violation on the form (both steps, with errors, the duplicate check), the list and a
report's page; the form files a report without JavaScript, through the duplicate check."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
    _axe_violations,
    _format_violations,
    _new_page,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture
def a_report(demo_site):  # noqa: F811
    from ..models import Report
    from .factories import MINATO_LIBRARY, make_report

    report = make_report(place=MINATO_LIBRARY, contact_email="secret@example.jp")
    Report.objects.filter(pk=report.pk).update(is_public=True,
                                               public_description="車道に穴があります")
    return report


@pytest.mark.parametrize(("path", "language", "status"), [
    ("", "ja", 200), ("", "en", 200), ("?category=zombies", "en", 400),
    ("?category=road-surface", "ja", 200), ("?category=road-surface", "en", 200),
    ("?category=streetlight", "ko", 200),
])
def test_the_report_form_is_accessible(browser, demo_site, path, language,  # noqa: F811
                                       status):
    _assert_accessible(browser, demo_site, reverse("reports:report_create") + path,
                       language=language, expect_status=status)


@pytest.mark.parametrize(("query", "language", "status"), [
    ("", "ja", 200), ("", "en", 200), ("", "zh-hans", 200),
    ("?state=open&area=shiba", "en", 200), ("?state=maybe", "ja", 400),
])
def test_the_list_is_accessible(browser, demo_site, a_report, query, language,  # noqa: F811
                                status):
    _assert_accessible(browser, demo_site, reverse("reports:report_list") + query,
                       language=language, expect_status=status)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_report_page_is_accessible(browser, demo_site, a_report, language):  # noqa: F811
    _assert_accessible(browser, demo_site,
                       reverse("reports:report_detail", args=[a_report.reference]),
                       language=language)


@pytest.mark.parametrize("javascript", [False, True])
def test_the_form_works_with_and_without_javascript_through_the_duplicate_check(
        browser, demo_site, a_report, javascript):  # noqa: F811
    """Without JavaScript the whole flow is plain forms; with it, axe checks each step (axe
    itself needs JavaScript)."""
    from ..models import Report

    def accessible():
        if javascript:
            violations = _axe_violations(page, demo_site)
            assert not violations, _format_violations(violations)

    context, page = _new_page(browser, language="en", javascript=javascript)
    page.set_default_timeout(30000)
    try:
        context.route("https://cyberjapandata.gsi.go.jp/**", lambda route: route.abort())
        page.goto(demo_site.url + reverse("reports:report_create"))
        page.check("#category-road-surface")
        with page.expect_navigation():
            page.click("form.report-form button[type=submit]")
        assert page.locator("#report-locate").is_hidden() is not javascript
        # Errors first: nothing filled in.
        with page.expect_navigation():
            page.click("#report-form button[name=action]")
        assert page.locator(".error-summary").count() == 1
        accessible()
        page.check("#id_attr_danger_1")
        page.fill("#id_address", "芝公園3丁目")
        page.fill("#id_description", "歩道の段差が大きく危ないです")
        with page.expect_navigation():
            page.click("#report-form button[name=action]")
        # 芝公園3丁目 already has an open report of this kind: the duplicate check.
        assert "Has it already been reported?" in page.inner_text("h1")
        assert a_report.reference in page.inner_text("main")
        accessible()
        with page.expect_navigation():
            page.click("button[name=action][value=new]")
        assert "Thank you" in page.inner_text("h1")
        reference = page.inner_text(".report-reference__number").strip()
        assert Report.objects.filter(reference=reference).exists()
        accessible()
    finally:
        context.close()


def test_the_pin_map_fills_the_hidden_fields(browser, demo_site):  # noqa: F811
    context, page = _new_page(browser, language="en")
    try:
        context.route("https://cyberjapandata.gsi.go.jp/**", lambda route: route.abort())
        page.goto(demo_site.url + reverse("reports:report_create") + "?category=graffiti")
        page.wait_for_selector("#report-pin-map.leaflet-container")
        page.click("#report-pin-map", position={"x": 150, "y": 120})
        assert page.input_value("#id_latitude")
        assert page.input_value("#id_longitude")
        assert page.locator("#report-pin-map .leaflet-interactive").count() == 1
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
    finally:
        context.close()
