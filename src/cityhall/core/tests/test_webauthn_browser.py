"""A staff member adds a security key and signs in with it, in a real browser.

Headless Chromium (Debian's package) with a virtual FIDO2 authenticator from the DevTools
protocol stands in for the key; allauth's WebAuthn pages run under the portal's strict Content
Security Policy, so this also shows that the policy does not break the second factor.
"""

import os

import pytest
from allauth.mfa.models import Authenticator

from cityhall.core import demo
from cityhall.core.models import User
from cityhall.core.tests.test_accessibility import browser  # noqa: F401 - shared fixture

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture
def site(minato_demo, live_server):
    return live_server


def sign_in_with_password(page, site, email):
    page.goto(f"{site.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state("load")


def test_staff_adds_a_security_key_and_signs_in_with_it(browser, site):  # noqa: F811
    clerk = demo.STAFF["shiba_clerk"]
    context = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    try:
        # First sign-in: no second factor yet, so every staff page sends us to set one up.
        sign_in_with_password(page, site, clerk.email)
        page.goto(f"{site.url}/staff/")
        assert page.url.endswith("/accounts/2fa/")

        page.goto(f"{site.url}/accounts/2fa/webauthn/add/")
        # Adding a second factor asks for the password again (allauth's reauthentication).
        assert "/accounts/reauthenticate/" in page.url
        page.fill("input[name=password]", demo.DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/webauthn/add/" in url)
        page.fill("input[name=name]", "Desk key")
        page.click("#mfa_webauthn_add")
        page.wait_for_url(lambda url: "/webauthn/add/" not in url)
        user = User.objects.get(email=clerk.email)
        key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
        assert key.wrap().name == "Desk key"
        assert page.goto(f"{site.url}/staff/").status == 200

        # Sign out, then in again: the password alone is not enough, the key completes it.
        page.goto(f"{site.url}/accounts/logout/")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("load")
        sign_in_with_password(page, site, clerk.email)
        assert "/accounts/2fa/authenticate/" in page.url
        page.click("#mfa_webauthn_authenticate")
        page.wait_for_url(lambda url: "/2fa/authenticate/" not in url)
        response = page.goto(f"{site.url}/staff/")
        assert response.status == 200
        assert page.url.endswith("/staff/")
    finally:
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
