"""Alert pages (取組12, 17): who may open the staff pages (anonymous / resident / staff
without the permission / staff with it), composing and previewing in four languages,
approval by a second person (self-approval refused with a message, nothing changed),
update and cancel, the banner on every portal page until expiry or cancel, the public pages
in ja/en/zh-hans/ko, the CAP documents, the Atom feed and the JSON API. Bad input is a 400
that changes nothing, never a 500."""

import datetime
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.disaster import alerts_cap, services
from cityhall.disaster.models import Alert

from .alerts_helpers import (  # noqa: F401 - fixtures
    CAP_NS,
    approver_fixture,
    composer_fixture,
    level4,
    parse_xml,
    publish,
    published_level4,
    snapshot,
)

pytestmark = pytest.mark.django_db

LANG = {code: {"HTTP_ACCEPT_LANGUAGE": code} for code in ("ja", "en", "zh-hans", "ko")}
ATOM = "{http://www.w3.org/2005/Atom}"


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and \
        response["Location"].startswith(reverse("account_login"))


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client
    return sign_in


def compose_data(**overrides):
    data = {"hazard": "flood", "time": "2031-06-02T14:30", "areas": ["shiba", "azabu"],
            "status": "Actual", "onset": "", "expires": "", "polygon": "", "circle": ""}
    data.update(overrides)
    return data


# --- who may do what --------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["alert_staff_list", "alert_new", "compose"])
def test_staff_pages_need_the_permission(as_user, hanako, staff_persona, composer, page):
    url = reverse("disaster:alert_compose", args=["evacuation_level_4"]) if page == "compose" \
        else reverse(f"disaster:{page}")
    assert is_login_redirect(as_user(None).get(url))
    assert as_user(hanako.user).get(url).status_code == 403
    assert as_user(staff_persona("shiba_clerk")).get(url).status_code == 403
    assert as_user(composer).get(url).status_code == 200


def test_actions_need_the_permission(as_user, hanako, staff_persona, composer):
    alert = level4(composer)
    services.alert_submit(alert=alert, actor=composer)
    before = snapshot()
    for name in ("alert_approve", "alert_reject", "alert_discard", "alert_cancel",
                 "alert_submit"):
        url = reverse(f"disaster:{name}", args=[alert.identifier])
        assert is_login_redirect(as_user(None).post(url))
        assert as_user(hanako.user).post(url).status_code == 403
        assert as_user(staff_persona("shiba_clerk")).post(url).status_code == 403
    assert snapshot() == before
    detail = reverse("disaster:alert_staff_detail", args=[alert.identifier])
    assert as_user(staff_persona("shiba_clerk")).get(detail).status_code == 403
    assert as_user(hanako.user).get(detail).status_code == 403


# --- compose, preview, approve ----------------------------------------------------------------

def test_compose_preview_submit_and_a_second_person_approves(as_user, composer, approver):
    client = as_user(composer)
    response = client.post(reverse("disaster:alert_compose", args=["evacuation_level_4"]),
                           compose_data())
    alert = Alert.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disaster:alert_staff_detail",
                                           args=[alert.identifier])
    preview = client.get(response["Location"])
    body = preview.content.decode()
    for text in ("【警戒レベル4】芝地区、麻布地区に避難指示を発令",
                 "[Alert level 4] Evacuation order for the Shiba area, the Azabu area",
                 "【警戒级别4】芝地区、麻布地区发布避难指示",
                 "[경계 레벨 4] 시바 지구, 아자부 지구에 피난 지시 발령"):
        assert text in body
    assert 'lang="zh-hans"' in body and 'lang="ko"' in body
    assert client.post(reverse("disaster:alert_submit", args=[alert.identifier])) \
        .status_code == 302
    # The author cannot approve: a message, a 403, nothing changed.
    before = snapshot()
    refused = client.post(reverse("disaster:alert_approve", args=[alert.identifier]))
    assert refused.status_code == 403
    assert "another staff member must approve" in refused.content.decode() or \
        "他の職員" in refused.content.decode()
    assert snapshot() == before
    assert "Approve and publish" not in client.get(
        reverse("disaster:alert_staff_detail", args=[alert.identifier]), **LANG["en"]
    ).content.decode()
    # A second person approves and publishes.
    second = as_user(approver)
    assert second.post(reverse("disaster:alert_approve", args=[alert.identifier])) \
        .status_code == 302
    alert.refresh_from_db()
    assert alert.state == Alert.State.PUBLISHED and alert.approved_by == approver


def test_free_text_is_composed_and_shown_as_not_translated(as_user, composer, approver):
    client = as_user(composer)
    expires = (timezone.localtime() + datetime.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("disaster:alert_compose", args=["free"]), {
        "headline": "芝公園周辺で停電", "description": "芝公園一帯で停電が発生しています。",
        "instruction": "", "category": "Infra", "urgency": "Expected", "severity": "Moderate",
        "certainty": "Observed", "areas": ["shiba"], "status": "Actual", "expires": expires})
    assert response.status_code == 302, response.content.decode()[:2000]
    alert = Alert.objects.get()
    assert alert.is_free_text
    publish(alert, composer, approver)
    page = client.get(reverse("disaster:alert_detail", args=[alert.identifier]), **LANG["en"])
    body = page.content.decode()
    assert "Not translated" in body
    assert '<div lang="ja">' in body and "芝公園一帯で停電が発生しています。" in body
    banner = client.get(reverse("core:home"), **LANG["en"]).content.decode()
    assert 'lang="ja">芝公園周辺で停電</a>' in banner
    assert "not translated" in banner


