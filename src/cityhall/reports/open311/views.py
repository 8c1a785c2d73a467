"""The Open311 GeoReport v2 endpoints (取組13), mounted at /open311/v2/.

Each view parses its arguments, calls one service or query and renders the answer in the
format of the URL's suffix. `endpoint` wraps them all so that whatever happens the client
gets the specification's error document (`[{"code": ..., "description": ...}]`) and never
an HTML page: 400 for anything malformed, 403 for a missing or bad api_key, 404 for an
unknown service, request, token or jurisdiction, 405 for a method the endpoint does not
take, 429 when one address sends too much (see docs/reports.md), 500 for a real fault.
"""

import functools
import logging
import time

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import UnreadablePostError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cityhall.core import ratelimit
from cityhall.core.errors import CityhallError, NotFoundError, PermissionDeniedError
from cityhall.core.middleware import client_ip

from ..models import Report, ServiceCategory
from ..services.open311 import open311_client_authenticate
from ..services.reports import report_create
from . import documents
from .formats import render, render_errors
from .parsing import (
    Open311Error,
    check_jurisdiction,
    parse_new_request,
    parse_request_filters,
)

logger = logging.getLogger(__name__)

# How long a proxy may keep a successful read (a new report shows within this time).
CACHE_SECONDS = 60


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _rate_limited(*, kind: str, address: str, limit: int, window: int) -> int:
    """Count one request of this address in the current window. Returns the seconds to wait
    when the address is over its limit, else 0."""
    if limit <= 0:
        return 0
    now = time.time()
    if ratelimit.hit(f"open311.{kind}", address, seconds=window, now=now) <= limit:
        return 0
    return max(1, int(ratelimit.window(f"open311.{kind}", address, seconds=window,
                                       now=now).ends_at - now))


def _check_rate(request) -> None:
    address = client_ip(request) or "unknown"
    if request.method == "POST":
        wait = _rate_limited(kind="post", address=address, window=3600,
                             limit=_limit("OPEN311_POST_RATE_PER_HOUR", 60))
    else:
        wait = _rate_limited(kind="get", address=address, window=60,
                             limit=_limit("OPEN311_GET_RATE_PER_MINUTE", 300))
    if wait:
        raise Open311Error(429, _("Too many requests from this address; try again in "
                                  "%(seconds)d seconds.") % {"seconds": wait}, retry_after=wait)


def endpoint(*methods: str):
    """An Open311 endpoint answering `methods`, CSRF-exempt (clients are servers, not
    browsers holding a session), rate-limited, and never answering with an HTML page."""

    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str = "xml", **kwargs):
            try:
                if request.method not in allowed:
                    raise Open311Error(405, _("This endpoint does not take %(method)s.")
                                       % {"method": request.method[:10]})
                _check_rate(request)
                form = request.POST if request.method == "POST" else request.GET
                check_jurisdiction(form.get("jurisdiction_id")
                                   or request.GET.get("jurisdiction_id"))
                response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                response = render_errors([(error.code, error.description)], fmt=fmt,
                                         status=error.status)
                if error.retry_after:
                    response["Retry-After"] = str(error.retry_after)
                if error.status == 405:
                    response["Allow"] = ", ".join(sorted(allowed))
            except PermissionDeniedError as error:
                response = render_errors([(403, error.message)], fmt=fmt, status=403)
            except NotFoundError as error:
                response = render_errors([(404, error.message)], fmt=fmt, status=404)
            except CityhallError as error:
                response = render_errors([(400, error.message)], fmt=fmt, status=400)
            except (RequestDataTooBig, SuspiciousOperation, BadRequest, UnreadablePostError,
                    UnicodeDecodeError):
                response = render_errors([(400, _("The request could not be read."))],
                                         fmt=fmt, status=400)
            except Exception:
                logger.exception("Open311 %s %s failed", request.method, request.path)
                response = render_errors(
                    [(500, _("The server could not answer this request. Please try again "
                             "later."))], fmt=fmt, status=500)
            if request.method in ("GET", "HEAD"):
                # Public data, no credentials: map applications on other sites may read it,
                # and a caching proxy or CDN may keep an answer for a minute.
                response["Access-Control-Allow-Origin"] = "*"
                if response.status_code == 200:
                    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
            if "Cache-Control" not in response:
                response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorator


