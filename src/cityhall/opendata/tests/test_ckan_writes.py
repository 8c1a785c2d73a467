"""The CKAN write actions with staff API tokens: who may write where, CKAN's replace and
patch semantics, validation errors per field, and nothing changed when refused."""

import json

import pytest

from cityhall.core.models import AuditEvent
from cityhall.opendata import services
from cityhall.opendata.models import Dataset, Resource

from .factories import csv_resource, dataset, organization

pytestmark = pytest.mark.django_db


def call(client, name, body, token=None, header="HTTP_AUTHORIZATION"):
    extra = {header: token} if token else {}
    return client.post(f"/api/action/{name}", json.dumps(body),
                       content_type="application/json", **extra)


@pytest.fixture
def tokens(minato, officer, disaster_editor):
    organization("disaster-management")
    organization("doboku")
    return {"officer": services.api_token_issue(actor=officer, name="all")[1],
            "disaster": services.api_token_issue(actor=disaster_editor, name="mine")[1]}


NEW = {"name": "aed-list", "title": "AED設置箇所一覧", "owner_org": "disaster-management",
       "notes": "区内のAED", "license_id": "CC-BY-4.0", "tags": [{"name": "AED"}, {"name": "医療"}],
       "maintainer": "防災課", "maintainer_email": "bousai@city.minato.example",
       "extras": [{"key": "title_en", "value": "AED locations"},
                  {"key": "temporal_start", "value": "2025-04-01"}],
       "resources": [{"url": "https://example.jp/aed.csv", "name": "AED CSV", "format": "csv"}]}


def test_package_create_with_a_token(client, tokens):
    response = call(client, "package_create", NEW, tokens["disaster"])
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    assert result["name"] == "aed-list" and result["title"] == "AED設置箇所一覧"
    assert [tag["name"] for tag in result["tags"]] == ["AED", "医療"]
    assert result["maintainer"] == "防災課"
    assert {"key": "temporal_start", "value": "2025-04-01"} in result["extras"]
    (resource,) = result["resources"]
    assert resource["url"] == "https://example.jp/aed.csv" and resource["format"] == "CSV"
    assert resource["url_type"] is None
    row = Dataset.objects.get(name="aed-list")
    assert row.title_en == "AED locations" and str(row.temporal_start) == "2025-04-01"
    assert AuditEvent.objects.filter(action="opendata.dataset_create").exists()
    # X-CKAN-API-Key works as well as Authorization (ckanapi sends both).
    again = call(client, "package_create", {**NEW, "name": "aed-2", "resources": []},
                 tokens["officer"], header="HTTP_X_CKAN_API_KEY")
    assert again.status_code == 200


@pytest.mark.parametrize("token", [None, "chod_wrong", "Bearer nothing"])
def test_writes_without_a_valid_token_are_refused(client, tokens, token):
    row = dataset(name="kept", title="元のまま")
    for name, body in (("package_create", NEW), ("package_update", {"id": "kept", "title": "x"}),
                       ("package_patch", {"id": "kept", "title": "x"}),
                       ("package_delete", {"id": "kept"}),
                       ("resource_create", {"package_id": "kept", "url": "https://a.jp/x"})):
        response = call(client, name, body, token)
        assert response.status_code == 403, (name, response.content)
        assert response.json()["error"]["__type"] == "Authorization Error"
    row.refresh_from_db()
    assert row.title == "元のまま" and row.state == "active"
    assert not Dataset.objects.filter(name="aed-list").exists()
    assert not row.resources.exists()


def test_a_department_editor_cannot_write_for_another_department(client, tokens):
    other = dataset(name="parks", organization_code="doboku", title="公園")
    response = call(client, "package_create", {**NEW, "owner_org": "doboku"},
                    tokens["disaster"])
    assert response.status_code == 403
    assert not Dataset.objects.filter(name="aed-list").exists()
    update = call(client, "package_patch", {"id": "parks", "title": "乗っ取り"},
                  tokens["disaster"])
    assert update.status_code == 403
    other.refresh_from_db()
    assert other.title == "公園"
    # Moving one's own dataset into another department is refused as well.
    mine = dataset(name="mine")
    moved = call(client, "package_patch", {"id": "mine", "owner_org": "doboku"},
                 tokens["disaster"])
    assert moved.status_code == 403
    mine.refresh_from_db()
    assert mine.organization.name == "disaster-management"


