"""The shelter status API at /api/v1/shelters: JSON, GeoJSON and CSV (UTF-8 with BOM and
Shift_JIS) with their content and filters, the error shape for bad filters and points outside
Japan, ETag / Last-Modified with 304, the cache invalidated by an update, and gzip."""

import csv
import gzip
import io
import json

import pytest
from django.utils.http import http_date

from cityhall.disaster import services

from .shelters_fixtures import NANZAN_ES, NANZAN_SITE, ONARIMON_JHS, WELFARE, shelter

pytestmark = pytest.mark.django_db

URL = "/api/v1/shelters"


def get(client, query="", **headers):
    return client.get(URL + query, **headers)


def open_onarimon(actor, on_commit, **kwargs):
    with on_commit():
        return services.shelter_status_update(facility=shelter(), actor=actor,
                                              **{"is_open": True, **kwargs})


def test_json_lists_every_place_with_its_status(client, minato):
    response = get(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["count"] == 144 == len(data["shelters"])
    assert "出典：国土地理院" in data["source"]
    nanzan = next(s for s in data["shelters"] if s["id"] == NANZAN_SITE)
    assert nanzan["kind"] == "evacuation_site"
    assert nanzan["hazards"] == ["flood", "landslide", "storm_surge", "earthquake"]
    assert nanzan["address"] == "東京都港区元麻布3-8-15"
    assert nanzan["open"] is False and nanzan["crowding"] is None
    assert nanzan["branch_office"] == "azabu"
    assert next(s for s in data["shelters"] if s["id"] == WELFARE)["welfare_shelter"] is True
    assert sum(s["welfare_shelter"] for s in data["shelters"]) == 24


def test_open_shelters_come_first_and_the_open_filter(client, manager, on_commit):
    open_onarimon(manager, on_commit, capacity=100, head_count=65, notes="ペット可")
    data = get(client).json()
    first = data["shelters"][0]
    assert (first["id"], first["open"], first["crowding"], first["head_count"],
            first["capacity"], first["notes"]) == (ONARIMON_JHS, True, "crowded", 65, 100,
                                                   "ペット可")
    assert first["updated_at"] == data["updated_at"]
    only_open = get(client, "?open=true").json()
    assert [s["id"] for s in only_open["shelters"]] == [ONARIMON_JHS]


def test_hazard_and_kind_filters(client, minato):
    tsunami = get(client, "?hazard=tsunami&kind=evacuation_site").json()["shelters"]
    assert len(tsunami) == 18
    assert all("tsunami" in s["hazards"] and s["kind"] == "evacuation_site" for s in tsunami)
    shelters = get(client, "?kind=shelter").json()["shelters"]
    assert len(shelters) == 83


def test_near_sorts_by_distance_and_gives_it(client, manager, on_commit):
    open_onarimon(manager, on_commit)
    nanzan = shelter(NANZAN_ES)
    data = get(client, f"?near={nanzan.latitude},{nanzan.longitude}").json()["shelters"]
    assert data[0]["id"] == ONARIMON_JHS  # the open one first
    assert data[1]["distance_m"] == 0  # then the closed ones nearest first
    distances = [s["distance_m"] for s in data[1:]]
    assert distances == sorted(distances)


def test_geojson(client, minato):
    for query, headers in (("?format=geojson", {}),
                           ("", {"HTTP_ACCEPT": "application/geo+json"})):
        response = get(client, query, **headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/geo+json"
        data = response.json()
        assert data["type"] == "FeatureCollection"
        assert len(data["features"]) == 144
        feature = next(f for f in data["features"] if f["id"] == NANZAN_SITE)
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]  # GeoJSON is lon, lat (RFC 7946)
        assert 139.7 < lon < 139.8 and 35.6 < lat < 35.7
        assert "lat" not in feature["properties"]


@pytest.mark.parametrize(("encoding", "codec", "charset"), [
    ("utf-8", "utf-8-sig", "utf-8"), ("cp932", "cp932", "shift_jis")])
def test_csv_for_open_data(client, manager, on_commit, encoding, codec, charset):
    open_onarimon(manager, on_commit, capacity=100, head_count=85)
    response = get(client, f"?format=csv&encoding={encoding}")
    assert response.status_code == 200
    assert response["Content-Type"] == f"text/csv; charset={charset}"
    assert "attachment" in response["Content-Disposition"]
    if encoding == "utf-8":
        assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode(codec))))
    assert rows[0][:4] == ["共通ID", "施設・場所名", "種別", "住所"]
    assert rows[1][0] == ONARIMON_JHS
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["開設状況"], record["混雑状況"], record["避難者数"], record["収容人数"]) == (
        "開設", "満員", "85", "100")
    assert len([row for row in rows[1:] if row and row[0].startswith("E13103")]) == 144
    assert rows[-1][0].startswith("出典：国土地理院")


