"""The shelter pages in a real browser: axe-core finds no WCAG 2.2 A/AA violation on the
public list (in ja, en, zh-hans and ko, with filters, with an address search and with an
address outside Minato), a shelter's page, the staff page and the update form (with and
without errors) and the manager's page; the list and the address search work without
JavaScript; the map draws without its tiles (no network here)."""

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

ONARIMON_JHS = "E1310300033111"


def _staff(key):
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    user = User.objects.get(email=STAFF[key].email)
    give_second_factor(user)
    return user


@pytest.mark.parametrize(("query", "language", "status"), [
    ("", "ja", 200), ("", "en", 200), ("", "zh-hans", 200), ("", "ko", 200),
    ("?hazard=tsunami&open=on", "en", 200),
    ("?address=東京都港区元麻布3-8-15", "ja", 200),
    ("?address=渋谷区神宮前1-1", "en", 400),
    ("?hazard=zombies", "ja", 400),
])
def test_the_public_list_is_accessible(browser, demo_site, query, language,  # noqa: F811
                                       status):
    _assert_accessible(browser, demo_site, reverse("disaster:shelter_list") + query,
                       language=language, expect_status=status)


@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_a_shelter_page_is_accessible(browser, demo_site, language):  # noqa: F811
    _assert_accessible(browser, demo_site,
                       reverse("disaster:shelter_detail", args=[ONARIMON_JHS]),
                       language=language)


def test_the_map_draws_without_tiles(browser, demo_site):  # noqa: F811
    context, page = _new_page(browser, language="en")
    try:
        context.route("https://cyberjapandata.gsi.go.jp/**", lambda route: route.abort())
        page.goto(demo_site.url + reverse("disaster:shelter_list"))
        page.wait_for_selector("#shelter-map .leaflet-interactive")
        assert page.locator("#shelter-map .leaflet-interactive").count() == 144
        assert "出典：国土地理院" in page.inner_text("#shelter-map .leaflet-control-attribution")
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
    finally:
        context.close()


def test_the_address_search_works_without_javascript(browser, demo_site):  # noqa: F811
    context, page = _new_page(browser, language="en", javascript=False)
    try:
        page.goto(demo_site.url + reverse("disaster:shelter_list"))
        assert page.locator("#shelter-locate").is_hidden()
        page.fill("#id_address", "西新橋3丁目")
        with page.expect_navigation():
            page.click("#shelter-search button[type=submit]")
        nearest = page.locator("ol.shelter-nearest li")
        assert nearest.count() == 2  # the two shelters the demo opened
        assert "御成門" in nearest.first.inner_text()
    finally:
        context.close()


def test_the_staff_pages_are_accessible(browser, demo_site):  # noqa: F811
    clerk = _staff("shiba_clerk")
    update = reverse("disaster:shelter_staff_update", args=[ONARIMON_JHS])
    for language in ("ja", "en"):
        context, page = _signed_in_context(browser, demo_site, clerk, language=language)
        try:
            for url in (reverse("disaster:shelter_staff_home"), update):
                response = page.goto(demo_site.url + url)
                assert response.status == 200
                violations = _axe_violations(page, demo_site)
                assert not violations, _format_violations(violations)
            # An error: a head count that is not a number, sent without JavaScript checks.
            page.fill("#id_head_count", "")
            page.evaluate("document.querySelector('#id_head_count').type = 'text'")
            page.fill("#id_head_count", "abc")
            with page.expect_navigation():
                page.click("form.shelter-update-form button[type=submit]")
            assert page.locator(".error-summary").count() == 1
            violations = _axe_violations(page, demo_site)
            assert not violations, _format_violations(violations)
        finally:
            context.close()


def test_the_manager_page_is_accessible(browser, demo_site):  # noqa: F811
    manager = _staff("shiba_manager")
    context, page = _signed_in_context(browser, demo_site, manager, language="ja")
    try:
        response = page.goto(demo_site.url + reverse("disaster:shelter_manage"))
        assert response.status == 200
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
    finally:
        context.close()
