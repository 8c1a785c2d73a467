"""The CKAN Action API's envelope, errors and read actions through Django's test client
(standards.md 1c, cases 1-10): exact status codes, content types and shapes."""

import json

import pytest

from cityhall.opendata import services
from cityhall.opendata.models import Dataset

from .factories import csv_resource, dataset

pytestmark = pytest.mark.django_db

JSON = "application/json;charset=utf-8"


def get(client, name, prefix="/api/3/action/", **params):
    return client.get(f"{prefix}{name}", params)


def post(client, name, body=None, prefix="/api/action/", **headers):
    return client.post(f"{prefix}{name}", json.dumps(body or {}),
                       content_type="application/json", **headers)


def test_status_show_envelope(client, minato):
    response = get(client, "status_show")
    assert response.status_code == 200
    assert response["Content-Type"] == JSON
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["success"] is True
    assert body["help"] == "http://testserver/api/3/action/help_show?name=status_show"
    assert body["result"]["site_url"] == "http://testserver"
    assert body["result"]["locale_default"] == "ja"
    assert isinstance(body["result"]["extensions"], list)


def test_package_list_by_json_post_without_the_3(client, minato):
    second = dataset(name="b-dataset")
    first = dataset(name="a-dataset")
    dataset(name="c-private", private=True)
    response = post(client, "package_list")
    assert response.status_code == 200
    assert response.json()["result"] == [first.name, second.name]
    assert post(client, "package_list", {"limit": 1, "offset": 1}).json()["result"] == [
        second.name]
    # A form-encoded POST is read too.
    form = client.post("/api/action/package_list", {"limit": "1"})
    assert form.json()["result"] == [first.name]


