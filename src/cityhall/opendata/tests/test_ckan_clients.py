"""The real `ckanapi` client (PyPI) against a live server (issue 8: "must work against it
unchanged"): it POSTs JSON to /api/action/ and follows no redirects."""

import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, SearchQueryError, ValidationError

from cityhall.opendata import services
from cityhall.opendata.models import Dataset

from .factories import csv_resource, dataset, organization

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(transactional_db, live_server, minato):
    return live_server


def test_ckanapi_reads(site):
    first = dataset(name="shelters", title="避難所一覧", tags=("防災",))
    csv_resource(first)
    dataset(name="parks", title="公園一覧", tags=("公園",), organization_code="doboku")
    dataset(name="hidden", private=True)
    ckan = RemoteCKAN(site.url, user_agent="cityhall-tests")
    assert ckan.action.package_list() == ["parks", "shelters"]
    shown = ckan.action.package_show(id="shelters")
    assert shown["name"] == "shelters" and shown["num_resources"] == 1
    assert ckan.action.package_show(id=shown["id"]) == shown
    # The keys `ckanapi dump` adds are ignored.
    assert ckan.action.package_show(id="shelters", include_datasets=False,
                                    include_password_hash=True) == shown
    found = ckan.call_action("package_search", {"fq": "tags:防災", "rows": 5,
                                                "facet.field": ["organization", "tags"]})
    assert [row["name"] for row in found["results"]] == ["shelters"]
    assert found["facets"]["organization"] == {"disaster-management": 1}
    # GET as well (get_only sends the parameters in the query string).
    reader = RemoteCKAN(site.url, get_only=True)
    got = reader.call_action("package_search", {"q": "公園",
                                                "facet.field": '["tags","organization"]'})
    assert got["count"] == 1 and got["facets"]["tags"] == {"公園": 1}
    with pytest.raises(NotFound):
        ckan.action.package_show(id="hidden")
    with pytest.raises(NotFound):
        ckan.action.package_show(id="nope")
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(foo="bar")
    orgs = ckan.action.organization_list(all_fields=True)
    assert {row["name"]: row["package_count"] for row in orgs} == {
        "disaster-management": 1, "doboku": 1}
    assert ckan.action.resource_show(id=shown["resources"][0]["id"])["package_id"] == \
        shown["id"]


def test_ckanapi_writes_need_a_token(site, officer, tmp_path):
    organization()
    anonymous = RemoteCKAN(site.url)
    with pytest.raises(NotAuthorized):
        anonymous.action.package_create(name="aed", title="AED", owner_org="disaster-management")
    assert not Dataset.objects.filter(name="aed").exists()

    _row, token = services.api_token_issue(actor=officer, name="ckanapi")
    ckan = RemoteCKAN(site.url, apikey=token)
    created = ckan.action.package_create(name="aed", title="AED設置箇所",
                                         owner_org="disaster-management",
                                         tags=[{"name": "AED"}])
    assert created["name"] == "aed" and created["tags"][0]["name"] == "AED"
    with pytest.raises(ValidationError) as error:
        ckan.action.package_create(name="Bad Name", title="x", owner_org="disaster-management")
    assert "name" in error.value.error_dict

    link = ckan.action.resource_create(package_id="aed", url="https://example.jp/aed.csv",
                                       name="外部CSV", format="CSV")
    assert link["url"] == "https://example.jp/aed.csv"
    path = tmp_path / "aed.csv"
    path.write_bytes("名称,緯度,経度\n港区役所,35.658,139.751\n".encode())
    with path.open("rb") as handle:
        uploaded = ckan.action.resource_create(package_id="aed", name="AED一覧",
                                               upload=handle)
    assert uploaded["format"] == "CSV" and uploaded["url_type"] == "upload"
    assert uploaded["url"].startswith(f"{site.url}/dataset/aed/resource/")
    shown = ckan.action.package_show(id="aed")
    assert [row["name"] for row in shown["resources"]] == ["外部CSV", "AED一覧"]
    patched = ckan.action.package_patch(id="aed", notes="区内のAED")
    assert patched["notes"] == "区内のAED" and patched["num_resources"] == 2
