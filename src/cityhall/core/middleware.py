"""Request-wide concerns: a request id for logs and the audit trail, and the rules that make a
staff session safe (MFA required, idle timeout)."""

import contextvars
import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

_request_meta: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "cityhall_request_meta", default=None)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_meta() -> dict:
    """The request id and client address of the request being served (empty in tasks)."""
    return _request_meta.get() or {}


def client_ip(request) -> str | None:
    """The client's address. Behind TRUSTED_PROXY_COUNT load balancers it is taken from
    X-Forwarded-For, counting from the right, so a client cannot forge it by sending the
    header itself."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in
                     request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Takes X-Request-ID from a trusted proxy if it is well-formed, else makes one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = _request_meta.set({
            "request_id": request.request_id,
            "ip_address": client_ip(request),
        })
        try:
            response = self.get_response(request)
        finally:
            _request_meta.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


# Paths a staff member without a second factor may still use: signing in and out, setting
# up the second factor, and what every page needs.
_MFA_SETUP_ALLOWED = ("/accounts/", "/static/", "/i18n/", "/healthz", "/favicon.ico")


def user_has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


class StaffSecurityMiddleware:
    """Staff must use a second factor and are signed out after a period of inactivity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            last_seen = request.session.get("staff_last_seen", now)
            if now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
            request.session["staff_last_seen"] = now
            if not request.path.startswith(_MFA_SETUP_ALLOWED) and not user_has_second_factor(
                user
            ):
                messages.warning(request, _(
                    "Staff accounts must use two-factor authentication. Please set up an "
                    "authenticator app or a security key to continue."))
                return redirect("mfa_index")
        return self.get_response(request)


class CityhallErrorMiddleware:
    """Renders a service's `CityhallError` raised in a page view as the translated error page
    of its status (the API maps the same errors in `cityhall.api`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from .errors import CityhallError

        if not isinstance(exception, CityhallError):
            return None
        template = {403: "403.html", 404: "404.html"}.get(exception.status, "400.html")
        return render(request, template, {"error": exception}, status=exception.status)