@endpoint("GET")
def discovery(request, *, fmt):
    return render(documents.discovery(), root="discovery", fmt=fmt)


@endpoint("GET")
def services(request, *, fmt):
    return render(documents.services(), root="services", fmt=fmt)


def _category(code: str) -> ServiceCategory:
    category = (ServiceCategory.objects.filter(code=code, is_active=True)
                .prefetch_related("attributes").first())
    if category is None:
        raise Open311Error(404, _("Unknown service_code: %(code)s.") % {"code": code[:60]})
    return category


@endpoint("GET")
def service_definition(request, code, *, fmt):
    return render(documents.service_definition(_category(code)), root="service_definition",
                  fmt=fmt)


@endpoint("GET", "POST")
def service_requests(request, *, fmt):
    if request.method == "POST":
        return _post_service_request(request, fmt=fmt)
    filters = parse_request_filters(request.GET)
    if filters.service_codes:
        known = set(ServiceCategory.objects.filter(code__in=filters.service_codes)
                    .values_list("code", flat=True))
        unknown = [code for code in filters.service_codes if code not in known]
        if unknown:
            raise Open311Error(404, _("Unknown service_code: %(code)s.")
                               % {"code": unknown[0][:60]})
    return render(documents.find_requests(filters), root="service_requests", fmt=fmt)


def _post_service_request(request, *, fmt):
    client = open311_client_authenticate(request.POST.get("api_key"))
    if client is None:
        raise Open311Error(403, _("A valid api_key is required to post a service request."))
    new = parse_new_request(request.POST)
    category = _category(new.service_code)
    photos = [*request.FILES.getlist("media"), *request.FILES.getlist("media[]")]
    report = report_create(
        category=category,
        # The specification makes the description optional; ours is not, so the kind of
        # problem stands in for it.
        description=new.description if new.description.strip() else category.name,
        latitude=new.latitude or None, longitude=new.longitude or None, address=new.address,
        attributes=new.attributes, photos=photos, contact_name=new.name,
        contact_email=new.email, contact_phone=new.phone, language=documents.language(),
        source=Report.Source.OPEN311, open311_client=client, media_url=new.media_url,
        actor=None)
    answer: dict = {}
    if category.open311_type == ServiceCategory.Open311Type.BATCH:
        answer["token"] = report.open311_token
    elif category.open311_type == ServiceCategory.Open311Type.REALTIME:
        answer["service_request_id"] = report.reference
    answer["service_notice"] = documents.service_notice(
        hours=category.acknowledge_within_hours, days=category.fix_within_days)
    # We open no accounts for Open311 reporters.
    answer["account_id"] = ""
    return render([answer], root="service_requests", fmt=fmt)


@endpoint("GET")
def service_request(request, service_request_id, *, fmt):
    found = documents.service_requests(
        documents.requests_queryset().filter(reference=service_request_id)[:1])
    if not found:
        raise Open311Error(404, _("Unknown service_request_id: %(id)s.")
                           % {"id": service_request_id[:40]})
    return render(found, root="service_requests", fmt=fmt)


@endpoint("GET")
def token(request, token, *, fmt):
    reference = (Report.objects.filter(open311_token=token)
                 .values_list("reference", flat=True).first())
    if reference is None:
        raise Open311Error(404, _("Unknown token."))
    return render([{"service_request_id": reference, "token": token}],
                  root="service_requests", fmt=fmt)


@csrf_exempt
def not_found(request, rest=""):
    """Anything else under /open311/v2/ (an unknown endpoint or format): the specification's
    404, in JSON when the path asks for JSON, else in XML, the required format."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return render_errors([(404, _("Unknown endpoint or format. This server speaks GeoReport v2 "
                                  "in .xml and .json."))], fmt=fmt, status=404)