@pytest.mark.parametrize(("query", "status", "code"), [
    ("?near=51.5,-0.12", 400, "outside_japan"),
    ("?near=37.57,126.98", 400, "outside_japan"),
    ("?near=35.6", 400, "invalid_point"),
    ("?hazard=zombies", 400, "unknown_hazard"),
    ("?kind=hotel", 400, "unknown_kind"),
    ("?format=xml", 400, "unknown_format"),
    ("?format=csv&encoding=latin-1", 400, "unknown_encoding"),
    ("?open=perhaps", 422, "invalid"),
])
def test_bad_filters_get_one_error_shape(client, minato, query, status, code):
    response = get(client, query)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_errors_are_translated(client, minato):
    response = get(client, "?near=51.5,-0.12", HTTP_ACCEPT_LANGUAGE="ja")
    assert "日本" in response.json()["error"]["message"]


def test_one_shelter_by_its_common_id(client, minato):
    response = client.get(f"/api/v1/disaster/shelters/{NANZAN_SITE}")
    assert response.status_code == 200
    assert response.json()["id"] == NANZAN_SITE
    missing = client.get("/api/v1/disaster/shelters/E0000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


# --- caching ---------------------------------------------------------------------------------

def test_etag_and_if_none_match_give_304(client, minato):
    response = get(client)
    etag = response["ETag"]
    assert etag.startswith('"')
    assert "max-age=30" in response["Cache-Control"]
    again = get(client, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    other = get(client, "?open=true", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200


def test_last_modified_and_if_modified_since(client, manager, on_commit):
    open_onarimon(manager, on_commit)
    response = get(client)
    modified = response["Last-Modified"]
    assert modified == http_date(
        services.shelters_cache_version()["modified"].timestamp())
    assert get(client, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert get(client, HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT"
               ).status_code == 200


def test_an_update_invalidates_the_cache_at_once(client, manager, on_commit):
    before = get(client)
    etag = before["ETag"]
    assert not any(s["open"] for s in before.json()["shelters"])
    open_onarimon(manager, on_commit, crowding="full")
    after = get(client, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert after["ETag"] != etag
    first = after.json()["shelters"][0]
    assert (first["id"], first["open"], first["crowding"]) == (ONARIMON_JHS, True, "full")
    # and the CSV and GeoJSON, cached separately, change too
    assert get(client, "?format=geojson&open=true").json()["features"][0]["id"] == ONARIMON_JHS


def test_responses_are_gzipped_for_clients_that_accept_it(client, minato):
    plain = get(client)
    zipped = get(client, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert len(zipped.content) < len(plain.content) / 4
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()


def test_the_api_is_in_the_openapi_document(client, minato):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/shelters" in paths


def test_csv_never_carries_a_formula(client, manager, on_commit):
    open_onarimon(manager, on_commit, notes="=HYPERLINK(\"http://example.com\")",
                  supplies="+水")
    rows = list(csv.reader(io.StringIO(get(client, "?format=csv").content.decode("utf-8-sig"))))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["備考"] == "'=HYPERLINK(\"http://example.com\")"
    assert record["物資"] == "'+水"
    assert get(client).json()["shelters"][0]["notes"] == "=HYPERLINK(\"http://example.com\")"