def test_package_show_by_name_and_id_are_identical(client, minato):
    row = dataset(name="shelters", title="避難所一覧", notes="港区の避難所", tags=("防災", "避難"),
                  title_en="Shelters", spatial="東京都港区")
    resource = csv_resource(row)
    by_name = get(client, "package_show", id="shelters").json()["result"]
    by_id = get(client, "package_show", id=str(row.pk)).json()["result"]
    assert by_name == by_id
    assert by_name["id"] == str(row.pk)
    assert by_name["type"] == "dataset" and by_name["state"] == "active"
    assert by_name["private"] is False
    assert by_name["license_id"] == "CC-BY-4.0"
    assert by_name["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert by_name["owner_org"] == str(row.organization_id)
    assert by_name["organization"]["name"] == "disaster-management"
    assert by_name["organization"]["is_organization"] is True
    assert [tag["name"] for tag in by_name["tags"]] == ["避難", "防災"]
    assert by_name["tags"][0]["vocabulary_id"] is None
    assert {"key": "title_en", "value": "Shelters"} in by_name["extras"]
    assert {"key": "spatial", "value": "東京都港区"} in by_name["extras"]
    assert by_name["num_resources"] == 1 and by_name["num_tags"] == 2
    # Naive UTC with microseconds, as CKAN writes it.
    assert len(by_name["metadata_modified"]) == 26 and "+" not in by_name["metadata_modified"]
    (item,) = by_name["resources"]
    assert item["id"] == str(resource.pk) and item["package_id"] == str(row.pk)
    assert item["format"] == "CSV" and item["url_type"] == "upload"
    assert item["url"].startswith("http://testserver/dataset/shelters/resource/")
    assert item["hash"] == resource.hash and item["size"] == resource.size
    assert item["position"] == 0 and item["datastore_active"] is False


def test_package_show_not_found_and_extra_keys_ignored(client, minato):
    row = dataset(name="shelters")
    response = get(client, "package_show", id="nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["__type"] == "Not Found Error"
    assert error["message"].startswith("Not found")
    assert response.json()["success"] is False
    response = get(client, "package_show", id=row.name, include_datasets="false",
                   include_password_hash="true", include_users="false")
    assert response.status_code == 200
    missing = client.get("/api/3/action/package_show", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 409
    assert missing.json()["error"] == {"id": ["Missing value"], "__type": "Validation Error"}


def test_package_search_facets_on_get(client, minato):
    first = dataset(title="避難所一覧", tags=("防災",))
    csv_resource(first)
    dataset(title="公園一覧", tags=("公園",), organization_code="doboku")
    response = get(client, "package_search", q="*:*", rows=0,
                   **{"facet.field": '["organization","tags","res_format"]'})
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["count"] == 2 and result["results"] == []
    assert result["facets"]["organization"] == {"disaster-management": 1, "doboku": 1}
    assert result["facets"]["res_format"] == {"CSV": 1}
    items = result["search_facets"]["tags"]["items"]
    assert result["search_facets"]["tags"]["title"] == "tags"
    assert sorted(items, key=lambda item: item["name"]) == [
        {"name": "公園", "display_name": "公園", "count": 1},
        {"name": "防災", "display_name": "防災", "count": 1}]
    assert result["sort"] == "score desc, metadata_modified desc"


def test_package_search_filters_and_posts(client, minato):
    first = dataset(title="避難所一覧", tags=("防災",))
    dataset(title="公園一覧", tags=("公園",), organization_code="doboku")
    body = post(client, "package_search", {"fq": "tags:防災", "facet.field": ["tags"],
                                           "rows": 5}).json()["result"]
    assert [row["name"] for row in body["results"]] == [first.name]
    assert body["facets"] == {"tags": {"防災": 1}}
    excluded = get(client, "package_search", fq="-organization:doboku").json()["result"]
    assert [row["name"] for row in excluded["results"]] == [first.name]
    text = get(client, "package_search", q="避難所").json()["result"]
    assert text["count"] == 1
    fields = get(client, "package_search", fl="id,name").json()["result"]["results"]
    assert all(set(row) == {"id", "name"} for row in fields)


def test_rows_are_capped_at_1000(client, minato):
    dataset()
    response = get(client, "package_search", rows=5000)
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert len(response.json()["result"]["results"]) == 1


def test_unknown_search_parameter_is_a_search_query_error(client, minato):
    response = get(client, "package_search", foo="bar")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["__type"] == "Search Query Error"
    assert error["message"] == ("Search Query is invalid: Invalid search parameters: "
                                "['foo']")
    # The Solr tuning parameters CKAN accepts are accepted (and have no effect here).
    accepted = get(client, "package_search", qf="title", wt="json", defType="edismax",
                   mm="1", tie="0.1", bf="x", boost="y", use_default_schema="true",
                   include_deleted="false", ext_bbox="1,2,3,4")
    assert accepted.status_code == 200
    bad_query = get(client, "package_search", fq="nosuchfield:1")
    assert bad_query.status_code == 400
    assert bad_query.json()["error"]["__type"] == "Search Query Error"
    assert bad_query.json()["error"]["message"].startswith("Search Query is invalid: ")


def test_unknown_action_get_on_write_and_write_without_token(client, minato):
    response = get(client, "no_such_action")
    assert response.status_code == 400
    assert response["Content-Type"] == JSON
    assert response.json() == "Bad request - Action name not known: no_such_action"
    response = get(client, "package_create")
    assert response.status_code == 400
    assert response.json() == ("Bad request - JSON Error: Invalid request. Please use POST "
                               "method for your request")
    response = post(client, "package_create", {"name": "x-y", "owner_org": "doboku"})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["__type"] == "Authorization Error"
    assert error["message"].startswith("Access denied: ")
    assert not Dataset.objects.filter(name="x-y").exists()


def test_bad_json_bodies_are_bad_requests(client, minato):
    for body in ("{not json", "[1, 2]", '"text"'):
        response = client.post("/api/action/package_list", body,
                               content_type="application/json")
        assert response.status_code == 400
        assert response.json().startswith("Bad request - JSON Error: ")
    latin = client.post("/api/action/package_list", "{\"a\": \"\xe9\"}".encode("latin-1"),
                        content_type="application/json")
    assert latin.status_code == 400


def test_organization_list_resource_show_tag_list(client, minato):
    row = dataset(tags=("防災",))
    resource = csv_resource(row)
    dataset(organization_code="doboku", private=True, tags=("秘密",))
    organizations = get(client, "organization_list", all_fields="true").json()["result"]
    by_name = {item["name"]: item for item in organizations}
    assert by_name["disaster-management"]["package_count"] == 1
    assert by_name["doboku"]["package_count"] == 0  # its only dataset is private
    assert {"name", "title", "package_count", "id"} <= set(by_name["doboku"])
    names = get(client, "organization_list").json()["result"]
    assert sorted(names) == ["disaster-management", "doboku"]
    shown = get(client, "resource_show", id=str(resource.pk)).json()["result"]
    assert shown["package_id"] == str(row.pk) and shown["name"] == resource.name
    assert get(client, "tag_list").json()["result"] == ["防災"]
    assert get(client, "tag_list", all_fields="true").json()["result"][0]["name"] == "防災"
    assert get(client, "license_list").json()["result"][0]["id"] == "CC-BY-4.0"


def test_organization_and_group_show(client, minato):
    theme = services.group_ensure(name="disaster", title="防災")
    row = dataset(groups=["disaster"])
    dataset(private=True, groups=["disaster"])
    shown = get(client, "organization_show", id="disaster-management",
                include_datasets="true").json()["result"]
    assert shown["package_count"] == 1
    assert [item["name"] for item in shown["packages"]] == [row.name]
    assert "packages" not in get(client, "organization_show",
                                 id="disaster-management").json()["result"]
    group = get(client, "group_show", id=str(theme.pk), include_datasets=True).json()["result"]
    assert group["name"] == "disaster" and group["package_count"] == 1
    assert [item["name"] for item in group["packages"]] == [row.name]
    assert get(client, "group_list").json()["result"] == ["disaster"]
    assert get(client, "group_show", id="nope").status_code == 404


def test_current_package_list_with_resources(client, minato):
    old = dataset(name="old-one")
    new = dataset(name="new-one")
    csv_resource(new)
    result = get(client, "current_package_list_with_resources").json()["result"]
    assert [row["name"] for row in result] == [new.name, old.name]
    assert result[0]["num_resources"] == 1
    assert [row["name"] for row in get(client, "current_package_list_with_resources",
                                       limit=1, offset=1).json()["result"]] == [old.name]


def test_jsonp_only_for_plain_callback_names(client, minato):
    response = get(client, "package_list", callback="handle.data")
    assert response["Content-Type"] == "application/javascript;charset=utf-8"
    assert response.content.decode() == 'handle.data({"help": ' + json.dumps(
        "http://testserver/api/3/action/help_show?name=package_list") + \
        ', "success": true, "result": []});'
    unsafe = get(client, "package_list", callback="alert(1)//")
    assert unsafe["Content-Type"] == JSON


def test_help_show_and_autocomplete(client, minato):
    dataset(name="shelter-list", title="避難所一覧")
    text = client.get("/api/3/action/help_show", {"name": "package_search"}).json()["result"]
    assert text.startswith("Search datasets")
    found = get(client, "package_autocomplete", q="shelter").json()["result"]
    assert found == [{"name": "shelter-list", "title": "避難所一覧", "match_field": "name",
                      "match_displayed": "shelter-list"}]


def test_no_redirect_and_no_csrf_on_either_prefix(minato):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for prefix in ("/api/action/", "/api/3/action/"):
        response = strict.post(f"{prefix}package_list", "{}", content_type="application/json")
        assert response.status_code == 200
