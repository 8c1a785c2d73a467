"""The HTTP API of cityhall at /api/v1/ (OpenAPI 3 at /api/v1/openapi.json).

Each app contributes a django-ninja router; this module mounts the routers of the installed
apps and maps the one error shape (`core.errors.CityhallError`) to responses, once.
"""

from django.apps import apps
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cityhall.core.errors import CityhallError

api = NinjaAPI(
    title="cityhall API",
    version="1",
    description="Open API of the cityhall digital city hall.",
    urls_namespace="api-v1",
)


@api.exception_handler(CityhallError)
def cityhall_error(request, exc: CityhallError):
    return api.create_response(request, {"error": exc.as_dict()}, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", [])]
        fields.append({"field": ".".join(location[1:]) or ".".join(location),
                       "message": str(error.get("msg", ""))})
    return api.create_response(request, {"error": {
        "code": "invalid", "message": _("Some of the information given is not valid."),
        "fields": fields}}, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(request, {"error": {
        "code": "unauthorized", "message": _("Please sign in.")}}, status=401)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return api.create_response(request, {"error": {
        "code": "http_error", "message": str(exc)}}, status=exc.status_code)


# Apps whose api.py defines `router` are mounted under their label.
for config in apps.get_app_configs():
    if not config.name.startswith("cityhall."):
        continue
    try:
        router = import_string(f"{config.name}.api.router")
    except ImportError:
        continue
    api.add_router(f"/{config.label}/", router)

# The public shelter status API at exactly /api/v1/shelters (取組12): the address that open
# data users and other cities' systems are given, kept short and stable.
# Imported by name, like the routers above, so that core (whose test URLs load this module)
# never imports a domain app.
if apps.is_installed("cityhall.disaster"):
    api.add_router("/shelters", import_string("cityhall.disaster.api.shelters.public_router"))
