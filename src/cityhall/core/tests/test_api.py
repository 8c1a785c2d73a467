"""The public API of core at /api/v1/core/ and its one error shape."""

import pytest

from cityhall.core.models import Facility

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_openapi_document_lists_the_core_paths(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "cityhall API"
    paths = set(document["paths"])
    assert {f"{API}/core/municipality", f"{API}/core/branch-offices", f"{API}/core/towns",
            f"{API}/core/facilities", f"{API}/core/facilities/{{code}}",
            f"{API}/core/me/profile"} <= paths
    assert all(path.startswith(f"{API}/") for path in paths)


def test_municipality(client, minato):
    response = client.get(f"{API}/core/municipality")
    assert response.status_code == 200
    assert response.json() == {"code": "131032", "name": "港区", "name_kana": "みなとく",
                               "name_en": "Minato City", "prefecture": "東京都"}


def test_branch_offices_lists_six(client, minato):
    response = client.get(f"{API}/core/branch-offices")
    assert response.status_code == 200
    offices = response.json()
    assert len(offices) == 6
    assert [o["code"] for o in offices] == ["main", "shiba", "azabu", "akasaka", "takanawa",
                                            "shibaura-konan"]
    assert offices[0]["code"] == "main"
    assert offices[0]["is_main_office"] is True
    assert sum(o["is_main_office"] for o in offices) == 1


def test_towns_are_paginated(client, minato):
    response = client.get(f"{API}/core/towns", {"limit": 10})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 117
    assert len(body["items"]) == 10
    assert set(body["items"][0]) == {"id", "name", "name_kana", "chome", "label",
                                     "branch_office"}


def test_shelters_are_paginated(client, minato):
    response = client.get(f"{API}/core/facilities", {"kind": "shelter"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 83
    assert len(body["items"]) == 50
    assert {item["kind"] for item in body["items"]} == {"shelter"}
    rest = client.get(f"{API}/core/facilities", {"kind": "shelter", "offset": 50}).json()
    assert rest["count"] == 83
    assert len(rest["items"]) == 33
    codes = [i["code"] for i in body["items"]] + [i["code"] for i in rest["items"]]
    assert len(set(codes)) == 83


def test_facilities_by_branch_office(client, minato):
    body = client.get(f"{API}/core/facilities", {"branch_office": "azabu", "limit": 200}).json()
    expected = Facility.objects.filter(branch_office__code="azabu").count()
    assert expected > 0
    assert body["count"] == expected
    assert {item["branch_office"] for item in body["items"]} == {"azabu"}


def test_unknown_facility_kind_is_a_400_in_the_error_shape(client, minato):
    response = client.get(f"{API}/core/facilities", {"kind": "bogus"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "invalid", "message": "Some of the information given is not valid.",
        "field": "kind"}}


def test_bad_pagination_is_refused_in_the_error_shape(client, minato):
    response = client.get(f"{API}/core/facilities", {"limit": "many"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]


def test_facility_detail(client, minato):
    facility = Facility.objects.filter(kind="shelter").order_by("code").first()
    response = client.get(f"{API}/core/facilities/{facility.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == facility.code
    assert body["name"] == facility.name
    assert body["kind"] == "shelter"
    assert body["branch_office"] == facility.branch_office.code


def test_unknown_facility_is_a_404_in_the_error_shape(client, minato):
    response = client.get(f"{API}/core/facilities/NOPE", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"error": {
        "code": "not_found", "message": "The requested record does not exist."}}


def test_unknown_api_path_is_404(client):
    assert client.get(f"{API}/core/nothing-here").status_code == 404


def test_my_profile_needs_a_sign_in(client, minato):
    response = client.get(f"{API}/core/me/profile", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "unauthorized", "message": "Please sign in."}}


def test_my_profile_returns_the_residents_own_data(client, hanako, taro):
    client.force_login(hanako.user)
    response = client.get(f"{API}/core/me/profile")
    assert response.status_code == 200
    assert response.json() == {
        "family_name": "港", "given_name": "花子", "family_name_kana": "ミナト",
        "given_name_kana": "ハナコ", "date_of_birth": "1985-04-01", "town": "芝公園2丁目",
        "block_number": "3-1", "phone": "", "preferred_language": "ja",
        "accessibility_needs": []}


def test_my_profile_of_an_account_without_profile_is_404(client, minato):
    from cityhall.core.tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(f"{API}/core/me/profile")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
