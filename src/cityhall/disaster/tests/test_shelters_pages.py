"""The shelter pages: the public list and detail in ja, en, zh-hans and ko, open shelters
first with crowding in words, filters, the address search without JavaScript (and a clear
message for an address outside Minato), ETag / 304 and invalidation; the staff page and the
update form (anonymous / resident / unassigned staff / assigned staff / manager), bad input
with translated messages that changes nothing; the manager's page; the back office link."""

import pytest
from django.urls import reverse

from cityhall.disaster import services
from cityhall.disaster.models import CrowdingThresholds, ShelterAssignment, ShelterStatus

from .shelters_fixtures import EN, NANZAN_ES, ONARIMON_JHS, shelter, snapshot

pytestmark = pytest.mark.django_db

LIST = "/shelters/"
TITLES = {"ja": "避難所の開設状況と混雑状況", "en": "Shelters: open now and how crowded",
          "zh-hans": "避难所：开设情况与拥挤程度", "ko": "대피소: 개설 현황과 혼잡도"}
AVAILABLE = {"ja": "空いています", "en": "Available", "zh-hans": "空闲", "ko": "여유"}


def update_url(code=ONARIMON_JHS):
    return reverse("disaster:shelter_staff_update", args=[code])


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and \
        response["Location"].startswith(reverse("account_login"))


# --- public --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_the_public_list_in_four_languages(client, manager, on_commit, language):
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert TITLES[language] in html
    assert AVAILABLE[language] in html
    assert "出典：国土地理院" in html
    # The open shelter comes first.
    assert html.index("御成門中学校") < html.index("南山小学校")


def test_the_list_shows_crowding_in_words_and_welfare_shelters(client, manager, on_commit):
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True,
                                       crowding="full")
    html = client.get(LIST, **EN).content.decode()
    assert 'class="crowding crowding--full">Full<' in html
    assert "Welfare shelter" in html
    assert "Status last updated at" in html
    assert 'id="shelter-data"' in html  # the map's data, read by the script


def test_filters_by_hazard_open_and_welfare(client, manager, on_commit):
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    html = client.get(LIST + "?open=on", **EN).content.decode()
    assert "1 place found." in html
    html = client.get(LIST + "?hazard=tsunami&kind=evacuation_site", **EN).content.decode()
    assert "18 places found." in html
    html = client.get(LIST + "?welfare=on", **EN).content.decode()
    assert "24 places found." in html