@pytest.mark.parametrize(("data", "field"), [
    ({"hazard": "volcano"}, "hazard"),
    ({"hazard": ""}, "hazard"),
    ({"time": "not a time"}, "time"),
    ({"areas": []}, "areas"),
    ({"areas": ["atlantis"]}, "areas"),
    ({"status": "Real"}, "status"),
    ({"polygon": "35.65,139.74 35.66,139.75 35.64,139.76 35.60,139.70"}, "polygon"),
    ({"polygon": "40.7,-74.0 40.8,-74.0 40.8,-73.9 40.7,-74.0"}, "polygon"),
    ({"circle": "139.75,35.65 2"}, "circle"),
    ({"expires": "2000-01-01T00:00"}, "expires"),
    ({"expires": "tomorrow"}, "expires"),
])
def test_bad_input_is_a_400_that_changes_nothing(as_user, composer, data, field):
    client = as_user(composer)
    before = snapshot()
    response = client.post(reverse("disaster:alert_compose", args=["evacuation_level_4"]),
                           compose_data(**data), **LANG["en"])
    assert response.status_code == 400
    assert f'id="id_{field}' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert snapshot() == before


def test_unknown_pages_are_404(as_user, composer):
    client = as_user(composer)
    assert client.get(reverse("disaster:alert_compose", args=["nothing"])).status_code == 404
    assert client.get(reverse("disaster:alert_staff_detail", args=["JP-x"])).status_code == 404
    assert client.post(reverse("disaster:alert_submit", args=["JP-x"])).status_code == 404
    assert client.get(reverse("disaster:alert_detail", args=["JP-x"])).status_code == 404
    assert client.get(reverse("disaster:alert_cap", args=["JP-x"])).status_code == 404


@pytest.mark.parametrize("identifier", ["%00", "JP%00x", "a%20b", "<script>", "x" * 300])
def test_odd_identifiers_are_not_found(as_user, composer, identifier):
    for path in (f"/alerts/{identifier}/", f"/alerts/{identifier}.xml"):
        assert as_user(None).get(path).status_code == 404
    client = as_user(composer)
    assert client.get(f"/alerts/staff/{identifier}/").status_code == 404
    assert client.post(f"/alerts/staff/{identifier}/approve/").status_code in (403, 404)


def test_drafts_are_not_public(client, composer):
    alert = level4(composer)
    assert client.get(reverse("disaster:alert_detail", args=[alert.identifier])) \
        .status_code == 404
    assert client.get(reverse("disaster:alert_cap", args=[alert.identifier])).status_code == 404
    assert alert.identifier not in client.get(reverse("disaster:alert_feed")).content.decode()


def test_update_and_cancel_from_the_pages(as_user, composer, approver):
    original = published_level4(composer, approver)
    client = as_user(composer)
    form = client.get(reverse("disaster:alert_update", args=[original.identifier]))
    assert form.status_code == 200
    assert 'value="flood" selected' in form.content.decode()
    response = client.post(reverse("disaster:alert_update", args=[original.identifier]),
                           compose_data(hazard="landslide", areas=["shiba"]))
    update = Alert.objects.get(msg_type="Update")
    assert update.original == original and response.status_code == 302
    publish(update, composer, approver)
    response = client.post(reverse("disaster:alert_cancel", args=[update.identifier]))
    cancel = Alert.objects.get(msg_type="Cancel")
    assert response["Location"] == reverse("disaster:alert_staff_detail",
                                           args=[cancel.identifier])
    # Cancelling something that is no longer published is refused, and changes nothing.
    before = snapshot()
    again = client.post(reverse("disaster:alert_cancel", args=[original.identifier]))
    assert again.status_code == 409
    assert snapshot() == before


# --- banner -----------------------------------------------------------------------------------

BANNER_PAGES = ["core:home", "core:facility_list", "bookings:resource_list",
                "disaster:alert_list"]


@pytest.mark.parametrize("page", BANNER_PAGES)
def test_the_banner_is_on_every_portal_page(client, composer, approver, page):
    assert "site-banners" not in client.get(reverse(page)).content.decode()
    alert = published_level4(composer, approver)
    body = client.get(reverse(page)).content.decode()
    assert 'aria-labelledby="site-banners-title"' in body
    assert alert.texts["ja"]["headline"] in body
    assert reverse("disaster:alert_detail", args=[alert.identifier]) in body
    english = client.get(reverse(page), **LANG["en"]).content.decode()
    assert alert.texts["en"]["headline"] in english
    assert "Emergency information" in english
    korean = client.get(reverse(page), **LANG["ko"]).content.decode()
    assert alert.texts["ko"]["headline"] in korean


