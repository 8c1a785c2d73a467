"""The Open311 GeoReport v2 server: the ten cases of standards.md §2c, then the formats,
filters and answers in detail (取組13)."""

import datetime
import re

import pytest
import xmltodict
from django.utils import timezone

from ..models import Report
from ..services.reports import report_transition
from .factories import category, make_report
from .open311_fixtures import (
    assert_error,
    assert_valid,
    get,
    post,
    report_form,
    xml_root,
)

pytestmark = pytest.mark.django_db

W3C_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+09:00)$")


# --- standards.md §2c -----------------------------------------------------------------------

def test_case_1_discovery_names_the_specification_and_both_formats(client, minato):
    response = get(client, "discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    endpoint = response.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert {"text/xml", "application/json"} <= set(endpoint["formats"])
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    root = xml_root(get(client, "discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/specification") == \
        "http://wiki.open311.org/GeoReport_v2"


def test_case_1_the_endpoint_url_is_the_portal_address(client, minato, settings):
    settings.PORTAL_URL = "https://cityhall.example"
    assert get(client, "discovery.json").json()["endpoints"][0]["url"] == \
        "https://cityhall.example/open311/v2"


def test_case_2_the_service_list_in_json_and_xml(client, minato):
    response = get(client, "services.json")
    services = response.json()
    assert_valid(services, "services.json")
    codes = [s["service_code"] for s in services]
    assert codes[:2] == ["road-surface", "pavement"] and len(codes) == 10
    road = services[0]
    assert road["metadata"] is True and road["type"] == "realtime"
    assert road["service_name"] == category("road-surface").name  # Japanese by default
    bicycles = next(s for s in services if s["service_code"] == "abandoned-bicycle")
    assert bicycles["type"] == "batch" and bicycles["metadata"] is False

    root = xml_root(get(client, "services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    assert root.find("service").findtext("metadata") == "true"


def test_case_2_services_speak_english_when_asked(client, minato):
    road = get(client, "services.json", HTTP_ACCEPT_LANGUAGE="en").json()[0]
    assert road["service_name"] == category("road-surface").name_en


def test_case_2_an_inactive_category_is_not_offered(client, minato):
    category("graffiti").__class__.objects.filter(code="graffiti").update(is_active=False)
    codes = [s["service_code"] for s in get(client, "services.json").json()]
    assert "graffiti" not in codes
    assert_error(get(client, "services/graffiti.json"), 404)


def test_case_3_a_service_definition_validates_and_an_unknown_code_is_404(client, minato):
    definition = get(client, "services/streetlight.json").json()
    assert_valid(definition, "service-definition.json")
    assert definition["service_code"] == "streetlight"
    state = next(a for a in definition["attributes"] if a["code"] == "state")
    assert state["datatype"] == "singlevaluelist" and state["required"] is True
    assert {v["key"] for v in state["values"]} == {"dark", "flicker", "day", "damaged"}
    assert [a["order"] for a in definition["attributes"]] == [1, 2]
    assert_error(get(client, "services/no-such-thing.json"), 404)
    assert_error(get(client, "services/no-such-thing.xml"), 404, fmt="xml")

    root = xml_root(get(client, "services/streetlight.xml"))
    assert root.tag == "service_definition"
    keys = [v.findtext("key") for v in root.findall("attributes/attribute/values/value")]
    assert set(keys) == {"dark", "flicker", "day", "damaged"}


def test_case_4_a_post_without_api_key_is_403_and_files_nothing(client, minato):
    form = report_form("")
    del form["api_key"]
    assert_error(post(client, "requests.json", form), 403)
    assert_error(post(client, "requests.xml", report_form("not-a-key")), 403, fmt="xml")
    assert not Report.objects.exists()


def test_case_5_a_realtime_post_answers_with_the_service_request_id(client, api_key,
                                                                    open311_client):
    response = post(client, "requests.json", report_form(
        api_key, description="日本語の説明：歩道に穴", media_url="https://img.example/p/1.jpg"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert "token" not in body[0]
    report = Report.objects.get()
    assert body[0]["service_request_id"] == report.reference
    assert isinstance(body[0]["service_request_id"], str)
    assert "24" in body[0]["service_notice"] and body[0]["account_id"] == ""
    assert report.description == "日本語の説明：歩道に穴"
    assert report.source == Report.Source.OPEN311
    assert report.open311_client == open311_client
    assert report.media_url == "https://img.example/p/1.jpg"
    assert (float(report.latitude), float(report.longitude)) == (35.6581, 139.7516)
    assert report.attributes == {"danger": "no"}


@pytest.mark.parametrize(("change", "status"), [
    ({"lat": None, "long": None}, 400),  # no place at all
    ({"attribute[danger]": None}, 400),  # a required question unanswered
    ({"service_code": "no-such-service"}, 404),
])
def test_case_6_no_place_a_missing_attribute_or_an_unknown_service(client, api_key, change,
                                                                   status):
    assert_error(post(client, "requests.json", report_form(api_key, **change)), status)
    assert not Report.objects.exists()


def _fixmystreet_read(body: bytes) -> dict:
    """What FixMyStreet's Open311.pm reads from an XML answer (XML::Simple without
    ForceArray, like xmltodict): `$obj->{request}->{service_request_id}`, else `token`."""
    request = xmltodict.parse(body)["service_requests"]["request"]
    if isinstance(request, list):
        request = request[0]
    return request


def test_case_7_xml_answers_parse_as_fixmystreet_reads_them(client, api_key):
    response = post(client, "requests.xml", report_form(api_key))
    assert response.status_code == 200
    root = xml_root(response)
    assert root.tag == "service_requests"
    assert root.find("request/token") is None
    report = Report.objects.get()
    assert _fixmystreet_read(response.content)["service_request_id"] == report.reference


def test_case_7_a_batch_service_answers_with_a_token_that_resolves(client, api_key):
    response = post(client, "requests.xml", report_form(
        api_key, service_code="abandoned-bicycle", description="放置自転車が3台",
        **{"attribute[danger]": None}))
    assert response.status_code == 200, response.content
    request = _fixmystreet_read(response.content)
    # No empty service_request_id element: XML::Simple would read it as a (true) hash.
    assert "service_request_id" not in request
    report = Report.objects.get()
    assert request["token"] == report.open311_token
    resolved = get(client, f"tokens/{request['token']}.xml")
    assert _fixmystreet_read(resolved.content)["service_request_id"] == report.reference
    as_json = get(client, f"tokens/{request['token']}.json").json()
    assert as_json == [{"service_request_id": report.reference, "token": report.open311_token}]
    assert_error(get(client, "tokens/0123456789abcdef.xml"), 404, fmt="xml")


def test_case_8_requests_in_a_date_range_by_status(client, minato):
    now = timezone.now()
    older = make_report(now=now - datetime.timedelta(days=20))
    recent = make_report(code="streetlight", attributes={"state": "dark"},
                         now=now - datetime.timedelta(days=2))
    closed = make_report(now=now - datetime.timedelta(days=1))
    report_transition(report=closed, status=Report.Status.FIXED, actor=None,
                      public_note="補修しました")
    start = timezone.localtime(now - datetime.timedelta(days=30)).isoformat(timespec="seconds")
    end = timezone.localtime(now).isoformat(timespec="seconds")
    assert start.endswith("+09:00")
    body = get(client, "requests.json", {"start_date": start, "end_date": end,
                                         "status": "open"}).json()
    assert_valid(body, "requests.json")
    assert [r["service_request_id"] for r in body] == [recent.reference, older.reference]
    assert all(W3C_WITH_ZONE.match(r["requested_datetime"]) for r in body)
    assert all(W3C_WITH_ZONE.match(r["updated_datetime"]) for r in body)

    both = get(client, "requests.json", {"start_date": start, "status": "open,closed"}).json()
    assert [r["service_request_id"] for r in both] == [closed.reference, recent.reference,
                                                       older.reference]
    closed_only = get(client, "requests.json", {"status": "closed"}).json()
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed_only] \
        == [(closed.reference, "closed", "補修しました")]
    # A range of more than 90 days is refused, as the specification allows.
    too_long = timezone.localtime(now - datetime.timedelta(days=91)).isoformat()
    assert_error(get(client, "requests.json", {"start_date": too_long, "end_date": end}), 400)


def test_case_8_the_default_range_is_the_last_90_days(client, minato):
    now = timezone.now()
    make_report(now=now - datetime.timedelta(days=100))
    recent = make_report(now=now - datetime.timedelta(days=89))
    body = get(client, "requests.json").json()
    assert [r["service_request_id"] for r in body] == [recent.reference]


def test_case_8_an_unencoded_plus_in_the_zone_is_understood(client, minato):
    report = make_report()
    day = timezone.localdate().isoformat()
    # `+09:00` sent without percent-encoding arrives as ` 09:00`.
    response = client.get(f"/open311/v2/requests.json?start_date={day}T00:00:00+09:00")
    assert [r["service_request_id"] for r in response.json()] == [report.reference]


def test_case_9_a_list_of_ids_overrides_the_other_filters(client, minato):
    a = make_report()
    b = make_report(code="pavement")
    make_report()
    report_transition(report=a, status=Report.Status.FIXED, actor=None)
    body = get(client, "requests.json", {"service_request_id": f"{a.reference},{b.reference}",
                                         "status": "open", "service_code": "graffiti",
                                         "start_date": "2001-01-01T00:00:00Z"}).json()
    assert {r["service_request_id"] for r in body} == {a.reference, b.reference}
    single = get(client, f"requests/{a.reference}.json").json()
    assert isinstance(single, list) and len(single) == 1
    assert single[0]["service_request_id"] == a.reference and single[0]["status"] == "closed"
    assert_valid(single, "requests.json")
    root = xml_root(get(client, f"requests/{a.reference}.xml"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [a.reference]
    assert_error(get(client, "requests/1999-000001.json"), 404)


def test_case_10_a_multivaluelist_answer_is_stored_as_several_values(client, api_key,
                                                                     surfaces):
    form = report_form(api_key, service_code="graffiti", description="壁と標識に落書き",
                       **{"attribute[danger]": None, "attribute[surface][]": ["wall", "sign"]})
    response = post(client, "requests.json", form)
    assert response.status_code == 200, response.content
    assert Report.objects.get().attributes == {"surface": ["wall", "sign"]}


# --- the requests listing in detail ---------------------------------------------------------

def test_a_request_shows_what_the_public_may_see(client, minato):
    report = make_report(description="内部の説明")
    item = get(client, f"requests/{report.reference}.json").json()[0]
    assert item["description"] == ""  # not yet checked by staff
    assert item["status"] == "open"
    assert item["service_code"] == "road-surface"
    assert item["service_name"] == category("road-surface").name
    assert item["agency_responsible"] == report.department.name
    assert item["address"] == "芝公園3丁目"
    assert (item["lat"], item["long"]) == (35.65995, 139.7501)
    assert item["media_url"] is None
    expected = timezone.localtime(report.created_at + datetime.timedelta(days=14))
    assert item["expected_datetime"] == expected.isoformat(timespec="seconds")
    Report.objects.filter(pk=report.pk).update(is_public=True,
                                               public_description="車道に穴があります")
    item = get(client, f"requests/{report.reference}.json",
               HTTP_ACCEPT_LANGUAGE="en").json()[0]
    assert item["description"] == "車道に穴があります"
    assert item["service_name"] == category("road-surface").name_en
    assert item["agency_responsible"] == report.department.name_en


def test_text_is_escaped_in_xml_and_characters_xml_cannot_carry_are_dropped(client, minato):
    report = make_report()
    Report.objects.filter(pk=report.pk).update(
        is_public=True, public_description="<b>穴</b> & \x01段差\x0b")
    root = xml_root(get(client, f"requests/{report.reference}.xml"))
    assert root.findtext("request/description") == "<b>穴</b> & 段差"
    assert get(client, f"requests/{report.reference}.json").json()[0]["description"] == \
        "<b>穴</b> & \x01段差\x0b"


def test_service_code_filter_and_paging(client, minato):
    lights = [make_report(code="streetlight", attributes={"state": "dark"}) for _ in range(3)]
    make_report()
    body = get(client, "requests.json", {"service_code": "streetlight,graffiti"}).json()
    assert [r["service_request_id"] for r in body] == [r.reference for r in reversed(lights)]
    page2 = get(client, "requests.json", {"service_code": "streetlight", "page_size": 2,
                                          "page": 2}).json()
    assert [r["service_request_id"] for r in page2] == [lights[0].reference]
    assert_error(get(client, "requests.json", {"service_code": "nope"}), 404)
    assert_error(get(client, "requests.json", {"page_size": "0"}), 400)
    assert_error(get(client, "requests.json", {"page": "x"}), 400)


def test_an_address_only_report_has_no_coordinates(client, minato):
    report = make_report(place=(None, None), address="東京都港区元麻布3-8-15")
    item = get(client, f"requests/{report.reference}.json").json()[0]
    assert item["lat"] is None and item["long"] is None
    assert item["address"] == "東京都港区元麻布3-8-15"
    assert_valid([item], "requests.json")
    root = xml_root(get(client, f"requests/{report.reference}.xml"))
    assert root.findtext("request/lat") == ""


@pytest.mark.parametrize("path", ["", "discovery", "services.csv", "services.html",
                                  "requests.yaml", "requests/abc", "nothing.json",
                                  "services/../services.json"])
def test_unknown_endpoints_and_formats_are_404_in_the_spec_format(client, minato, path):
    response = get(client, path)
    fmt = "json" if path.endswith(".json") else "xml"
    assert_error(response, 404, fmt=fmt)


def test_a_method_the_endpoint_does_not_take_is_405(client, minato):
    response = client.put("/open311/v2/services.json")
    assert_error(response, 405)
    assert response["Allow"] == "GET, HEAD"
    assert response["Cache-Control"] == "no-store"
    assert client.head("/open311/v2/services.json").status_code == 200
    assert_error(client.delete("/open311/v2/requests.xml"), 405, fmt="xml")


def test_reads_may_come_from_other_sites_and_be_cached_briefly(client, api_key):
    response = get(client, "services.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=60"
    assert get(client, "services/nope.json")["Cache-Control"] == "no-store"
    assert post(client, "requests.json", report_form(api_key))["Cache-Control"] == "no-store"


def test_web_and_open311_reports_are_the_same_objects(client, api_key, shiba_clerk):
    web = make_report(contact_email="web@example.jp")
    response = post(client, "requests.json", report_form(api_key))
    api = Report.objects.get(reference=response.json()[0]["service_request_id"])
    assert (web.source, api.source) == (Report.Source.WEB, Report.Source.OPEN311)
    # The same queue: routed alike, to the same branch office's department.
    assert (api.branch_office.code, api.department) == ("shiba", web.department)
    listed = get(client, "requests.json").json()
    assert [r["service_request_id"] for r in listed] == [api.reference, web.reference]
    # Staff work on the Open311 report as on any other; Open311 shows it.
    report_transition(report=api, status=Report.Status.IN_PROGRESS, actor=shiba_clerk,
                      public_note="現地を確認します")
    item = get(client, f"requests/{api.reference}.json").json()[0]
    assert (item["status"], item["status_notes"]) == ("open", "現地を確認します")


def test_media_url_is_the_first_photo_staff_published_and_serves_it(client, minato,
                                                                     settings):
    from .factories import jpeg_bytes, upload

    settings.PORTAL_URL = "https://cityhall.example"
    report = make_report(photos=[upload(jpeg_bytes()), upload(jpeg_bytes(color=(0, 0, 9)))])
    first, second = report.photos.order_by("pk")
    assert get(client, f"requests/{report.reference}.json").json()[0]["media_url"] is None
    second.is_public = True
    second.save()
    item = get(client, f"requests/{report.reference}.json").json()[0]
    path = f"/reports/{report.reference}/photos/{second.pk}.jpg"
    assert item["media_url"] == f"https://cityhall.example{path}"
    photo = client.get(path)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    # The photo staff have not published is not served, whatever its address.
    assert client.get(f"/reports/{report.reference}/photos/{first.pk}.jpg").status_code == 404
    first.is_public = True
    first.save()
    item = get(client, "requests.json").json()[0]
    assert item["media_url"].endswith(f"/reports/{report.reference}/photos/{first.pk}.jpg")
    assert_valid([item], "requests.json")


def test_status_notes_is_the_latest_public_reply_never_an_internal_note(client, shiba_clerk):
    report = make_report()
    report_transition(report=report, status=Report.Status.ACKNOWLEDGED, actor=shiba_clerk,
                      public_note="確認しました")
    report_transition(report=report, status=Report.Status.IN_PROGRESS, actor=shiba_clerk,
                      internal_note="業者に連絡済み、工事は来週")
    for fmt in ("json", "xml"):
        body = get(client, f"requests/{report.reference}.{fmt}").content.decode()
        assert "確認しました" in body and "業者" not in body
