"""Fixtures and helpers of the Open311 tests (imported by each `test_open311_*` module)."""

import datetime
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ..models import ServiceAttribute
from ..services.open311 import open311_client_issue
from .factories import category

BASE = "/open311/v2/"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# A resident's contact details, which no Open311 answer may ever contain.
SECRET_NAME_FIRST, SECRET_NAME_LAST = "花子", "秘密川"
SECRET_EMAIL = "hanako.himitsukawa@example.jp"
SECRET_PHONE = "090-4321-8765"
SECRET_DESCRIPTION = "家の前です。連絡は秘密川まで 090-4321-8765"


def _format_checker() -> FormatChecker:
    """jsonschema checks `date-time` and `uri` only with optional packages; these do the same
    for what the server writes (RFC 3339 date-times with their zone, absolute URLs)."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value):
        if not isinstance(value, str):
            return True
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return "T" in value and moment.tzinfo is not None

    @checker.checks("uri")
    def uri(value):
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)

    return checker


def schema_validator(name: str) -> Draft202012Validator:
    """A validator of one of the Open311 JSON Schemas (tests/schemas, see SOURCE.md)."""
    registry = Registry()
    for path in SCHEMAS.glob("*.json"):
        registry = registry.with_resource(
            path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")),
                                              default_specification=DRAFT202012))
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry, format_checker=_format_checker())


def assert_valid(document, schema: str) -> None:
    errors = sorted(schema_validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def post(client, path: str, data: dict, **headers):
    """POST form-encoded, as Open311 clients do (lists give repeated fields)."""
    return client.post(BASE + path, urlencode(data, doseq=True),
                       content_type="application/x-www-form-urlencoded; charset=utf-8",
                       **headers)


def get(client, path: str, data: dict | None = None, **headers):
    return client.get(BASE + path, data or {}, **headers)


def xml_root(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"xmlns" not in response.content
    return ET.fromstring(response.content)  # noqa: S314 - our own server's answer


def assert_error(response, status: int, fmt: str = "json") -> str:
    """The specification's error document with this status; returns its description."""
    assert response.status_code == status, response.content
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()
        assert isinstance(body, list) and len(body) == 1
        assert body[0]["code"] == status and body[0]["description"]
        return body[0]["description"]
    root = xml_root(response)
    assert root.tag == "errors"
    error = root.find("error")
    assert error.findtext("code") == str(status)
    assert error.findtext("description")
    return error.findtext("description")


def report_form(api_key: str, **overrides) -> dict:
    """A pothole by the Tokyo Tower, as case 5 of standards.md §2c posts it."""
    form = {"api_key": api_key, "service_code": "road-surface", "lat": "35.6581",
            "long": "139.7516", "description": "歩道の段差で転びそうになりました",
            "attribute[danger]": "no"}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


@pytest.fixture
def open311_client(minato):
    client, raw_key = open311_client_issue(name="FixMyStreet (test)",
                                           contact_email="ops@fms.example.org", actor=None)
    client.raw_key = raw_key
    return client


@pytest.fixture
def api_key(open311_client) -> str:
    return open311_client.raw_key


@pytest.fixture
def surfaces(minato) -> ServiceAttribute:
    """A multivaluelist question (the shipped categories have none): where the graffiti is."""
    return ServiceAttribute.objects.create(
        category=category("graffiti"), code="surface", datatype="multivaluelist",
        required=False, description="落書きの場所", description_en="Where is it?", order=1,
        values=[{"key": "wall", "name": "壁", "name_en": "Wall"},
                {"key": "sign", "name": "標識", "name_en": "Sign"},
                {"key": "fence", "name": "フェンス", "name_en": "Fence"}])
