"""Odd input to the CKAN Action API: always a CKAN error (400/403/404/409), never a 500, and
nothing changed."""

import json

import pytest

from cityhall.opendata import services
from cityhall.opendata.ckan.actions import ACTIONS
from cityhall.opendata.models import Dataset, Resource

from .factories import csv_resource, dataset, organization

pytestmark = pytest.mark.django_db

ODD_VALUES = ["abc", -1, [], {}, [1, {"a": None}], None, True, 10**30, -(10**30), "",
              "not json", '["tags"', '{"a": 1}', "\x00", "\ud800", "9" * 400, 1.5, "*:*",
              "metadata_modified:[x TO y]", "((((", '"', "tags:(", "id asc, ;drop"]
KEYS = ["id", "name", "rows", "start", "limit", "offset", "q", "fq", "fq_list", "sort",
        "facet", "facet.field", "facet.limit", "facet.mincount", "include_private",
        "include_drafts", "all_fields", "include_datasets", "query", "owner_org", "tags",
        "groups", "extras", "resources", "private", "package_id", "url", "upload", "fl",
        "callback"]


@pytest.fixture
def writer(minato, officer):
    organization()
    return services.api_token_issue(actor=officer, name="odd input")[1]


def _body(response):
    return json.loads(response.content.decode())


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_odd_json_values_never_make_a_500(client, minato, writer, name):
    row = dataset(name="target")
    csv_resource(row)
    before = (Dataset.objects.count(), Resource.objects.count(),
              sorted(Dataset.objects.values_list("name", "title", "state", "private")))
    for key in KEYS:
        for value in ODD_VALUES:
            body = {key: value}
            if key != "id":
                body["id"] = "target"
            if name.startswith("resource_") and key not in ("id", "package_id"):
                body["package_id"] = "target"
            response = client.post(f"/api/action/{name}", json.dumps(body),
                                   content_type="application/json",
                                   HTTP_AUTHORIZATION=writer)
            assert response.status_code < 500, (name, body, response.content[:300])
            if response.status_code != 200:
                payload = _body(response)
                assert isinstance(payload, str) or payload["success"] is False
    if name in ("package_update", "package_patch", "package_delete", "resource_update",
                "resource_delete", "package_create", "resource_create"):
        return  # some odd values are valid changes for these (e.g. private=true)
    after = (Dataset.objects.count(), Resource.objects.count(),
             sorted(Dataset.objects.values_list("name", "title", "state", "private")))
    assert after == before


@pytest.mark.parametrize("query", [
    "rows=abc", "start=-1", "rows=-5", "start=99999999999999999999999", "rows=1e3",
    "facet.field=not+json", "facet.field=%7B%7D", "facet.field=%5B1%5D",
    "facet.field=%5B%22password%22%5D", "facet.limit=x", "facet.mincount=-3", "sort=nope",
    "sort=name+sideways", "q=%00", "fq=tags:%22x", "include_private=maybe", "id=&id=",
    "fq_list=a&fq_list=tags:", "q=a&q=b", "fq=metadata_modified:%5Bnow+TO+*%5D",
    "start=9223372036854775807", "rows=9223372036854775808", "facet=sometimes"])
def test_odd_query_strings_on_package_search(client, minato, query):
    dataset()
    response = client.get(f"/api/3/action/package_search?{query}")
    assert response.status_code in (200, 400, 409), (query, response.content[:300])
    body = response.json()
    if response.status_code == 400:
        assert body["error"]["__type"] == "Search Query Error"
    if response.status_code == 409:
        assert body["error"]["__type"] == "Validation Error"


def test_typical_odd_values_get_ckan_validation_errors(client, minato):
    # The reasons are translated: English when the client asks for it, Japanese by default.
    rows = client.get("/api/3/action/package_search", {"rows": "abc"},
                      HTTP_ACCEPT_LANGUAGE="en")
    assert rows.status_code == 409
    assert rows.json()["error"] == {"rows": ["Invalid integer"], "__type": "Validation Error"}
    rows = client.get("/api/3/action/package_search", {"rows": "abc"})
    assert rows.json()["error"]["rows"] == ["整数ではありません"]
    start = client.get("/api/3/action/package_search", {"start": "-1"})
    assert start.status_code == 409 and set(start.json()["error"]) == {"start", "__type"}
    facets = client.get("/api/3/action/package_search", {"facet.field": "not json"})
    assert facets.status_code == 409
    assert list(facets.json()["error"]) == ["facet.field", "__type"]
    listed = client.post("/api/action/package_show", json.dumps({"id": []}),
                         content_type="application/json")
    assert listed.status_code == 409
    huge = client.get("/api/3/action/package_search", {"start": str(10**30)})
    assert huge.status_code == 200 and huge.json()["result"]["results"] == []


def test_other_methods_and_big_bodies(client, minato, settings):
    assert client.put("/api/action/package_list").status_code == 405
    assert client.delete("/api/3/action/package_list").status_code == 405
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    big = client.post("/api/action/package_list", {"q": "x" * 500})
    assert big.status_code == 400
    assert big.json().startswith("Bad request - JSON Error")
