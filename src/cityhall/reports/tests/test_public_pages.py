"""The public list, map (GeoJSON), report page and photos (取組13): what the public sees, and
above all what it never sees (contact details, unmoderated text and photos, internal notes,
staff names)."""

import json

import pytest
from django.urls import reverse

from cityhall.core.registry import portal_links

from ..models import Report, ReportPhoto
from ..services.reports import report_transition
from .factories import AZABU_JUBAN, MINATO_LIBRARY, make_report
from .public_helpers import (
    EN,
    JA,
    PRIVATE,
    SECRET_TEXT,
    jpeg_upload,
    pending_dir,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pending_dir")]

INTERNAL_NOTE = "内部メモ：業者Aに連絡済み"
PUBLIC_NOTE = "現地を確認しました。来週補修します。"


@pytest.fixture
def reports(shiba_clerk):
    """An unmoderated report with a photo and private details, and a moderated one with one
    public and one unmoderated photo, a public reply and an internal note."""
    hidden = make_report(place=MINATO_LIBRARY, description=SECRET_TEXT,
                         photos=[jpeg_upload()], **PRIVATE)
    shown = make_report(place=AZABU_JUBAN, description=SECRET_TEXT + " 2",
                        photos=[jpeg_upload("a.jpg"), jpeg_upload("b.jpg")],
                        contact_name="公開 されない", contact_email="hidden2@example.jp",
                        contact_phone="090-1111-2222")
    Report.objects.filter(pk=shown.pk).update(is_public=True,
                                              public_description="車道に穴があります")
    first = shown.photos.order_by("pk").first()
    ReportPhoto.objects.filter(pk=first.pk).update(is_public=True)
    report_transition(report=shown, status=Report.Status.ACKNOWLEDGED, actor=shiba_clerk,
                      public_note=PUBLIC_NOTE, internal_note=INTERNAL_NOTE)
    report_transition(report=shown, status=Report.Status.ACKNOWLEDGED, actor=shiba_clerk,
                      internal_note="二つ目の内部メモ")
    shown.refresh_from_db()
    return {"hidden": hidden, "shown": shown}


def _assert_private_absent(text, reports, clerk=None):
    for value in (*PRIVATE.values(), "公開 されない", "hidden2@example.jp", "090-1111-2222",
                  SECRET_TEXT, INTERNAL_NOTE, "二つ目の内部メモ"):
        assert value not in text, value
    for report in reports.values():
        for photo in report.photos.all():
            assert photo.image.name not in text
            assert photo.image.name.rsplit("/", 1)[-1] not in text
    if clerk is not None:
        for value in (clerk.email, clerk.get_full_name(), clerk.first_name):
            assert not value.strip() or value not in text


def test_the_list_shows_public_fields_only(client, reports, shiba_clerk):
    for headers in (EN, JA):
        response = client.get(reverse("reports:report_list"), **headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert reports["hidden"].reference in html
        assert reports["shown"].reference in html
        assert "車道に穴があります" in html
        _assert_private_absent(html, reports, shiba_clerk)


def test_the_geojson_has_public_fields_only(client, reports, shiba_clerk):
    response = client.get(reverse("reports:report_map"), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    text = response.content.decode()
    _assert_private_absent(text, reports, shiba_clerk)
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 2
    feature = next(f for f in data["features"]
                   if f["properties"]["reference"] == reports["shown"].reference)
    assert set(feature["properties"]) == {"reference", "category", "status", "status_label",
                                          "is_open", "reported_on", "url"}
    assert feature["geometry"]["coordinates"] == [AZABU_JUBAN[1], AZABU_JUBAN[0]]


def test_the_report_pages_show_moderated_text_and_photos_only(client, reports, shiba_clerk):
    hidden, shown = reports["hidden"], reports["shown"]
    for report in (hidden, shown):
        for headers in (EN, JA):
            response = client.get(reverse("reports:report_detail", args=[report.reference]),
                                  **headers)
            assert response.status_code == 200
            _assert_private_absent(response.content.decode(), reports, shiba_clerk)
    html = client.get(reverse("reports:report_detail", args=[hidden.reference]),
                      **EN).content.decode()
    assert "Shown once staff have checked it." in html
    assert "/photos/" not in html
    html = client.get(reverse("reports:report_detail", args=[shown.reference]),
                      **EN).content.decode()
    public_photo, private_photo = shown.photos.order_by("pk")
    assert reverse("reports:report_photo", args=[shown.reference, public_photo.pk]) in html
    assert reverse("reports:report_photo", args=[shown.reference, private_photo.pk]) not in html
    assert "車道に穴があります" in html
    assert PUBLIC_NOTE in html
    assert "Acknowledged" in html
    assert "the target is 24 h" in html
    assert "Is it dangerous for people passing?" in html  # the answers, once moderated


def test_unmoderated_photos_are_404_for_the_public(client, reports):
    shown, hidden = reports["shown"], reports["hidden"]
    public_photo, private_photo = shown.photos.order_by("pk")
    response = client.get(reverse("reports:report_photo", args=[shown.reference,
                                                                public_photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    for report, photo in ((shown, private_photo), (hidden, hidden.photos.get()),
                          (hidden, public_photo)):  # a public photo under another report
        response = client.get(reverse("reports:report_photo", args=[report.reference,
                                                                    photo.pk]))
        assert response.status_code == 404


def test_the_history_shows_status_changes_and_replies_never_notes_or_staff(client, reports):
    shown = reports["shown"]
    report_transition(report=shown, status=Report.Status.FIXED, actor=None,
                      internal_note="請求書番号 123")
    html = client.get(reverse("reports:report_detail", args=[shown.reference]),
                      **EN).content.decode()
    assert "Fixed" in html
    assert "請求書番号 123" not in html
    assert "Closed in" in html


def test_filters_and_bad_filters(client, reports):
    url = reverse("reports:report_list")
    html = client.get(url + "?category=road-surface&state=open&area=azabu",
                      **EN).content.decode()
    assert reports["shown"].reference in html
    assert reports["hidden"].reference not in html
    html = client.get(url + "?state=closed", **EN).content.decode()
    assert "0 reports found." in html
    town = reports["hidden"].town
    html = client.get(url + f"?town={town.pk}", **EN).content.decode()
    assert reports["hidden"].reference in html
    assert reports["shown"].reference not in html
    for query in ("?category=zombies", "?state=maybe", "?area=nowhere", "?town=abc"):
        assert client.get(url + query, **EN).status_code == 400
        assert client.get(reverse("reports:report_map") + query).status_code == 400
    geo = client.get(reverse("reports:report_map") + "?area=shiba").json()
    assert [f["properties"]["reference"] for f in geo["features"]] == [
        reports["hidden"].reference]
    assert client.get(url + "?page=999", **EN).status_code == 200


def test_unknown_references_are_404(client):
    assert client.get("/reports/2026-999999/").status_code == 404
    assert client.get("/reports/2026-999999/photos/1.jpg").status_code == 404
    assert client.get("/reports/not-a-reference/").status_code == 404


def test_my_reports_needs_signing_in(client, hanako, reports):
    response = client.get(reverse("reports:my_reports"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    client.force_login(hanako.user)
    html = client.get(reverse("reports:my_reports"), **EN).content.decode()
    assert "You have not reported or followed any problem yet." in html


def test_portal_links_on_the_home_page(client):
    keys = {link.key for link in portal_links("resident")}
    assert {"reports.create", "reports.list"} <= keys
    html = client.get(reverse("core:home"), **EN).content.decode()
    assert reverse("reports:report_create") in html
    assert reverse("reports:report_list") in html


def test_the_list_pages_keep_the_filters(client, minato):
    for _ in range(21):
        make_report(code="graffiti", description="落書き", place=MINATO_LIBRARY)
    url = reverse("reports:report_list") + "?category=graffiti"
    first = client.get(url, **EN).content.decode()
    assert 'href="?category=graffiti&amp;page=2"' in first and "Page 1 of 2" in first
    second = client.get(url + "&page=2", **EN).content.decode()
    assert second.count('class="report-list__item"') == 1
    assert 'href="?category=graffiti&amp;page=1"' in second
