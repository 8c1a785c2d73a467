"""Accessibility of the portal's pages in a real browser (WCAG 2.2 AA, JIS X 8341-3).

Each test starts Django's live server with the Minato demo data, opens a page in headless
Chromium (Debian's `chromium` package, driven by Playwright; browsers are never downloaded)
and runs axe-core (`node_modules/axe-core`, installed by `npm ci`) with the WCAG 2.0, 2.1 and
2.2 A and AA rules. Any violation fails the test and is listed in the message.

Without /usr/bin/chromium these tests are skipped, unless CITYHALL_REQUIRE_BROWSER is set (as
in CI), in which case they fail.
"""

import json
import os
from pathlib import Path

import pytest
from django.urls import reverse

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run from a
# thread with a running loop unless told that this is safe (it is: the test thread only sets
# up data, the live server answers requests in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CITYHALL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[4]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _unavailable(reason: str):
    if os.environ.get("CITYHALL_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (CITYHALL_REQUIRE_BROWSER is set)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium package")
    if not AXE_JS.exists():
        _unavailable(f"{AXE_JS} is missing: run `npm ci`")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def demo_site(minato_demo, live_server):
    """The live server with the Minato demo data (loaded once, restored for each test: see
    `minato_demo` in the root conftest)."""
    return live_server


# axe-core is served to the page as if it came from the site itself, so that the page's
# Content Security Policy (script-src 'self') stays enforced during the test and any inline
# script or style the page contains is still reported.
AXE_PATH = "/__test__/axe.min.js"


def _new_page(browser, *, language="ja", javascript=True):
    context = browser.new_context(
        locale=language,
        extra_http_headers={"Accept-Language": language},
        java_script_enabled=javascript,
        viewport={"width": 390, "height": 844},
    )
    context.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"),
    )
    return context, context.new_page()


def _format_violations(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def _assert_accessible(browser, site, path, *, language="ja", expect_status=200):
    url = site.url + path
    context, page = _new_page(browser, language=language)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    try:
        response = page.goto(url, wait_until="load")
        assert response is not None
        assert response.status == expect_status, f"{url}: HTTP {response.status}"
        assert page.get_attribute("html", "lang") == language
        page.add_script_tag(url=site.url + AXE_PATH)
        results = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            WCAG_TAGS,
        )
    finally:
        context.close()
    violations = results["violations"]
    assert not violations, (
        f"axe found {len(violations)} WCAG violation(s) on {url} ({language}):\n"
        + _format_violations(violations)
    )
    # Anything the page's own CSP refused (an inline script or style) is logged here.
    csp_errors = [text for text in errors if "Content Security Policy" in text]
    assert not csp_errors, csp_errors


@pytest.mark.parametrize("language", ["ja", "en"])
def test_home_page_is_accessible(browser, demo_site, language):
    _assert_accessible(browser, demo_site, reverse("core:home"), language=language)


def test_login_page_is_accessible(browser, demo_site):
    _assert_accessible(browser, demo_site, reverse("account_login"))


def test_not_found_page_is_accessible(browser, demo_site):
    _assert_accessible(browser, demo_site, "/no-such-page/", expect_status=404)


@pytest.mark.parametrize("query", ["", "?kind=shelter&branch_office=azabu"])
def test_facility_list_is_accessible(browser, demo_site, query):
    _assert_accessible(browser, demo_site, reverse("core:facility_list") + query)


def test_home_page_works_without_javascript(browser, demo_site):
    context, page = _new_page(browser, language="en", javascript=False)
    try:
        response = page.goto(demo_site.url + reverse("core:home"))
        assert response is not None
        assert response.status == 200
        heading = page.locator("main h1")
        assert heading.count() == 1
        assert "Minato City" in heading.inner_text()
        # The skip link leads to the main landmark, and the language switcher is a plain form.
        assert page.get_attribute("a.skip-link", "href") == "#main"
        assert page.locator("main#main").count() == 1
        assert page.locator("form.language-switcher button[type=submit]").count() == 1
    finally:
        context.close()


def test_language_switcher_works_without_javascript(browser, demo_site):
    context, page = _new_page(browser, language="ja", javascript=False)
    try:
        page.goto(demo_site.url + reverse("core:facility_list"))
        assert page.get_attribute("html", "lang") == "ja"
        page.select_option("#language-select", "en")
        with page.expect_navigation():
            page.click("form.language-switcher button[type=submit]")
        assert page.url.endswith(reverse("core:facility_list"))
        assert page.get_attribute("html", "lang") == "en"
    finally:
        context.close()


def _signed_in_context(browser, site, user, *, language="ja", javascript=True):
    """A browser context with the session of `user`, made by Django's test client."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context, page = _new_page(browser, language=language, javascript=javascript)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": site.url,
    }])
    return context, page


def _axe_violations(page, site):
    page.add_script_tag(url=site.url + AXE_PATH)
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}).then(r => r.violations)",
        WCAG_TAGS,
    )


def _check_pages(page, site, steps):
    """Opens (and, for a step with `submit`, posts) each page and collects axe's findings."""
    found = []
    for path, submit, expect_status in steps:
        response = page.goto(site.url + path)
        if submit:
            with page.expect_navigation():
                page.click("main form[method=post] button[type=submit]")
            status = 400 if page.locator(".error-summary").count() else 200
        else:
            status = response.status
        assert status == expect_status, f"{path}: HTTP {status}"
        violations = _axe_violations(page, site)
        if violations:
            found.append(f"{path}{' (submitted)' if submit else ''}:\n"
                         + _format_violations(violations))
    return found


def test_resident_pages_are_accessible(browser, demo_site):
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User

    user = User.objects.get(email=RESIDENTS["hanako"].email)
    context, page = _signed_in_context(browser, demo_site, user)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("core:my_profile"), False, 200),
            (reverse("core:my_profile_edit"), False, 200),
            (reverse("core:my_consents"), False, 200),
            (reverse("account_logout"), False, 200),
            (reverse("core:my_account_delete"), False, 200),
            # Sending the form empty shows the error summary and the fields' errors.
            (reverse("core:my_account_delete"), True, 400),
        ])
        # The error messages are tied to their fields.
        password = page.locator("#id_password")
        assert password.get_attribute("aria-invalid") == "true"
        assert "id_password_error" in password.get_attribute("aria-describedby")
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_staff_pages_are_accessible(browser, demo_site):
    from allauth.mfa.models import Authenticator

    from cityhall.core.demo import RESIDENTS, STAFF
    from cityhall.core.models import ResidentProfile, User

    clerk = User.objects.get(email=STAFF["shiba_clerk"].email)
    Authenticator.objects.create(user=clerk, type=Authenticator.Type.TOTP,
                                 data={"secret": "test-only"})
    resident = ResidentProfile.objects.get(user__email=RESIDENTS["hanako"].email)
    detail = reverse("core:staff_resident_detail", args=[resident.pk])
    context, page = _signed_in_context(browser, demo_site, clerk)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("core:staff_resident_list"), False, 200),
            (detail, False, 200),
            (detail, True, 400),
        ])
        page.fill("#id_purpose", "Counter enquiry about a moving-in notification")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert page.locator("main h1").count() == 1
        violations = _axe_violations(page, demo_site)
        if violations:
            found.append(f"{detail} (record):\n" + _format_violations(violations))
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_two_factor_setup_pages_are_accessible(browser, demo_site):
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User

    clerk = User.objects.get(email=STAFF["azabu_clerk"].email)
    context, page = _signed_in_context(browser, demo_site, clerk)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("mfa_index"), False, 200),
            (reverse("mfa_activate_totp"), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