def test_a_bad_hazard_is_a_translated_400(client, minato):
    response = client.get(LIST + "?hazard=zombies", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "災害" in response.content.decode()


def test_address_search_without_javascript(client, manager, on_commit):
    with on_commit():
        services.shelter_status_update(facility=shelter(NANZAN_ES), actor=manager,
                                       is_open=True)
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    response = client.get(LIST, {"address": "東京都港区元麻布3-8-15"}, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nearest open shelters" in html
    nearest = html[html.index("shelter-nearest"):html.index("</ol>")]
    assert nearest.index("南山小学校") < nearest.index("御成門中学校")
    assert "元麻布3丁目" in html  # what the distances are measured from


@pytest.mark.parametrize("address", ["渋谷区神宮前1-1", "大阪市北区梅田1丁目", "xyz"])
def test_an_address_outside_minato_is_said_clearly(client, minato, address):
    response = client.get(LIST, {"address": address}, **EN)
    assert response.status_code == 400
    assert "could not find" in response.content.decode()
    assert "in Minato City" in response.content.decode()


def test_a_position_outside_japan_is_refused_on_the_page(client, minato):
    response = client.get(LIST, {"near": "51.5,-0.12"}, **EN)
    assert response.status_code == 400
    assert "outside Japan" in response.content.decode()


def test_the_browser_position_sorts_by_distance(client, manager, on_commit):
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    point = shelter(NANZAN_ES)
    response = client.get(LIST, {"near": f"{point.latitude},{point.longitude}"}, **EN)
    assert response.status_code == 200
    assert "Distances are measured from your position" in response.content.decode()


def test_the_page_answers_304_and_changes_after_an_update(client, manager, on_commit):
    client.get(LIST, **EN)  # the first visit sets the CSRF cookie, which the page depends on
    first = client.get(LIST, **EN)
    etag = first["ETag"]
    assert client.get(LIST, HTTP_IF_NONE_MATCH=etag, **EN).status_code == 304
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True,
                                       crowding="crowded")
    after = client.get(LIST, HTTP_IF_NONE_MATCH=etag, **EN)
    assert after.status_code == 200
    assert "crowding--crowded" in after.content.decode()


@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_the_detail_page(client, manager, on_commit, language):
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True,
                                       pets_allowed=True, supplies="水", notes="体育館")
    response = client.get(reverse("disaster:shelter_detail", args=[ONARIMON_JHS]),
                          HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert "御成門中学校" in html and "体育館" in html and ONARIMON_JHS in html
    assert AVAILABLE[language] in html


def test_an_unknown_shelter_is_a_404(client, minato):
    assert client.get("/shelters/E0000000000000/").status_code == 404


# --- staff -----------------------------------------------------------------------------------

FORM = {"is_open": "open", "crowding": "", "head_count": "", "capacity": "",
        "pets_allowed": "yes", "supplies": "水、毛布", "notes": ""}


@pytest.mark.parametrize("who", ["anonymous", "resident", "unassigned_staff"])
def test_others_cannot_update(client, shelter_clerk, other_clerk, hanako, who):
    if who == "resident":
        client.force_login(hanako.user)
    elif who == "unassigned_staff":
        client.force_login(other_clerk)
    before = snapshot()
    get = client.get(update_url())
    post = client.post(update_url(), FORM)
    if who == "anonymous":
        assert is_login_redirect(get) and is_login_redirect(post)
    else:
        assert get.status_code == post.status_code == 403
    assert snapshot() == before


def test_assigned_staff_see_their_shelters_and_update_from_the_form(client, shelter_clerk):
    client.force_login(shelter_clerk)
    home = client.get(reverse("disaster:shelter_staff_home"), **EN)
    assert home.status_code == 200
    html = home.content.decode()
    assert "御成門中学校" in html and "南山小学校" not in html
    form = client.get(update_url(), **EN)
    assert form.status_code == 200
    response = client.post(update_url(), {**FORM, "capacity": "200", "head_count": "130"},
                           **EN)
    assert response.status_code == 302
    status = ShelterStatus.objects.get(facility__code=ONARIMON_JHS)
    assert (status.is_open, status.crowding, status.head_count, status.capacity,
            status.pets_allowed, status.supplies) == (True, "crowded", 130, 200, True,
                                                      "水、毛布")
    assert status.updated_by == shelter_clerk


def test_assigned_staff_cannot_update_another_shelter(client, shelter_clerk):
    client.force_login(shelter_clerk)
    before = snapshot()
    assert client.post(update_url(NANZAN_ES), FORM).status_code == 403
    assert snapshot() == before


def test_a_manager_updates_any_shelter_from_the_form(client, manager):
    client.force_login(manager)
    response = client.post(update_url(NANZAN_ES), {**FORM, "crowding": "full"})
    assert response.status_code == 302
    assert ShelterStatus.objects.get(facility__code=NANZAN_ES).crowding == "full"


@pytest.mark.parametrize(("data", "message"), [
    ({"head_count": "-5", "capacity": "100"}, "負の数"),
    ({"head_count": "abc", "capacity": "100"}, "整数"),
    ({"head_count": "100001", "capacity": "100"}, "100,000"),
    ({"head_count": "10"}, "収容人数"),  # capacity unknown
    ({"is_open": "closed", "crowding": "full"}, "開設"),
    ({"is_open": "maybe"}, "開設"),
    ({"crowding": "packed"}, "選択"),
])
def test_bad_input_gets_a_translated_message_and_changes_nothing(client, shelter_clerk, data,
                                                                message):
    client.force_login(shelter_clerk)
    before = snapshot()
    response = client.post(update_url(), {**FORM, **data}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "error-summary" in html
    assert snapshot() == before


def test_an_unknown_shelter_on_the_staff_page_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get(update_url("E0000000000000")).status_code == 404
    assert client.post(update_url("E0000000000000"), FORM).status_code == 404


def test_the_staff_page_is_in_the_back_office(client, shelter_clerk, manager):
    client.force_login(shelter_clerk)
    html = client.get(reverse("core:staff_home"), **EN).content.decode()
    assert reverse("disaster:shelter_staff_home") in html
    assert reverse("disaster:shelter_manage") not in html
    client.force_login(manager)
    html = client.get(reverse("core:staff_home"), **EN).content.decode()
    assert reverse("disaster:shelter_manage") in html


# --- manager ---------------------------------------------------------------------------------

def test_only_a_manager_opens_the_manager_page(client, shelter_clerk, hanako, manager):
    url = reverse("disaster:shelter_manage")
    assert is_login_redirect(client.get(url))
    client.force_login(hanako.user)
    assert client.get(url).status_code == 403
    client.force_login(shelter_clerk)
    before = snapshot()
    assert client.post(url, {"action": "thresholds", "thresholds-somewhat_crowded_percent": 1,
                             "thresholds-crowded_percent": 2,
                             "thresholds-full_percent": 3}).status_code == 403
    assert snapshot() == before
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_a_manager_sets_thresholds_and_assigns_staff(client, manager, other_clerk):
    client.force_login(manager)
    url = reverse("disaster:shelter_manage")
    response = client.post(url, {"action": "thresholds",
                                 "thresholds-somewhat_crowded_percent": "40",
                                 "thresholds-crowded_percent": "70",
                                 "thresholds-full_percent": "90"})
    assert response.status_code == 302
    thresholds = CrowdingThresholds.objects.get()
    assert (thresholds.somewhat_crowded_percent, thresholds.crowded_percent,
            thresholds.full_percent) == (40, 70, 90)
    response = client.post(url, {"action": "assign", "assign-shelter": NANZAN_ES,
                                 "assign-staff_email": other_clerk.email})
    assert response.status_code == 302
    assignment = ShelterAssignment.objects.get(staff=other_clerk)
    assert assignment.facility.code == NANZAN_ES
    response = client.post(url, {"action": "unassign", "assignment": assignment.pk})
    assert response.status_code == 302
    assert not ShelterAssignment.objects.filter(staff=other_clerk).exists()


@pytest.mark.parametrize("data", [
    {"action": "thresholds", "thresholds-somewhat_crowded_percent": "70",
     "thresholds-crowded_percent": "40", "thresholds-full_percent": "90"},
    {"action": "thresholds", "thresholds-somewhat_crowded_percent": "x",
     "thresholds-crowded_percent": "40", "thresholds-full_percent": "90"},
    {"action": "assign", "assign-shelter": "E0000000000000",
     "assign-staff_email": "clerk.azabu@demo.cityhall.example"},
    {"action": "assign", "assign-shelter": NANZAN_ES, "assign-staff_email": "nobody@x.example"},
    {"action": "unassign", "assignment": "999999"},
    {"action": "unassign", "assignment": "'; drop"},
    {"action": "explode"},
])
def test_bad_manager_input_is_a_400_that_changes_nothing(client, manager, other_clerk, data):
    client.force_login(manager)
    before = snapshot()
    response = client.post(reverse("disaster:shelter_manage"), data, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert snapshot() == before


def test_pages_are_kept_by_the_browser_only(client, minato):
    response = client.get(LIST, **EN)
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]


def test_a_new_head_count_on_the_form_changes_the_level(client, shelter_clerk):
    client.force_login(shelter_clerk)
    client.post(update_url(), {**FORM, "capacity": "100", "head_count": "10"})
    assert ShelterStatus.objects.get(facility__code=ONARIMON_JHS).crowding == "available"
    form = client.get(update_url()).context["form"]
    assert form.initial["crowding"] == ""  # the form starts in "from the head count"
    data = {**FORM, **{k: v for k, v in form.initial.items() if v is not None},
            "is_open": "open", "head_count": "85", "pets_allowed": "yes"}
    assert client.post(update_url(), data).status_code == 302
    assert ShelterStatus.objects.get(facility__code=ONARIMON_JHS).crowding == "full"


def test_the_public_pages_answer_head_and_refuse_post(client, minato):
    assert client.head(LIST).status_code == 200
    assert client.post(LIST).status_code == 405
    detail = reverse("disaster:shelter_detail", args=[ONARIMON_JHS])
    assert client.head(detail).status_code == 200
    assert client.post(detail).status_code == 405
