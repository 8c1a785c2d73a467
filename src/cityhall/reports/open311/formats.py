"""Open311 GeoReport v2 documents as XML and JSON (取組13).

A document is built once as plain Python (lists, dicts, strings, numbers, booleans, None) and
written in the format the URL's suffix asks for:

- JSON follows the "Spark convention" of the specification: a list becomes a top-level JSON
  array, so `services.json` is `[{...}, ...]`, not `{"services": ...}`;
- XML is the required format: UTF-8 with its declaration, no namespace, each list wrapped in
  an element named after the list and one element per item named from `ITEM_NAMES`
  (`<services><service>`, `<service_requests><request>`, `<errors><error>`...). It is built
  with `xml.etree.ElementTree`, which escapes text; characters XML 1.0 cannot carry at all
  (control characters a client may have put in a description) are dropped first.
"""

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# The element of one item of each list.
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def to_xml(document, root: str) -> bytes:
    """`document` (a list or a dict) as an XML document whose root element is `root`."""
    element = ET.Element(root)
    _fill(element, document)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def to_json(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(document, *, root: str, fmt: str, status: int = 200) -> HttpResponse:
    body = to_xml(document, root) if fmt == "xml" else to_json(document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(errors: list[tuple[int, str]], *, fmt: str, status: int) -> HttpResponse:
    """The specification's error document: `[{"code": 403, "description": "..."}]` or
    `<errors><error><code>403</code><description>...</description></error></errors>`."""
    document = [{"code": code, "description": str(description)} for code, description in errors]
    return render(document, root="errors", fmt=fmt if fmt in FORMATS else "xml", status=status)
