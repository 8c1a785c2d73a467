"""Open311 under bad input, floods and prying (取組13): malformed requests get the
specification's error document and change nothing, one address cannot flood the city, and
no answer ever carries a resident's contact details."""

import pytest
import xmltodict
from django.core.cache import cache
from django.test import override_settings

from cityhall.core.models import AuditEvent

from ..models import Report, ReportFollower, ReportPhoto
from ..services.open311 import open311_client_revoke
from .factories import SHIBUYA_STATION, category, jpeg_bytes, make_report
from .open311_fixtures import (
    SECRET_DESCRIPTION,
    SECRET_EMAIL,
    SECRET_NAME_FIRST,
    SECRET_NAME_LAST,
    SECRET_PHONE,
    assert_error,
    get,
    post,
    report_form,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"lat": "abc"}, 400, "not a number"),
    ({"lat": "nan", "long": "nan"}, 400, "not a number"),
    ({"long": None}, 400, "both"),  # lat without long
    ({"lat": None}, 400, "both"),
    (dict(zip(("lat", "long"), map(str, SHIBUYA_STATION), strict=True)), 400, "outside"),
    ({"lat": "139.7516", "long": "35.6581"}, 400, "swapped"),
    ({"description": "穴" * 4001}, 400, "too long"),
    ({"attribute[danger]": "maybe"}, 400, "Choose from the list"),
    ({"attribute[danger][]": ["yes", "no"], "attribute[danger]": None}, 400, "one answer"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "no-such-service"}, 404, "service_code"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"phone": "call me maybe"}, 400, "phone"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
    ({"jurisdiction_id": "city.shibuya.tokyo.jp"}, 404, "jurisdiction"),
])
def test_bad_posts_are_refused_and_change_nothing(client, api_key, change, status, words):
    events = AuditEvent.objects.count()
    response = post(client, "requests.json", report_form(api_key, **change),
                    HTTP_ACCEPT_LANGUAGE="en")
    description = assert_error(response, status)
    assert words.lower() in description.lower()
    assert not Report.objects.exists()
    assert not ReportFollower.objects.exists()
    assert AuditEvent.objects.count() == events


def test_errors_speak_japanese_by_default(client, minato):
    description = assert_error(post(client, "requests.json", report_form("wrong")), 403)
    assert "api_key" in description and not description.isascii()


def test_a_revoked_key_no_longer_posts(client, open311_client, api_key):
    open311_client_revoke(client=open311_client, actor=None)
    assert_error(post(client, "requests.xml", report_form(api_key)), 403, fmt="xml")
    assert not Report.objects.exists()


@pytest.mark.parametrize(("query", "status"), [
    ({"start_date": "yesterday"}, 400),
    ({"start_date": "2026-13-01T00:00:00Z"}, 400),
    ({"start_date": "2026-01-01T00:00:00"}, 400),  # no time zone
    ({"end_date": "2026-01-01T25:00:00+09:00"}, 400),
    ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, 400),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),
    ({"status": "pending"}, 400),
    ({"service_request_id": ",".join(str(n) for n in range(300))}, 400),
    ({"jurisdiction_id": "city.shibuya.tokyo.jp"}, 404),
])
def test_bad_filters_are_400_or_404(client, minato, query, status):
    assert_error(get(client, "requests.json", query), status)
    assert_error(get(client, "requests.xml", query), status, fmt="xml")


@pytest.mark.parametrize("jurisdiction", ["", "city.minato.tokyo.jp"])
def test_our_jurisdiction_or_none_is_accepted(client, minato, jurisdiction):
    assert get(client, "services.xml", {"jurisdiction_id": jurisdiction}).status_code == 200


def test_another_jurisdiction_is_404_everywhere(client, minato):
    for path in ("discovery.json", "services.json", "services/road-surface.json",
                 "requests.json"):
        assert_error(get(client, path, {"jurisdiction_id": "gov.example"}), 404)


def test_the_configured_jurisdiction_is_the_one_accepted(client, minato, settings):
    settings.OPEN311_JURISDICTION_ID = "city.example.jp"
    assert get(client, "services.json", {"jurisdiction_id": "city.example.jp"}).status_code \
        == 200
    assert_error(get(client, "services.json", {"jurisdiction_id": "city.minato.tokyo.jp"}),
                 404)


def test_a_date_alone_is_read_as_a_day_in_tokyo(client, minato):
    report = make_report()
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    body = get(client, "requests.json", {"start_date": today, "end_date": today}).json()
    assert [r["service_request_id"] for r in body] == [report.reference]


def test_html_in_a_description_is_kept_as_text(client, api_key):
    post(client, "requests.json", report_form(
        api_key, description="<script>alert(1)</script> 穴 & 段差"))
    assert Report.objects.get().description == "<script>alert(1)</script> 穴 & 段差"


def test_without_a_description_the_kind_of_problem_stands_in(client, api_key):
    response = post(client, "requests.json", report_form(api_key, description=None))
    assert response.status_code == 200, response.content
    assert Report.objects.get().description == category("road-surface").name


def test_fixmystreet_not_pinpointed_address_id_is_ignored(client, api_key):
    response = post(client, "requests.xml", report_form(
        api_key, address_id="#NOTPINPOINTED#", jurisdiction_id="city.minato.tokyo.jp"))
    assert response.status_code == 200, response.content
    assert Report.objects.get().address == ""


