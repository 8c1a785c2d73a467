"""An alert as an OASIS CAP 1.2 document (取組12, for aggregators, broadcasters and apps that
read CAP), validated against the official OASIS XSD shipped in `data/`.

One <info> per language. The language tags are RFC 3066 tags (CAP's xs:language): ja-JP,
en-US (CAP's own default language), zh-Hans (the texts are in Simplified Chinese script and
are meant for every reader of it, not for mainland China only, which zh-CN would say; zh-Hans
was registered with IANA under RFC 3066 in 2003) and ko-KR.

The XSD fixes the element order and demands times with an explicit offset and no fraction
(…T14:30:00+09:00); elements are therefore written in the schema's order by hand, and times
go through `cap_time`.
"""

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

from django.utils import timezone

from .alerts_texts import LANGUAGES, area_name

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
XSD_PATH = Path(__file__).parent / "data" / "CAP-v1.2-schema.xsd"
CAP_LANGUAGE = {"ja": "ja-JP", "en": "en-US", "zh-hans": "zh-Hans", "ko": "ko-KR"}
# The characters CAP forbids in an identifier or a sender (CAP 1.2 §3.2.1).
FORBIDDEN_ID_CHARACTERS = (" ", ",", "<", "&")


def cap_time(value) -> str:
    """A CAP dateTime: Tokyo time with its +09:00 offset, whole seconds."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@cache
def schema():
    import xmlschema

    return xmlschema.XMLSchema(str(XSD_PATH))


def _sub(parent, name: str, text: str | None = None):
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if text is not None:
        element.text = text
    return element


def build(alert, *, sent=None, base_url: str = "") -> bytes:
    """The CAP XML of `alert`. `sent` stands in for the alert's own sent time when checking a
    draft before publishing; `base_url` (scheme and host) makes the <web> link absolute."""
    from django.urls import reverse

    sent = sent or alert.sent
    root = ET.Element(f"{{{NAMESPACE}}}alert")
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", alert.sender)
    _sub(root, "sent", cap_time(sent))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "scope", alert.scope)
    if alert.is_free_text:
        _sub(root, "note", "Free text in Japanese only; other languages are not translated.")
    references = alert.references
    if references:
        _sub(root, "references", references)

    offices = list(alert.branch_offices.order_by("sort_order", "code"))
    web = base_url + reverse("disaster:alert_detail", args=[alert.identifier])
    for language in LANGUAGES:
        info = _sub(root, "info")
        _sub(info, "language", CAP_LANGUAGE[language])
        for category in alert.categories:
            _sub(info, "category", category)
        _sub(info, "event", alert.text(language, "event") or alert.text("ja", "event"))
        for response_type in alert.response_types:
            _sub(info, "responseType", response_type)
        _sub(info, "urgency", alert.urgency)
        _sub(info, "severity", alert.severity)
        _sub(info, "certainty", alert.certainty)
        if alert.template_key:
            code = _sub(info, "eventCode")
            _sub(code, "valueName", "cityhall-template")
            _sub(code, "value", alert.template_key)
        _sub(info, "effective", cap_time(alert.effective or sent))
        _sub(info, "onset", cap_time(alert.onset or alert.effective or sent))
        if alert.expires:
            _sub(info, "expires", cap_time(alert.expires))
        _sub(info, "senderName", _sender_name(language))
        for name in ("headline", "description", "instruction"):
            text = alert.text(language, name)
            if text:
                _sub(info, name, text)
        _sub(info, "web", web)
        area = _sub(info, "area")
        _sub(area, "areaDesc", _area_desc(offices, language))
        if alert.polygon:
            _sub(area, "polygon", alert.polygon)
        if alert.circle:
            _sub(area, "circle", alert.circle)
    # The default namespace is named here, not through ET.register_namespace: that registry is
    # process-wide, and a library imported later (WeasyPrint registers '' for its PDF
    # metadata) would silently turn every element into ns0:alert.
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=NAMESPACE)


def _sender_name(language: str) -> str:
    from cityhall.core.selectors import current_municipality

    municipality = current_municipality()
    if municipality is None:
        return "cityhall"
    return municipality.name if language in ("ja", "zh-hans") else municipality.name_en


def _area_desc(offices, language: str) -> str:
    from .alerts_texts import catalogue

    separator = catalogue()["formats"]["list_separator"][language]
    names = [area_name(office.code, language, fallback=office.name) for office in offices]
    return separator.join(names) or area_name("main", language)


def validation_errors(document: bytes) -> list[str]:
    """What the official CAP 1.2 XSD says is wrong with `document` (empty when valid)."""
    from xml.etree.ElementTree import ParseError

    try:
        tree = ET.fromstring(document)  # noqa: S314 - our own output or a test's, not input
    except ParseError as exc:
        return [f"not XML: {exc}"]
    return [str(error.reason or error.message) for error in schema().iter_errors(tree)]
