"""A resource's page with its preview (CSV, XLSX, GeoJSON, JSON, PDF) and the downloads: the
headers (attachment, nosniff, ETag, Last-Modified, CORS), 304s, the CSV in UTF-8 with BOM and
in Shift_JIS, links, live datasets (取組27)."""

import hashlib
import io
import json

import pytest
from django.urls import reverse
from django.utils.http import http_date

from cityhall.opendata import links, services
from cityhall.opendata.registry import LiveDataset, _live_datasets

from .factories import csv_resource, dataset

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CSV = "名称,緯度,経度\r\n芝公園,35.6554,139.7497\r\n有栖川宮記念公園,35.6517,139.7245\r\n"


@pytest.fixture
def shelters(minato):
    return dataset(name="shelters", title="指定避難所一覧")


def upload(dataset_row, content: bytes, filename: str, name="file"):
    return services.resource_create(actor=None, dataset=dataset_row, name=name,
                                    upload=content, filename=filename)


def page(client, resource, **headers):
    return client.get(reverse("opendata:resource_detail",
                              args=[resource.dataset.name, resource.pk]), **headers)


def test_csv_preview_is_an_accessible_table(client, shelters):
    rows = "列A,列B\r\n" + "".join(f"{n},<b>{n}</b>\r\n" for n in range(30))
    resource = upload(shelters, rows.encode(), "rows.csv")
    response = page(client, resource, **EN)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.kind == "table"
    assert preview.columns == ["列A", "列B"]
    assert len(preview.rows) == 20 and preview.rows[0] == ["0", "<b>0</b>"]
    assert preview.more_rows
    html = response.content.decode()
    assert "The first 20 rows of the file" in html
    assert '<th scope="col">列A</th>' in html
    assert "<caption" in html
    assert "<b>0</b>" not in html and "&lt;b&gt;0&lt;/b&gt;" in html


def test_xlsx_preview_shows_the_first_sheet(client, shelters):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["施設名", "定員"])
    for number in range(25):
        sheet.append([f"施設{number}", number * 10])
    workbook.create_sheet("second").append(["other"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    resource = upload(shelters, buffer.getvalue(), "facilities.xlsx")
    preview = page(client, resource).context["preview"]
    assert preview.kind == "table"
    assert preview.columns == ["施設名", "定員"]
    assert preview.rows[:2] == [["施設0", "0"], ["施設1", "10"]]
    assert len(preview.rows) == 20 and preview.more_rows


def test_geojson_preview_is_a_map_over_a_table(client, shelters):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [139.7497, 35.6554]},
         "properties": {"name": "芝公園", "capacity": 300}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
            [[139.1, 35.1], [139.2, 35.1], [139.2, 35.2], [139.1, 35.1]]]},
         "properties": {"name": "<script>x</script>", "ward": "港区"}},
    ]}
    resource = upload(shelters, json.dumps(collection).encode(), "sites.geojson")
    response = page(client, resource, **EN)
    preview = response.context["preview"]
    assert preview.kind == "geojson"
    assert preview.columns == ["name", "capacity", "ward"]
    assert preview.rows == [["芝公園", "300", "", "Point", "35.6554", "139.7497"],
                            ["<script>x</script>", "", "港区", "Polygon", "35.1", "139.1"]]
    html = response.content.decode()
    assert 'id="opendata-map"' in html and "preview-map.js" in html
    assert f'data-geojson="{links.resource_download_url(resource)}"' in html
    assert "<script>x</script>" not in html
    assert "cyberjapandata.gsi.go.jp" in response["Content-Security-Policy"]


def test_json_preview_is_escaped_pretty_text(client, shelters):
    data = {"items": [{"html": "<img src=x onerror=alert(1)>", "n": n} for n in range(200)]}
    resource = upload(shelters, json.dumps(data).encode(), "data.json")
    response = page(client, resource, **EN)
    preview = response.context["preview"]
    assert preview.kind == "json" and preview.truncated
    assert len(preview.text) == 4096
    assert preview.text.startswith('{\n  "items": [\n    {\n')
    html = response.content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "Only the start of the file is shown" in html


def test_pdf_has_no_preview_but_a_download(client, shelters):
    resource = upload(shelters, b"%PDF-1.4\n%%EOF\n", "report.pdf")
    response = page(client, resource, **EN)
    assert response.context["preview"].kind == "none"
    assert "Files of this format are not previewed." in response.content.decode()
    assert links.resource_download_url(resource) in response.content.decode()


def test_a_broken_file_gives_no_preview_not_an_error(client, shelters):
    resource = upload(shelters, CSV.encode(), "list.csv")
    resource.file.storage.delete(resource.file.name)
    response = page(client, resource, **EN)
    assert response.status_code == 200
    assert response.context["preview"].reason == "unreadable"


