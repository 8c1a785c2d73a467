"""CAP 1.2 output (取組12), after standards.md §3c: every alert from every template is valid
against the official OASIS XSD (xmlschema, and capvalidator when installed); the root and the
child order follow the XSD's sequence; times carry +09:00 and no fraction, and a `Z` or a
fraction fails the XSD (negative controls); one <info> per language with identical event
data; areas closed and in lat,lon order; updates and cancels carry references."""

import datetime
import re

import pytest
from django.utils import timezone

from cityhall.disaster import alerts_cap, alerts_texts, services
from cityhall.disaster.models import Alert

from .alerts_helpers import (  # noqa: F401 - fixtures
    CAP_NS,
    approver_fixture,
    composer_fixture,
    level4,
    parse_xml,
    publish,
    published_level4,
)
from .test_alerts_templates import TEMPLATES, all_parameter_sets

pytestmark = pytest.mark.django_db

ALERT_ORDER = ["identifier", "sender", "sent", "status", "msgType", "source", "scope",
               "restriction", "addresses", "code", "note", "references", "incidents", "info"]
INFO_ORDER = ["language", "category", "event", "responseType", "urgency", "severity",
              "certainty", "audience", "eventCode", "effective", "onset", "expires",
              "senderName", "headline", "description", "instruction", "web", "contact",
              "parameter", "resource", "area"]
