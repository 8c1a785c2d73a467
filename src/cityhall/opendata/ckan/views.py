"""The one view of the CKAN Action API (取組27): /api/action/<name> and /api/3/action/<name>.

It reads the parameters as CKAN does (query string on GET for read actions only; a JSON body,
or a form, on POST; files of a multipart POST as values), finds the acting user (a staff
member's API token; for reads on GET also a signed-in staff session), calls the action and
answers in CKAN's envelope `{"help", "success", "result"}` or with CKAN's error object and
HTTP status. CSRF-exempt (clients are programs holding a token, never a browser session for
writes) and never a redirect or an HTML page: ckanapi follows no redirects.
"""

import json
import logging
import re
from urllib.parse import quote

from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cityhall.core.errors import (
    CityhallError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)

from .. import services
from ..selectors import SearchQueryError
from . import writes  # noqa: F401  (registers the write actions)
from .actions import ACTIONS, Call
from .errors import BadRequest, FieldErrors

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json;charset=utf-8"
JAVASCRIPT_TYPE = "application/javascript;charset=utf-8"
# A JSONP callback must be a plain (dotted) JavaScript name; anything else is not wrapped.
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,4}$")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# CKAN's own words for its errors stay in English whatever the language: they are protocol,
# and clients read them (ckanapi splits the message at the first ": "). The reasons that
# follow them are translated.
BAD_REQUEST = "Bad request"
NOT_FOUND = "Not found"
ACCESS_DENIED = "Access denied"
SEARCH_QUERY_INVALID = "Search Query is invalid"
POST_ONLY = "JSON Error: Invalid request. Please use POST method for your request"


def _mixed(multi) -> dict:
    """CKAN's reading of a query string or form: a key given once is a string, a key given
    more than once a list."""
    return {key: values[0] if len(values) == 1 else values for key, values in multi.lists()}


def request_data(request, *, side_effect_free: bool) -> dict:
    if request.method == "GET":
        if not side_effect_free:
            raise BadRequest(POST_ONLY)
        return _mixed(request.GET)
    if request.content_type in FORM_TYPES:
        data = _mixed(request.POST)
        values = list(data.values())
        # Old clients (jQuery) post the JSON document as a form key with an empty value.
        if len(values) == 1 and values[0] in ("", "1") and next(iter(data)).startswith("{"):
            data = _json(next(iter(data)))
        for key, upload in request.FILES.items():
            data[key] = upload
        return data
    body = request.body
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("JSON Error: " + _("Error decoding JSON data: the body is not "
                                            "UTF-8.")) from None
    return _json(text)