def test_the_download_headers(client, shelters):
    resource = upload(shelters, CSV.encode(), "list.csv")
    url = links.resource_download_url(resource)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == CSV.encode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{links.resource_filename(resource)}"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"] == f'"{hashlib.sha256(CSV.encode()).hexdigest()}"'
    assert response["Last-Modified"] == http_date(resource.last_modified.timestamp())
    assert response["Content-Length"] == str(len(CSV.encode()))
    assert "public" in response["Cache-Control"]
    # Any file name in the address serves the file (CKAN's rule).
    other = reverse("opendata:resource_download", kwargs={
        "name": "shelters", "resource_id": resource.pk, "filename": "whatever.csv"})
    assert b"".join(client.get(other).streaming_content) == CSV.encode()


def test_conditional_requests_get_304(client, shelters):
    resource = upload(shelters, CSV.encode(), "list.csv")
    url = links.resource_download_url(resource)
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    since = http_date(resource.last_modified.timestamp() + 1)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    earlier = http_date(resource.last_modified.timestamp() - 3600)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    # The BOM and Shift_JIS files are other representations: other ETags.
    bom = client.get(url + "?encoding=utf-8-bom")
    assert bom["ETag"] == etag[:-1] + '-bom"'
    assert client.get(url + "?encoding=utf-8-bom", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_csv_with_bom_and_in_shift_jis(client, shelters):
    resource = upload(shelters, CSV.encode(), "list.csv")
    url = links.resource_download_url(resource)
    bom = client.get(url + "?encoding=utf-8-bom")
    assert b"".join(bom.streaming_content) == b"\xef\xbb\xbf" + CSV.encode()
    assert bom["Content-Length"] == str(len(CSV.encode()) + 3)
    sjis = client.get(url + "?encoding=shift_jis")
    assert sjis.status_code == 200
    assert b"".join(sjis.streaming_content) == CSV.encode("cp932")
    assert sjis["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert sjis["Content-Disposition"].startswith("attachment;")


def test_shift_jis_is_refused_for_characters_it_does_not_have(client, shelters):
    text = "名称,備考\r\n芝公園,普通\r\n𠮷野家前,🍣\r\n"
    resource = upload(shelters, text.encode(), "list.csv")
    response = client.get(links.resource_download_url(resource) + "?encoding=shift_jis", **EN)
    assert response.status_code == 400
    html = response.content.decode()
    assert "line 3" in html and "U+20BB7" in html
    assert "?encoding=utf-8-bom" in html


def test_unknown_encodings_are_refused(client, shelters):
    resource = upload(shelters, b'{"a": 1}', "data.json")
    url = links.resource_download_url(resource)
    for encoding in ("shift_jis", "latin-1"):
        response = client.get(url + f"?encoding={encoding}", **EN)
        assert response.status_code == 400
        assert "Unknown encoding." in response.content.decode()
    response = client.get(url)
    assert response["Content-Type"] == "application/json"


def test_links_redirect_and_unknown_resources_are_not_found(client, shelters):
    link = services.resource_create(actor=None, dataset=shelters, name="外部",
                                    url="https://example.jp/data.csv", format="CSV")
    download = reverse("opendata:resource_download", kwargs={
        "name": "shelters", "resource_id": link.pk, "filename": "data.csv"})
    response = client.get(download)
    assert response.status_code == 302 and response["Location"] == "https://example.jp/data.csv"
    other = dataset(name="other")
    resource = csv_resource(other)
    wrong_dataset = reverse("opendata:resource_download", kwargs={
        "name": "shelters", "resource_id": resource.pk, "filename": "list.csv"})
    assert client.get(wrong_dataset).status_code == 404
    services.resource_delete(actor=None, resource=resource)
    assert client.get(links.resource_download_url(resource)).status_code == 404
    assert client.get(reverse("opendata:resource_detail",
                              args=["other", resource.pk])).status_code == 404


def test_private_downloads_are_private(client, minato, disaster_editor):
    secret = dataset(name="secret", private=True)
    resource = csv_resource(secret)
    url = links.resource_download_url(resource)
    assert client.get(url).status_code == 404
    client.force_login(disaster_editor)
    response = client.get(url)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_live_datasets_are_refreshed_before_a_download(client, minato):
    from cityhall.opendata import live

    state = {"rows": [["芝公園", "35.65"]], "version": "1"}
    provider = LiveDataset(
        key="test.parks", name="live-parks", title="公園一覧", title_en="Parks",
        organization="doboku", columns=["名称", "緯度"], rows=lambda: state["rows"],
        version=lambda: state["version"])
    _live_datasets[provider.key] = provider
    try:
        (live_row,) = [row for row in live.live_datasets_sync() if row.live_key == "test.parks"]
        resource = live_row.resources.get()
        assert not resource.file
        url = links.resource_download_url(resource)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == "名称,緯度\r\n芝公園,35.65\r\n".encode()
        page_html = client.get(f"/dataset/{live_row.name}", **EN).content.decode()
        assert "Updated automatically from the city's systems" in page_html
    finally:
        _live_datasets.pop(provider.key, None)
