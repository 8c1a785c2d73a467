"""The catalogue's back office (取組27): who may open each page, creating and editing datasets
and files through the services, bad uploads refused with nothing stored, live datasets whose
files cannot be edited, API tokens."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityhall.core.models import AuditEvent
from cityhall.opendata import services
from cityhall.opendata.models import ApiToken, Dataset, Resource

from .factories import csv_resource, dataset

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIST = "/opendata/staff/"
NEW = "/opendata/staff/new"
TOKENS = "/opendata/staff/tokens"


@pytest.fixture
def shelters(minato):
    row = dataset(name="shelters", title="指定避難所一覧")
    csv_resource(row)
    return row


@pytest.fixture
def parks(minato):
    return dataset(name="parks", title="公園一覧", organization_code="doboku")


def snapshot():
    return (list(Dataset.objects.order_by("name").values()),
            list(Resource.objects.order_by("id").values()),
            list(ApiToken.objects.values()))


def staff_urls(row):
    resource = row.resources.first()
    return [LIST, NEW, TOKENS, f"/opendata/staff/dataset/{row.name}",
            f"/opendata/staff/dataset/{row.name}/delete",
            f"/opendata/staff/dataset/{row.name}/resource/new",
            f"/opendata/staff/dataset/{row.name}/resource/{resource.pk}",
            f"/opendata/staff/dataset/{row.name}/resource/{resource.pk}/delete"]


def test_the_url_names(minato):
    assert reverse("opendata:staff_datasets") == LIST
    assert reverse("opendata:staff_tokens") == TOKENS


def test_anonymous_visitors_are_sent_to_sign_in(client, shelters):
    before = snapshot()
    for url in staff_urls(shelters):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(f"/opendata/staff/dataset/{shelters.name}/delete")
    assert response.status_code == 302
    assert snapshot() == before


def test_residents_and_staff_without_a_role_are_refused(client, shelters, hanako, clerk):
    before = snapshot()
    for user in (hanako.user, clerk):
        client.force_login(user)
        for url in staff_urls(shelters):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(f"/opendata/staff/dataset/{shelters.name}/delete").status_code == 403
        assert client.post(NEW, {"name": "x1", "title": "x"}).status_code == 403
        assert client.post(TOKENS, {"action": "issue", "name": "t"}).status_code == 403
    assert snapshot() == before


def test_a_department_editor_cannot_touch_another_departments_dataset(client, shelters, parks,
                                                                       disaster_editor):
    client.force_login(disaster_editor)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [row.name for row in response.context["page"].object_list] == ["shelters"]
    before = snapshot()
    url = "/opendata/staff/dataset/parks"
    assert client.get(url).status_code == 403
    assert client.post(url, {"organization": parks.organization_id, "name": "parks",
                             "title": "乗っ取り", "license_id": "CC-BY-4.0",
                             "update_frequency": "IRREG", "state": "active"}).status_code == 403
    assert client.post(url + "/delete").status_code == 403
    assert client.post(url + "/resource/new", {"name": "x", "url": "https://e.jp/a"}
                       ).status_code == 403
    # A private dataset of another department is not even "forbidden": it does not exist.
    dataset(name="parks-private", organization_code="doboku", private=True)
    assert client.get("/opendata/staff/dataset/parks-private").status_code == 404
    # Nor may a new dataset be filed under another department.
    response = client.post(NEW, {"organization": parks.organization_id, "name": "sneaky",
                                 "title": "x", "license_id": "CC-BY-4.0",
                                 "update_frequency": "IRREG", "state": "active"})
    assert response.status_code == 400
    after = snapshot()
    assert after[1:] == before[1:]
    assert [row["name"] for row in after[0]] == ["parks", "parks-private", "shelters"]
    assert [row for row in after[0] if row["name"] == "parks"] == [
        row for row in before[0] if row["name"] == "parks"]


def _dataset_post(organization, **values):
    data = {"organization": organization.pk, "name": "aed-list", "title": "AED設置箇所一覧",
            "title_en": "AED locations", "notes": "区内のAED", "notes_en": "",
            "tags": "医療, 防災、AED", "groups": [], "license_id": "CC-BY-4.0",
            "update_frequency": "MONTHLY", "spatial": "東京都港区",
            "temporal_start": "2026-01-01", "temporal_end": "", "contact_name": "保健予防課",
            "contact_email": "hoken@example.jp", "contact_phone": "", "url": "",
            "version": "", "standard": "", "state": "draft"}
    data.update(values)
    return data


def test_an_editor_creates_edits_and_withdraws_a_dataset(client, shelters, disaster_editor):
    client.force_login(disaster_editor)
    form_page = client.get(NEW, **EN)
    assert form_page.status_code == 200
    organizations = list(form_page.context["form"].fields["organization"].queryset)
    assert [org.name for org in organizations] == ["disaster-management"]
    assert form_page.context["form"]["license_id"].initial == "CC-BY-4.0"
    response = client.post(NEW, _dataset_post(organizations[0]))
    assert response.status_code == 302
    created = Dataset.objects.get(name="aed-list")
    assert response["Location"] == "/opendata/staff/dataset/aed-list"
    assert created.state == "draft" and created.created_by == disaster_editor
    assert sorted(created.tags.values_list("name", flat=True)) == ["AED", "医療", "防災"]
    assert str(created.temporal_start) == "2026-01-01"
    assert AuditEvent.objects.filter(action="opendata.dataset_create",
                                     actor=disaster_editor).count() == 1
    # Drafts are on the staff list, not in the public catalogue.
    assert "aed-list" in client.get(LIST).content.decode()
    client.logout()
    assert client.get("/dataset/aed-list").status_code == 404
    client.force_login(disaster_editor)
    response = client.post("/opendata/staff/dataset/aed-list",
                           _dataset_post(organizations[0], state="active",
                                         title="AED一覧"))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.state == "active" and created.title == "AED一覧"
    response = client.get("/opendata/staff/dataset/aed-list/delete", **EN)
    assert "Withdraw the dataset" in response.content.decode()
    assert client.post("/opendata/staff/dataset/aed-list/delete").status_code == 302
    created.refresh_from_db()
    assert created.state == "deleted"
    assert client.get("/opendata/staff/dataset/aed-list").status_code == 404


def test_an_invalid_dataset_form_shows_errors_and_stores_nothing(client, shelters, officer):
    client.force_login(officer)
    organization = shelters.organization
    before = snapshot()
    for values, field in [({"name": "Bad Name!"}, "name"), ({"name": "shelters"}, "name"),
                          ({"title": ""}, "title"), ({"license_id": "nope"}, "license_id"),
                          ({"tags": "<script>"}, "tags"),
                          ({"temporal_start": "2026-02-01", "temporal_end": "2026-01-01"},
                           "temporal_end"),
                          ({"temporal_start": "yesterday"}, "temporal_start")]:
        response = client.post(NEW, _dataset_post(organization, **values), **EN)
        assert response.status_code == 400, values
        assert response.context["form"].errors.get(field), (values, response.context[
            "form"].errors)
        assert "Please correct the following" in response.content.decode()
    assert snapshot() == before


def _upload(content: bytes, name: str):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_a_shift_jis_csv_is_converted_and_said_so(client, shelters, disaster_editor):
    client.force_login(disaster_editor)
    text = "名称,住所\r\n港区役所,芝公園1-5-25\r\n髙輪区民センター,高輪1-16-25\r\n"
    response = client.post(f"/opendata/staff/dataset/{shelters.name}/resource/new", {
        "name": "施設一覧", "file": _upload(text.encode("cp932"), "facilities.csv")},
        follow=True, **EN)
    assert response.status_code == 200
    resource = shelters.resources.get(name="施設一覧")
    assert resource.source_encoding == "shift_jis"
    assert resource.file.read() == text.encode()
    page = response.content.decode()
    assert "It was in Shift_JIS and was converted to UTF-8." in page
    assert "2 rows of data." in page
    assert "Shift_JIS converted to UTF-8" in page


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"<html><script>alert(1)</script></html>", "page.html", "Only these formats"),
    (b"<html><body>hi</body></html>", "page.csv", "looks like a web page"),
    ("\ufeff <!DOCTYPE html><p>x</p>".encode(), "page.csv", "looks like a web page"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image.json", "looks like a web page"),
    (b"a,b\r\n1,2,3\r\n", "ragged.csv", "Row 2 of the CSV file has 3 columns"),
    (b"", "empty.csv", None),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(client, shelters, disaster_editor,
                                                       content, filename, message, tmp_path):
    client.force_login(disaster_editor)
    before = snapshot()
    response = client.post(f"/opendata/staff/dataset/{shelters.name}/resource/new", {
        "name": "悪いファイル", "file": _upload(content, filename)}, **EN)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors.get("file") or errors.get("__all__"), errors
    if message:
        assert message in " ".join(errors["file"])
    assert snapshot() == before
    assert not (tmp_path / "attachments" / "opendata").exists() or sorted(
        p.name for p in (tmp_path / "attachments" / "opendata").rglob("*") if p.is_file()) == [
        shelters.resources.get().file.name.rsplit("/", 1)[-1]]


def test_a_file_over_the_limit_is_refused(client, shelters, disaster_editor, settings):
    settings.OPENDATA_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(disaster_editor)
    before = snapshot()
    big = ("a,b\r\n" + "1,2\r\n" * 300_000).encode()
    response = client.post(f"/opendata/staff/dataset/{shelters.name}/resource/new", {
        "name": "大きい", "file": _upload(big, "big.csv")}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is larger than 1 MB."]
    assert snapshot() == before


def test_a_file_or_a_link_but_not_both(client, shelters, disaster_editor):
    client.force_login(disaster_editor)
    url = f"/opendata/staff/dataset/{shelters.name}/resource/new"
    before = snapshot()
    for data in ({"name": "x"}, {"name": "x", "url": "https://e.jp/a.csv",
                                 "file": _upload(b"a\r\n1\r\n", "a.csv")}):
        response = client.post(url, data, **EN)
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [
            "Give either a file or an address, not both."]
    assert snapshot() == before
    response = client.post(url, {"name": "外部データ", "url": "https://example.jp/a.json",
                                 "format": "JSON"})
    assert response.status_code == 302
    link = shelters.resources.get(name="外部データ")
    assert link.kind == "link" and link.format == "JSON"


def test_edit_replace_and_remove_a_file(client, shelters, disaster_editor):
    client.force_login(disaster_editor)
    resource = shelters.resources.get()
    url = f"/opendata/staff/dataset/{shelters.name}/resource/{resource.pk}"
    response = client.post(url, {"name": "新しい名前", "name_en": "New name",
                                 "description": "説明",
                                 "file": _upload("名称\r\n新\r\n".encode(), "new.csv")})
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.name == "新しい名前" and resource.row_count == 1
    assert resource.file.read() == "名称\r\n新\r\n".encode()
    response = client.post(url, {"name": "", "description": ""}, **EN)
    assert response.status_code == 400
    assert client.post(url + "/delete").status_code == 302
    resource.refresh_from_db()
    assert resource.state == "deleted"


def test_live_datasets_files_cannot_be_edited_but_their_metadata_can(client, minato, officer):
    live_row = dataset(name="live-facilities", title="公共施設一覧", live_key="core.facilities")
    live_file = Resource.objects.create(dataset=live_row, name="公共施設一覧 (CSV)",
                                        kind=Resource.Kind.LIVE, format="CSV",
                                        live_variant="csv")
    client.force_login(officer)
    page = client.get("/opendata/staff/dataset/live-facilities", **EN).content.decode()
    assert "This is a live dataset" in page
    assert "/resource/new" not in page
    before = snapshot()
    for url in ("/opendata/staff/dataset/live-facilities/resource/new",
                f"/opendata/staff/dataset/live-facilities/resource/{live_file.pk}",
                f"/opendata/staff/dataset/live-facilities/resource/{live_file.pk}/delete"):
        response = client.post(url, {"name": "x", "url": "https://e.jp/a.csv"}, **EN)
        assert response.status_code == 400, url
        assert "cannot be uploaded, replaced or removed here" in response.content.decode()
    assert snapshot() == before
    response = client.post("/opendata/staff/dataset/live-facilities", _dataset_post(
        live_row.organization, name="live-facilities", title="公共施設一覧",
        notes="説明を直した", state="active"))
    assert response.status_code == 302
    live_row.refresh_from_db()
    assert live_row.notes == "説明を直した" and live_row.live_key == "core.facilities"


def test_tokens_are_shown_once_and_revoked(client, minato, disaster_editor, officer):
    from .factories import organization

    organization("disaster-management")  # the editor's department publishes
    client.force_login(disaster_editor)
    page = client.get(TOKENS, **EN).content.decode()
    assert "ckanapi action package_create -r http://testserver -a TOKEN" in page
    response = client.post(TOKENS, {"action": "issue", "name": "月次アップロード"}, **EN)
    assert response.status_code == 200
    token = response.context["issued"]["token"]
    assert token.startswith("chod_") and token in response.content.decode()
    assert services.api_token_user(token) == disaster_editor
    row = ApiToken.objects.get(user=disaster_editor)
    # Shown once: the list shows only the prefix.
    assert token not in client.get(TOKENS).content.decode()
    response = client.post(TOKENS, {"action": "issue", "name": ""}, **EN)
    assert response.status_code == 400 and ApiToken.objects.count() == 1
    # Someone else's token cannot be revoked from here.
    client.force_login(officer)
    assert client.post(TOKENS, {"action": "revoke", "token": row.pk}).status_code == 404
    assert client.post(TOKENS, {"action": "revoke", "token": "abc"}).status_code == 404
    assert services.api_token_user(token) == disaster_editor
    client.force_login(disaster_editor)
    response = client.post(TOKENS, {"action": "revoke", "token": row.pk})
    assert response.status_code == 302
    assert services.api_token_user(token) is None
    assert client.post(TOKENS, {"action": "dance"}).status_code == 400


def test_bad_filters_on_the_staff_list_give_400(client, shelters, officer):
    client.force_login(officer)
    assert client.get(LIST, {"state": "zombie"}).status_code == 400
    assert client.get(LIST, {"organization": "nobody"}).status_code == 400
    response = client.get(LIST, {"q": "避難所", "state": "active"})
    assert [row.name for row in response.context["page"].object_list] == ["shelters"]
    response = client.get(LIST, {"state": "draft"})
    assert list(response.context["page"].object_list) == []