def _json(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise BadRequest("JSON Error: " + _("Error decoding JSON data. Error: %(error)s")
                         % {"error": str(error)[:100]}) from None
    if not isinstance(data, dict):
        raise BadRequest("JSON Error: " + _("Request data JSON decoded to %(type)s but it "
                                            "needs to be a dictionary.")
                         % {"type": type(data).__name__})
    return data


def _check_text(value, key: str = "") -> None:
    """Text no database keeps: NUL characters and lone surrogates (from JSON escapes)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise FieldErrors({key or "message": [_("Text cannot contain NUL characters.")]})
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise FieldErrors({key or "message": [_("Text is not valid Unicode.")]}) from None
    elif isinstance(value, dict):
        for inner_key, inner in value.items():
            _check_text(inner_key, key)
            _check_text(inner, key or str(inner_key))
    elif isinstance(value, list):
        for inner in value:
            _check_text(inner, key)


def _token(request) -> str:
    token = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key") or ""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    return token[:200]


def acting_user(request, *, write: bool, jsonp: bool):
    """The staff member a call acts for, or None (anonymous). A write acts only for a token;
    a JSONP call (a script any site can include) always acts anonymously, as in CKAN."""
    if jsonp:
        return None
    token = _token(request)
    if token:
        return services.api_token_user(token)
    user = getattr(request, "user", None)
    if not write and request.method == "GET" and user is not None and user.is_authenticated:
        return user
    return None


def _help_url(request, name: str) -> str:
    path = reverse("ckan:action_3", kwargs={"name": "help_show"})
    return request.build_absolute_uri(path) + "?name=" + quote(name[:100], safe="")


def _respond(body, status: int, *, callback: str = "") -> HttpResponse:
    text = json.dumps(body, ensure_ascii=False)
    if callback and status == 200:
        return HttpResponse(f"{callback}({text});", status=status,
                            content_type=JAVASCRIPT_TYPE)
    return HttpResponse(text, status=status, content_type=JSON_TYPE)


def _error(help_url: str, status: int, error: dict, callback: str = "") -> HttpResponse:
    return _respond({"help": help_url, "success": False, "error": error}, status,
                    callback=callback)


def _message(prefix: str, error: CityhallError) -> str:
    text = str(error.message)
    return f"{prefix}: {text}" if text else prefix


@csrf_exempt
def action(request, name: str):
    response = _action(request, name)
    if request.method in ("GET", "HEAD"):
        # Public data for applications on other sites (a recurring request of API users).
        # Browsers send no credentials with a wildcard origin.
        response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store" if request.method != "GET" else "no-cache"
    return response


def _action(request, name: str) -> HttpResponse:
    name = name[:100]
    if request.method not in ("GET", "POST"):
        response = _respond(f"{BAD_REQUEST} - Method not allowed: {request.method[:10]}", 405)
        response["Allow"] = "GET, POST"
        return response
    found = ACTIONS.get(name)
    if found is None:
        return _respond(f"{BAD_REQUEST} - Action name not known: {name}", 400)
    help_url = _help_url(request, name)
    callback = request.GET.get("callback", "") if request.method == "GET" else ""
    callback = callback if CALLBACK.match(callback or "") else ""
    try:
        data = request_data(request, side_effect_free=found.side_effect_free)
        jsonp = "callback" in data
        data.pop("callback", None)
        if jsonp:
            data.pop("_", None)  # jQuery's cache buster beside a JSONP callback
        _check_text(data)
        user = acting_user(request, write=not found.side_effect_free, jsonp=jsonp)
        if not found.side_effect_free and user is None:
            raise PermissionDeniedError(_("an API token of a staff member who may publish "
                                          "is required (Authorization header)."))
        result = found.function(Call(request=request, user=user, name=name), data)
    except BadRequest as error:
        return _respond(f"{BAD_REQUEST} - {error.message}", 400)
    except (RequestDataTooBig, SuspiciousOperation, DjangoBadRequest, UnreadablePostError,
            MultiPartParserError):
        return _respond(f"{BAD_REQUEST} - JSON Error: " + _("the request could not be read."),
                        400)
    except FieldErrors as error:
        return _error(help_url, 409, {**error.errors, "__type": "Validation Error"},
                      callback)
    except ValidationFailed as error:
        return _error(help_url, 409, {error.field or "message": [str(error.message)],
                                      "__type": "Validation Error"}, callback)
    except NotFoundError as error:
        return _error(help_url, 404, {"__type": "Not Found Error",
                                      "message": _message(NOT_FOUND, error)}, callback)
    except PermissionDeniedError as error:
        return _error(help_url, 403, {"__type": "Authorization Error",
                                      "message": _message(ACCESS_DENIED, error)},
                      callback)
    except SearchQueryError as error:
        message = str(error.message)
        if not message.startswith(SEARCH_QUERY_INVALID):
            message = f"{SEARCH_QUERY_INVALID}: {message}"
        return _error(help_url, 400, {"__type": "Search Query Error", "message": message},
                      callback)
    except CityhallError as error:
        return _error(help_url, 409, {error.field or "message": [str(error.message)],
                                      "__type": "Validation Error"}, callback)
    except Exception:
        logger.exception("CKAN action %s failed", name)
        return _error(help_url, 500, {"__type": "Internal Server Error",
                                      "message": _("Internal Server Error")})
    return _respond({"help": help_url, "success": True, "result": result}, 200,
                    callback=callback if jsonp else "")