def test_validation_errors_name_the_field(client, tokens):
    cases = [({**NEW, "name": "Not A Name"}, "name"),
             ({**NEW, "license_id": "nope"}, "license_id"),
             ({**NEW, "owner_org": "no-such-org"}, "owner_org"),
             ({**NEW, "tags": "AED"}, "tags"),
             ({**NEW, "extras": [{"key": "colour", "value": "red"}]}, "extras"),
             ({**NEW, "extras": [{"key": "temporal_start", "value": "April"}]}, "extras"),
             ({**NEW, "title": "x" * 301}, "title"),
             ({**NEW, "resources": [{"url": "ftp://x.jp/a", "name": "a"}]}, "url"),
             ({key: value for key, value in NEW.items() if key != "owner_org"}, "owner_org")]
    for body, field in cases:
        response = call(client, "package_create", body, tokens["officer"])
        assert response.status_code == 409, (field, response.content)
        error = response.json()["error"]
        assert error["__type"] == "Validation Error"
        assert field in error, (field, error)
        assert isinstance(error[field], list)
    # None of them left anything behind (the bad resource rolled the dataset back too).
    assert not Dataset.objects.filter(name="aed-list").exists()
    dataset(name="taken")
    taken = call(client, "package_create", {**NEW, "name": "taken"}, tokens["officer"])
    assert taken.status_code == 409 and "name" in taken.json()["error"]


def test_package_update_replaces_and_patch_changes_only_what_is_given(client, tokens):
    created = call(client, "package_create", NEW, tokens["officer"]).json()["result"]
    link = created["resources"][0]
    patched = call(client, "package_patch", {"id": "aed-list", "notes": "新しい説明"},
                   tokens["officer"]).json()["result"]
    assert patched["notes"] == "新しい説明"
    assert patched["maintainer"] == "防災課" and patched["num_tags"] == 2
    assert patched["num_resources"] == 1
    updated = call(client, "package_update", {
        "id": created["id"], "title": "AED一覧", "tags": [{"name": "AED"}],
        "resources": [{**link, "name": "AED (CSV)"},
                      {"url": "https://example.jp/aed.json", "name": "JSON",
                       "format": "JSON"}]}, tokens["officer"])
    assert updated.status_code == 200, updated.content
    result = updated.json()["result"]
    assert result["title"] == "AED一覧"
    assert [tag["name"] for tag in result["tags"]] == ["AED"]
    # Keys not given are back to their defaults, as in CKAN's package_update.
    assert result["notes"] == "" and result["maintainer"] == ""
    assert result["extras"] == [{"key": "update_frequency", "value": "IRREG"}]
    assert [item["name"] for item in result["resources"]] == ["AED (CSV)", "JSON"]
    assert result["resources"][0]["id"] == link["id"]
    emptied = call(client, "package_update", {"id": "aed-list", "title": "AED一覧",
                                              "resources": []}, tokens["officer"])
    assert emptied.json()["result"]["resources"] == []


def test_resource_create_upload_and_delete(client, tokens):
    row = dataset(name="shelters")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.csv", "名称,緯度\n芝公園,35.65\n".encode("cp932"))
    response = client.post("/api/action/resource_create",
                           {"package_id": "shelters", "name": "一覧", "upload": upload},
                           HTTP_AUTHORIZATION=tokens["disaster"])
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    assert result["package_id"] == str(row.pk) and result["format"] == "CSV"
    assert result["url_type"] == "upload" and result["size"] > 0
    stored = Resource.objects.get(pk=result["id"])
    assert stored.source_encoding.lower() in ("shift_jis", "cp932")
    deleted = call(client, "resource_delete", {"id": result["id"]}, tokens["disaster"])
    assert deleted.status_code == 200 and deleted.json()["result"] is None
    assert client.get("/api/3/action/resource_show", {"id": result["id"]}).status_code == 404
    gone = call(client, "package_delete", {"id": "shelters"}, tokens["disaster"])
    assert gone.status_code == 200
    assert client.get("/api/3/action/package_show", {"id": "shelters"}).status_code == 404


def test_a_bad_upload_changes_nothing(client, tokens):
    row = dataset(name="shelters")
    csv_resource(row)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>")
    response = client.post("/api/action/resource_create",
                           {"package_id": "shelters", "upload": upload},
                           HTTP_AUTHORIZATION=tokens["disaster"])
    assert response.status_code == 409
    assert response.json()["error"]["__type"] == "Validation Error"
    assert row.resources.count() == 1