def test_the_banner_leaves_at_expiry_before_the_task_runs(client, composer, approver):
    alert = published_level4(composer, approver)
    assert alert.texts["ja"]["headline"] in client.get(reverse("core:home")).content.decode()
    Alert.objects.filter(pk=alert.pk).update(
        expires=timezone.now() - datetime.timedelta(seconds=1))
    body = client.get(reverse("core:home")).content.decode()
    assert "site-banners" not in body
    assert Alert.objects.get(pk=alert.pk).state == Alert.State.PUBLISHED


def test_the_banner_leaves_when_cancelled_and_follows_an_update(client, composer, approver):
    original = published_level4(composer, approver)
    update = publish(level4(composer, parameters={"hazard": "landslide",
                                                  "time": "2031-06-02T15:00"},
                            area_codes=["takanawa"], original=original), composer, approver)
    body = client.get(reverse("bookings:resource_list")).content.decode()
    assert update.texts["ja"]["headline"] in body
    assert original.texts["ja"]["headline"] not in body
    publish(services.alert_cancel_create(original=update, actor=composer), composer, approver)
    assert "site-banners" not in client.get(reverse("bookings:resource_list")).content.decode()


# --- public pages -----------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_public_pages_in_four_languages(client, composer, approver, language):
    alert = published_level4(composer, approver)
    listing = client.get(reverse("disaster:alert_list"), **LANG[language])
    assert listing.status_code == 200
    assert f'<html lang="{language}"' in listing.content.decode()
    assert alert.texts[language]["headline"] in listing.content.decode()
    detail = client.get(reverse("disaster:alert_detail", args=[alert.identifier]),
                        **LANG[language])
    body = detail.content.decode()
    assert detail.status_code == 200
    assert alert.texts[language]["headline"] in body
    assert alert.texts[language]["instruction"] in body
    # The other three languages are on the page too, each marked with its language.
    for other in ("ja", "en", "zh-hans", "ko"):
        assert alert.texts[other]["headline"] in body
        assert f'lang="{other}"' in body


def test_the_list_without_alerts(client):
    response = client.get(reverse("disaster:alert_list"), **LANG["en"])
    assert response.status_code == 200
    assert "There is no alert in force." in response.content.decode()


def test_old_alerts_say_they_are_no_longer_in_force(client, composer, approver):
    original = published_level4(composer, approver)
    update = publish(level4(composer, original=original), composer, approver)
    body = client.get(reverse("disaster:alert_detail", args=[original.identifier]),
                      **LANG["en"]).content.decode()
    assert "No longer in force" in body
    assert reverse("disaster:alert_detail", args=[update.identifier]) in body


# --- CAP and Atom -----------------------------------------------------------------------------

def test_the_cap_document_url(client, composer, approver):
    alert = published_level4(composer, approver)
    response = client.get(f"/alerts/{alert.identifier}.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/cap+xml; charset=utf-8"
    assert alerts_cap.validation_errors(response.content) == []
    root = parse_xml(response.content)
    assert root.find(f"{CAP_NS}identifier").text == alert.identifier
    web = root.find(f"{CAP_NS}info/{CAP_NS}web").text
    assert web == f"http://testserver/alerts/{alert.identifier}/"


def test_the_atom_feed_links_each_cap_document(client, composer, approver):
    first = published_level4(composer, approver)
    update = publish(level4(composer, original=first), composer, approver)
    publish(services.alert_cancel_create(original=update, actor=composer), composer, approver)
    response = client.get("/alerts/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse_xml(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    msg_types = []
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        link = entry.find(f"{ATOM}link").get("href")
        cap = client.get(urlparse(link).path)
        assert cap.status_code == 200
        assert alerts_cap.validation_errors(cap.content) == []
        msg_types.append(parse_xml(cap.content).find(f"{CAP_NS}msgType").text)
    assert sorted(msg_types) == ["Alert", "Cancel", "Update"]


def test_the_api_lists_alerts_in_force(client, composer, approver):
    alert = published_level4(composer, approver)
    response = client.get("/api/v1/disaster/alerts/")
    assert response.status_code == 200
    [item] = response.json()
    assert item["identifier"] == alert.identifier
    assert item["texts"]["ko"]["headline"] == alert.texts["ko"]["headline"]
    assert item["areas"] == ["shiba", "azabu"] or sorted(item["areas"]) == ["azabu", "shiba"]
    assert item["cap_url"].endswith(f"/alerts/{alert.identifier}.xml")


def test_portal_and_back_office_link_to_the_alerts(as_user, staff_persona, composer):
    assert reverse("disaster:alert_list") in as_user(None).get(reverse("core:home")) \
        .content.decode()
    staff_home = reverse("core:staff_home")
    assert reverse("disaster:alert_staff_list") in as_user(composer).get(staff_home) \
        .content.decode()
    clerk_page = as_user(staff_persona("shiba_clerk")).get(staff_home).content.decode()
    assert reverse("disaster:alert_staff_list") not in clerk_page