def test_an_address_string_alone_is_a_place(client, api_key):
    response = post(client, "requests.json", report_form(
        api_key, lat=None, long=None, address_string="東京都港区元麻布3-8-15"))
    assert response.status_code == 200, response.content
    report = Report.objects.get()
    assert report.latitude is None and report.branch_office.code == "azabu"
    assert_error(post(client, "requests.json", report_form(
        api_key, lat=None, long=None, address_id="渋谷区神宮前1-1")), 400)


def test_unknown_attribute_codes_are_dropped(client, api_key):
    post(client, "requests.json", report_form(api_key, **{"attribute[colour]": "red"}))
    assert Report.objects.get().attributes == {"danger": "no"}


def test_a_photo_sent_as_media_is_kept_and_not_public(client, api_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = report_form(api_key)
    form["media"] = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post("/open311/v2/requests.json", form)  # multipart
    assert response.status_code == 200, response.content
    photo = ReportPhoto.objects.get()
    assert photo.is_public is False
    item = get(client, f"requests/{photo.report.reference}.json").json()[0]
    assert item["media_url"] is None


def test_unreadable_and_oversized_bodies_are_400_not_500(client, api_key):
    response = client.post("/open311/v2/requests.json", b"\xff\xfe%%%&&&=\x00",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 403)
    assert_error(response, response.status_code)
    fields = "&".join(f"f{n}=1" for n in range(1500))
    response = client.post("/open311/v2/requests.json", f"api_key={api_key}&{fields}",
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 400)
    assert not Report.objects.exists()


def test_an_unexpected_fault_is_a_500_in_the_spec_format(client, minato, monkeypatch):
    from ..open311 import documents

    def broken():
        raise RuntimeError("database on fire")

    monkeypatch.setattr(documents, "services", broken)
    response = get(client, "services.xml")
    description = assert_error(response, 500, fmt="xml")
    assert "fire" not in description


# --- rate limits ----------------------------------------------------------------------------

@override_settings(OPEN311_POST_RATE_PER_HOUR=2)
def test_one_address_cannot_flood_posts(client, api_key):
    for _ in range(2):
        assert post(client, "requests.json", report_form(api_key)).status_code == 200
    response = post(client, "requests.xml", report_form(api_key))
    assert_error(response, 429, fmt="xml")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Report.objects.count() == 2
    # Another address is not held back.
    assert post(client, "requests.json", report_form(api_key),
                REMOTE_ADDR="192.0.2.7").status_code == 200


@override_settings(OPEN311_POST_RATE_PER_HOUR=1)
def test_failed_posts_count_too(client, api_key):
    assert_error(post(client, "requests.json", report_form("wrong")), 403)
    assert_error(post(client, "requests.json", report_form(api_key)), 429)


@override_settings(OPEN311_GET_RATE_PER_MINUTE=3)
def test_reads_have_a_generous_limit_of_their_own(client, minato):
    for _ in range(3):
        assert get(client, "services.json").status_code == 200
    assert_error(get(client, "requests.json"), 429)
    cache.clear()
    assert get(client, "services.json").status_code == 200


# --- privacy --------------------------------------------------------------------------------

SECRETS = (SECRET_EMAIL, SECRET_PHONE, SECRET_NAME_LAST, SECRET_NAME_FIRST, "090-4321",
           "09043218765", "hanako.himitsukawa", "連絡は")


def _assert_no_secrets(body: bytes, *more: str):
    text = body.decode("utf-8")
    for secret in (*SECRETS, *more):
        assert secret not in text, f"{secret!r} leaked: {text[:500]}"


def test_no_answer_carries_a_residents_contact_details(client, api_key, hanako):
    resident = hanako.user
    response = post(client, "requests.xml", report_form(
        api_key, description=SECRET_DESCRIPTION, email=SECRET_EMAIL, phone=SECRET_PHONE,
        first_name=SECRET_NAME_FIRST, last_name=SECRET_NAME_LAST, device_id="device-123",
        account_id="account-456"))
    assert response.status_code == 200, response.content
    _assert_no_secrets(response.content)
    posted = Report.objects.get()
    # Stored, privately: the contact, and the email as the report's follower.
    assert (posted.contact_name, posted.contact_email, posted.contact_phone) == (
        f"{SECRET_NAME_LAST} {SECRET_NAME_FIRST}", SECRET_EMAIL, SECRET_PHONE)
    assert posted.followers.get().email == SECRET_EMAIL
    web = make_report(reporter=resident, contact_name="港 花子", contact_email=resident.email,
                      contact_phone="03-1111-2222", description=SECRET_DESCRIPTION)
    # Even once staff have published the report (with a cleaned description).
    Report.objects.filter(pk=web.pk).update(is_public=True, public_description="車道の穴")
    answers = []
    for fmt in ("json", "xml"):
        answers += [get(client, f"requests.{fmt}"),
                    get(client, f"requests.{fmt}", {"service_request_id":
                                                    f"{posted.reference},{web.reference}"}),
                    get(client, f"requests/{posted.reference}.{fmt}"),
                    get(client, f"requests/{web.reference}.{fmt}"),
                    get(client, f"tokens/{posted.open311_token}.{fmt}")]
    for response in answers:
        assert response.status_code == 200
        _assert_no_secrets(response.content, resident.email, "港 花子", "03-1111-2222",
                           "device-123", "account-456")
    listed = xmltodict.parse(answers[5].content)["service_requests"]["request"]
    assert {r["service_request_id"] for r in listed} == {posted.reference, web.reference}
