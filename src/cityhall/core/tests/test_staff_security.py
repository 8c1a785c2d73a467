"""Staff sign-in is safe: a second factor is required, failed logins are rate-limited, the
admin's own login form cannot bypass MFA, and idle staff sessions end."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import override_settings

from cityhall.core import demo

pytestmark = pytest.mark.django_db


def current_totp_code(user) -> str:
    from allauth.mfa.totp.internal.auth import TOTP, yield_hotp_counters_from_time

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = TOTP(authenticator).instance.wrap().instance.data["secret"]
    from allauth.mfa.utils import decrypt

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(decrypt(secret), counter))


def test_staff_sign_in_needs_password_then_second_factor(client, staff_persona):
    clerk = staff_persona("shiba_clerk")
    response = client.post("/accounts/login/", {"login": clerk.email,
                                                "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # Not signed in yet: the back office still sends us away.
    assert client.get("/staff/residents/").status_code == 302
    assert "_auth_user_id" not in client.session

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": current_totp_code(clerk)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)
    assert client.get("/staff/residents/").status_code == 200


def test_staff_without_second_factor_is_sent_to_set_one_up(client, staff_persona):
    clerk = staff_persona("shiba_clerk", mfa=False)
    client.force_login(clerk)
    for path in ("/admin/", "/staff/residents/", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/", path
    assert client.get("/accounts/2fa/").status_code == 200


def test_admin_login_form_redirects_to_the_mfa_aware_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/admin/" in response["Location"]


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,3/5m/key"})
def test_failed_logins_are_rate_limited(client, resident_persona, settings):
    settings.LANGUAGE_CODE = "en"
    hanako = resident_persona("hanako")
    for _ in range(3):
        response = client.post("/accounts/login/", {"login": hanako.user.email,
                                                    "password": "wrong-password"})
        assert response.status_code == 200
    blocked = client.post("/accounts/login/", {"login": hanako.user.email,
                                               "password": demo.DEMO_PASSWORD})
    # Even the right password is refused while the limit holds.
    assert blocked.status_code == 200
    assert "Too many failed login attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(STAFF_SESSION_IDLE_SECONDS=60)
def test_idle_staff_session_ends(client, staff_persona):
    clerk = staff_persona("shiba_clerk")
    client.force_login(clerk)
    assert client.get("/staff/residents/").status_code == 200
    session = client.session
    session["staff_last_seen"] = int(time.time()) - 61
    session.save()
    response = client.get("/staff/residents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_resident_session_is_not_subject_to_staff_rules(client, resident_persona):
    hanako = resident_persona("hanako")
    client.force_login(hanako.user)
    assert client.get("/my/").status_code == 200


def test_staff_home_lists_only_what_each_role_may_use(client, staff_persona, resident_persona):
    auditor = staff_persona("auditor")
    client.force_login(auditor)
    page = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/admin/core/auditevent/" in page
    assert "/staff/residents/" not in page

    clerk = staff_persona("shiba_clerk")
    client.force_login(clerk)
    page = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/staff/residents/" in page
    assert "/admin/core/auditevent/" not in page

    hanako = resident_persona("hanako")
    client.force_login(hanako.user)
    assert client.get("/staff/").status_code == 403
    client.logout()
    assert client.get("/staff/").status_code == 302


def test_admin_user_list_never_shows_residents(client, staff_persona, resident_persona):
    admin_user = staff_persona("admin")
    hanako = resident_persona("hanako")
    client.force_login(admin_user)
    page = client.get("/admin/core/user/").content.decode()
    assert admin_user.email in page
    assert hanako.user.email not in page
    assert client.get(f"/admin/core/user/{hanako.user.pk}/change/").status_code == 302
