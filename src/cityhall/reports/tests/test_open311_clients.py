"""Open311 against real clients (取組13): the `georeport` package (PyPI) reading a live
server in JSON and XML, the Open311 JSON Schemas (tests/schemas) and FixMyStreet's way of
reading a POST's answer (XML only)."""

import pytest
import requests
import xmltodict
from georeport import GeoReport

from ..models import Report
from .factories import make_report
from .open311_fixtures import assert_valid, report_form

pytestmark = pytest.mark.django_db(transaction=True)

JURISDICTION = "city.minato.tokyo.jp"


@pytest.fixture
def site(transactional_db, live_server, minato):
    return live_server


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_every_endpoint(site, fmt):
    first = make_report(contact_email="secret.reader@example.jp", contact_phone="03-9999-0000")
    second = make_report(code="streetlight", attributes={"state": "dark"})
    api = GeoReport(f"{site.url}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)

    services = api.get_service_list()
    assert [s["service_code"] for s in services][:3] == ["road-surface", "pavement",
                                                        "streetlight"]
    if fmt == "json":
        assert_valid(services, "services.json")

    definition = api.get_service_definition("streetlight")
    assert definition["service_code"] == "streetlight"
    if fmt == "json":
        assert_valid(definition, "service-definition.json")

    found = api.get_service_requests(status="open")
    found = found if isinstance(found, list) else [found]  # xmltodict: one item is a dict
    assert [r["service_request_id"] for r in found] == [second.reference, first.reference]
    if fmt == "json":
        assert_valid(found, "requests.json")

    one = api.get_service_requests(service_request_id=first.reference)
    one = one[0] if isinstance(one, list) else one
    assert one["service_request_id"] == first.reference and one["status"] == "open"

    single = api.get_service_request(second.reference)
    assert single["service_request_id"] == second.reference
    assert single["service_code"] == "streetlight"


def test_georeport_sees_the_specifications_errors(site):
    api = GeoReport(f"{site.url}/open311/v2", jurisdiction="another.example")
    with pytest.raises(requests.HTTPError) as error:
        api.get_service_list()
    assert error.value.response.status_code == 404
    assert error.value.response.json()[0]["code"] == 404


def test_fixmystreet_posts_in_xml_and_follows_a_token(site, open311_client_key):
    # What perllib/Open311.pm sends: jurisdiction_id and api_key in the form, lat/long, the
    # reporter's names, email and phone, attribute[...], and reads request/service_request_id
    # else request/token, then tokens/<token>.xml.
    form = report_form(open311_client_key, email="fms.user@example.org", first_name="Hanako",
                       last_name="Minato", phone="090-0000-1111", jurisdiction_id=JURISDICTION,
                       address_id="#NOTPINPOINTED#")
    response = requests.post(f"{site.url}/open311/v2/requests.xml", data=form, timeout=30)
    assert response.status_code == 200, response.text
    request = xmltodict.parse(response.content)["service_requests"]["request"]
    assert request["service_request_id"] == Report.objects.get().reference

    bicycles = report_form(open311_client_key, service_code="abandoned-bicycle",
                           jurisdiction_id=JURISDICTION, **{"attribute[danger]": None})
    response = requests.post(f"{site.url}/open311/v2/requests.xml", data=bicycles, timeout=30)
    request = xmltodict.parse(response.content)["service_requests"]["request"]
    assert "service_request_id" not in request
    resolved = requests.get(f"{site.url}/open311/v2/tokens/{request['token']}.xml",
                            params={"jurisdiction_id": JURISDICTION}, timeout=30)
    reference = xmltodict.parse(resolved.content)["service_requests"]["request"][
        "service_request_id"]
    assert Report.objects.get(reference=reference).category.code == "abandoned-bicycle"


@pytest.fixture
def open311_client_key(site):
    from ..services.open311 import open311_client_issue

    _client, raw_key = open311_client_issue(name="FixMyStreet", actor=None)
    return raw_key