TIME = re.compile(r"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
POLYGON = "35.6586,139.7454 35.6620,139.7520 35.6540,139.7560 35.6510,139.7480 35.6586,139.7454"


def local(tag: str) -> str:
    return tag.replace(CAP_NS, "")


def assert_in_schema_order(children, order):
    tags = [local(child.tag) for child in children]
    positions = [order.index(tag) for tag in tags]
    assert positions == sorted(positions), tags


def check_schema_with_capvalidator(document: bytes):
    capvalidator = pytest.importorskip("capvalidator")
    result = capvalidator.check_schema(document)
    assert result.passed, result.message


@pytest.mark.parametrize("key", TEMPLATES)
def test_every_template_gives_a_valid_cap_document(composer, approver, key):
    template = alerts_texts.get_template(key)
    for params, _shelter in all_parameter_sets(template):
        alert = services.alert_create(actor=composer, template_key=key, parameters=params,
                                      area_codes=["shibaura-konan"], polygon=POLYGON)
        publish(alert, composer, approver)
        document = alerts_cap.build(alert)
        assert alerts_cap.validation_errors(document) == [], (key, params)
        check_schema_with_capvalidator(document)


def test_free_text_gives_a_valid_cap_document(composer, approver):
    alert = services.alert_create(
        actor=composer, free_text={"headline": "断水のお知らせ", "description": "芝地区で断水",
                                   "instruction": ""},
        cap={"categories": ["Infra"], "response_types": [], "urgency": "Expected",
             "severity": "Moderate", "certainty": "Observed"},
        area_codes=["shiba"], expires=timezone.now() + datetime.timedelta(hours=3))
    publish(alert, composer, approver)
    document = alerts_cap.build(alert)
    assert alerts_cap.validation_errors(document) == []
    root = parse_xml(document)
    assert "not translated" in root.find(f"{CAP_NS}note").text
    english = root.findall(f"{CAP_NS}info")[1]
    assert english.find(f"{CAP_NS}language").text == "en-US"
    assert "Japanese only" in english.find(f"{CAP_NS}headline").text


def test_root_order_languages_and_identical_event_data(composer, approver):
    alert = published_level4(composer, approver, polygon=POLYGON, circle="35.6581,139.7516 2")
    root = parse_xml(alerts_cap.build(alert))
    assert root.tag == "{urn:oasis:names:tc:emergency:cap:1.2}alert"
    assert_in_schema_order(list(root), ALERT_ORDER)
    infos = root.findall(f"{CAP_NS}info")
    assert [info.find(f"{CAP_NS}language").text for info in infos] == [
        "ja-JP", "en-US", "zh-Hans", "ko-KR"]
    shared = {"category", "responseType", "urgency", "severity", "certainty", "effective",
              "onset", "expires", "web"}
    facts = [sorted((local(child.tag), child.text) for child in info
                    if local(child.tag) in shared) for info in infos]
    assert all(fact == facts[0] for fact in facts)
    for info in infos:
        assert_in_schema_order(list(info), INFO_ORDER)
        area = info.find(f"{CAP_NS}area")
        assert_in_schema_order(list(area), ["areaDesc", "polygon", "circle", "geocode",
                                            "altitude", "ceiling"])
    assert infos[0].find(f"{CAP_NS}area/{CAP_NS}areaDesc").text == "芝地区、麻布地区"
    assert infos[1].find(f"{CAP_NS}area/{CAP_NS}areaDesc").text == \
        "the Shiba area, the Azabu area"
    assert infos[0].find(f"{CAP_NS}event").text == "避難指示（警戒レベル4）"


def test_times_have_an_explicit_offset_and_whole_seconds(composer, approver):
    alert = published_level4(composer, approver)
    root = parse_xml(alerts_cap.build(alert))
    times = [root.find(f"{CAP_NS}sent").text] + [
        element.text for name in ("effective", "onset", "expires")
        for element in root.iter(f"{CAP_NS}{name}")]
    assert len(times) == 13
    assert all(TIME.match(value) for value in times), times
    assert alerts_cap.cap_time(datetime.datetime(2031, 6, 2, 5, 30, 15, 123456,
                                                 tzinfo=datetime.UTC)) == \
        "2031-06-02T14:30:15+09:00"


def test_a_utc_time_renders_with_its_offset():
    with timezone.override("UTC"):
        assert alerts_cap.cap_time(datetime.datetime(2031, 6, 2, 5, 30, tzinfo=datetime.UTC)) \
            == "2031-06-02T05:30:00+00:00"


@pytest.mark.parametrize("bad", ["2031-06-02T05:30:00Z", "2031-06-02T14:30:00.123+09:00",
                                 "2031-06-02T14:30+09:00", "2031-06-02 14:30:00+09:00"])
def test_negative_controls_fail_the_xsd(composer, approver, bad):
    alert = published_level4(composer, approver)
    document = alerts_cap.build(alert).decode()
    sent = re.search(r"<sent>([^<]+)</sent>", document).group(1)
    broken = document.replace(f"<sent>{sent}</sent>", f"<sent>{bad}</sent>").encode()
    assert alerts_cap.validation_errors(broken)
    capvalidator = pytest.importorskip("capvalidator")
    assert not capvalidator.check_schema(broken).passed


def test_other_negative_controls_fail_the_xsd(composer, approver):
    alert = published_level4(composer, approver)
    document = alerts_cap.build(alert).decode()
    # Element order is strict: status before sent is invalid.
    swapped = re.sub(r"(<sent>[^<]+</sent>)(<status>[^<]+</status>)", r"\2\1", document)
    assert swapped != document and alerts_cap.validation_errors(swapped.encode())
    unknown = document.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>")
    assert alerts_cap.validation_errors(unknown.encode())
    assert alerts_cap.validation_errors(b"<alert>not cap</alert>")
    assert alerts_cap.validation_errors(b"<<<")


def test_updates_and_cancels_carry_references(composer, approver):
    original = published_level4(composer, approver)
    update = publish(level4(composer, original=original), composer, approver)
    root = parse_xml(alerts_cap.build(update))
    assert root.find(f"{CAP_NS}msgType").text == "Update"
    reference = root.find(f"{CAP_NS}references").text
    sender, identifier, sent = reference.split(",")
    assert (sender, identifier) == (original.sender, original.identifier)
    assert sent == alerts_cap.cap_time(original.sent)
    assert datetime.datetime.fromisoformat(sent) <= datetime.datetime.fromisoformat(
        root.find(f"{CAP_NS}sent").text)
    assert identifier != update.identifier
    cancel = publish(services.alert_cancel_create(original=update, actor=composer),
                     composer, approver)
    cancel_root = parse_xml(alerts_cap.build(cancel))
    assert cancel_root.find(f"{CAP_NS}msgType").text == "Cancel"
    assert len(cancel_root.find(f"{CAP_NS}references").text.split()) == 2
    assert alerts_cap.validation_errors(alerts_cap.build(cancel)) == []
    assert original.references == ""
    assert parse_xml(alerts_cap.build(original)).find(f"{CAP_NS}references") is None


def test_identifier_sender_and_polygon_follow_the_rules(composer, approver):
    alert = published_level4(composer, approver, polygon="  " + POLYGON + "\n")
    root = parse_xml(alerts_cap.build(alert))
    for name in ("identifier", "sender"):
        value = root.find(f"{CAP_NS}{name}").text
        assert not set(value) & {" ", ",", "<", "&"}
    polygon = root.find(f"{CAP_NS}info/{CAP_NS}area/{CAP_NS}polygon").text
    assert polygon == POLYGON  # no leading newline or spaces (google/cap-library#43)
    pairs = polygon.split()
    assert pairs[0] == pairs[-1] and len(pairs) >= 4
    assert all(35 < float(pair.split(",")[0]) < 36 and 139 < float(pair.split(",")[1]) < 140
               for pair in pairs)
    assert Alert.objects.filter(identifier=alert.identifier).count() == 1


def test_identifiers_are_unique(composer):
    identifiers = {level4(composer).identifier for _ in range(5)}
    assert len(identifiers) == 5


def test_the_cap_default_namespace_survives_a_library_that_rewrites_the_etree_registry(
        composer, approver):
    # WeasyPrint (PDF letters) registers '' for its own metadata when imported; CAP documents
    # built afterwards must still use the default namespace, as CAP clients and feeds expect.
    import xml.etree.ElementTree as ET

    ET.register_namespace("", "")
    alert = published_level4(composer, approver)
    document = alerts_cap.build(alert).decode()
    assert '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">' in document
    assert "ns0:" not in document
    assert not alerts_cap.validation_errors(document.encode())
