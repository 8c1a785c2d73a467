"""The residents' report form (取組13): choosing a category, filing with photos (JPEG, PNG,
HEIC), refusals that store nothing, the duplicate check without JavaScript, adding to an
existing report, and the per-address limit."""

import pytest
from django.urls import reverse
from PIL import Image

from cityhall.core.models import AuditEvent

from ..models import Report, ReportFollower, ReportUpdate
from ..services import public as public_services
from .factories import (
    AZABU_JUBAN,
    MINATO_LIBRARY,
    SHIBUYA_STATION,
    jpeg_bytes,
    make_report,
    png_bytes,
    upload,
)
from .public_helpers import (
    CREATE,
    EN,
    JA,
    PRIVATE,
    create_url,
    form_data,
    heic_bytes,
    jpeg_upload,
    near,
    pending_dir,  # noqa: F401 - fixture
    snapshot,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pending_dir")]


# --- step 1: the kind of problem ------------------------------------------------------------

def test_the_first_step_lists_the_categories_in_their_groups(client):
    response = client.get(CREATE, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Roads", "Parks", "Pothole, sunken or cracked road", 'name="category"',
                 'method="get"'):
        assert text in html
    response = client.get(CREATE, **JA)
    assert "道路の穴・陥没・ひび割れ" in response.content.decode()


def test_an_unknown_category_is_asked_again(client):
    response = client.get(CREATE + "?category=zombies", **EN)
    assert response.status_code == 400
    assert "Choose what kind of problem it is." in response.content.decode()


def test_the_second_step_asks_the_category_questions_and_works_without_javascript(client):
    response = client.get(create_url("streetlight"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="attr_pole-number"' in html
    assert 'name="attr_state"' in html and 'type="radio"' in html
    assert 'name="address"' in html  # the place without JavaScript
    assert 'type="hidden" name="latitude"' in html
    assert 'accept="image/jpeg,image/png,image/heic,image/heif"' in html
    assert 'multiple' in html
    assert 'enctype="multipart/form-data"' in html
    assert "nearest public facility" in html
    for field in ("contact_name", "contact_email", "contact_phone", "follow"):
        assert f'name="{field}"' in html


def test_a_signed_in_resident_is_not_asked_for_contact_details(client, hanako):
    client.force_login(hanako.user)
    html = client.get(create_url(), **EN).content.decode()
    assert 'name="contact_email"' not in html
    assert 'name="follow"' in html


# --- filing ---------------------------------------------------------------------------------

def test_a_report_with_three_photos_jpeg_png_and_heic_is_filed(client):
    photos = [upload(jpeg_bytes(), "a.jpg"), upload(png_bytes(), "b.png", "image/png"),
              upload(heic_bytes(), "c.heic", "image/heic")]
    response = client.post(create_url(), form_data(photos=photos), **EN)
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    assert response["Location"] == reverse("reports:report_sent", args=[report.reference])
    assert report.source == Report.Source.WEB
    assert report.attributes == {"danger": "no"}
    assert report.contact_email == PRIVATE["contact_email"]
    assert report.language == "en"
    assert report.branch_office.code == "shiba"
    assert ReportFollower.objects.filter(report=report,
                                         email=PRIVATE["contact_email"]).exists()
    photos = list(report.photos.all())
    assert len(photos) == 3
    for photo in photos:
        assert not photo.is_public
        with photo.image.open("rb") as handle, Image.open(handle) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
    page = client.get(response["Location"], **EN)
    html = page.content.decode()
    assert report.reference in html
    assert reverse("reports:report_detail", args=[report.reference]) in html
    assert PRIVATE["contact_email"] not in html


def test_the_thank_you_page_is_for_the_browser_that_sent_it(client):
    report = make_report()
    response = client.get(reverse("reports:report_sent", args=[report.reference]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[report.reference])


def test_a_signed_in_resident_files_and_follows_as_themselves(client, hanako):
    client.force_login(hanako.user)
    data = form_data()
    for key in PRIVATE:
        data.pop(key)
    response = client.post(create_url(), data, **JA)
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.reporter == hanako.user
    assert report.contact_email == ""
    assert ReportFollower.objects.filter(report=report, user=hanako.user).exists()
    mine = client.get(reverse("reports:my_reports"), **EN)
    assert report.reference in mine.content.decode()


def test_without_the_follow_box_nobody_follows(client):
    data = form_data()
    data.pop("follow")
    assert client.post(create_url(), data).status_code == 302
    assert not ReportFollower.objects.exists()


def test_an_address_without_a_pin_is_enough(client):
    response = client.post(create_url("illegal-dumping"), form_data(
        place=None, code="illegal-dumping", attr_danger=None, address="東京都港区元麻布3-8-15"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.latitude is None
    assert report.town.name == "元麻布"


@pytest.mark.parametrize(("headers", "message"), [
    (EN, "This place is outside Minato City. Please report it to the city or ward it lies in."),
    (JA, "港区外の場所です"),
])
def test_a_place_outside_minato_is_refused_in_english_and_japanese(client, headers, message):
    before = snapshot()
    response = client.post(create_url(), form_data(place=SHIBUYA_STATION), **headers)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("overrides", "message"), [
    ({"photos": [upload(b"MZ\x90\x00 not an image", "photo.jpg")]},
     "is not a photo we can read"),
    ({"photos": [upload(b"%PDF-1.4 hello", "scan.pdf", "application/pdf")]},
     "is not a photo we can read"),
    ({"photos": [jpeg_upload(f"{n}.jpg") for n in range(4)]}, "Attach at most 3 photos."),
    ({"description": "  "}, "Describe the problem."),
    ({"attr_danger": "maybe"}, "Choose from the list"),
    ({"attr_danger": ""}, "Please answer: Is it dangerous for people passing?"),
    ({"latitude": "", "longitude": "", "address": ""}, "Say where the problem is"),
    ({"latitude": "abc"}, "The latitude is not a number."),
    ({"latitude": "35.6599", "longitude": ""}, "Give both the latitude and the longitude"),
    ({"contact_email": "not-an-email"}, "Enter a valid email address."),
    ({"contact_phone": "call me"}, "Enter a phone number"),
    ({"address": "東京都渋谷区道玄坂1-1", "latitude": "", "longitude": ""},
     "We could not find this address in Minato City."),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(client, overrides, message):
    before = snapshot()
    response = client.post(create_url(), form_data(**overrides), **EN)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary"' in html
    assert snapshot() == before


def test_a_category_closed_for_new_reports_is_refused(client):
    from ..models import ServiceCategory

    ServiceCategory.objects.filter(code="road-surface").update(is_active=False)
    before = snapshot()
    response = client.post(create_url(), form_data(), **EN)
    assert response.status_code == 400
    assert "Choose what kind of problem it is." in response.content.decode()
    assert snapshot() == before


# --- possible duplicates, without JavaScript ------------------------------------------------

def test_open_reports_nearby_are_shown_before_filing_and_a_new_one_can_still_be_sent(client):
    existing = make_report(place=MINATO_LIBRARY)
    make_report(place=near(MINATO_LIBRARY, metres_north=400))  # too far to be the same
    place = near(MINATO_LIBRARY, metres_north=40)
    before = snapshot()
    response = client.post(create_url(), form_data(place=place, photos=[jpeg_upload()]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Has it already been reported?" in html
    assert existing.reference in html
    assert f'name="add_to" value="{existing.reference}"' in html
    assert "about 40 m away" in html
    assert snapshot() == before  # nothing filed yet
    # The fields come back as hidden inputs; the photo is kept server-side under a token.
    assert 'type="hidden" name="description"' in html
    token = response.context["kept_photos"]
    assert token
    carried = dict(response.context["carried"])
    response = client.post(create_url(), {**carried, "kept_photos": token, "action": "new"},
                           **EN)
    assert response.status_code == 302
    report = Report.objects.exclude(pk=existing.pk).order_by("-pk").first()
    assert report.photos.count() == 1
    assert report.contact_email == PRIVATE["contact_email"]
    # The kept photo is deleted once filed.
    assert not list(public_services._pending_storage().listdir("reports-pending")[1])


def test_a_resident_adds_to_the_existing_report_instead(client):
    existing = make_report(place=MINATO_LIBRARY)
    response = client.post(create_url(), form_data(
        place=near(MINATO_LIBRARY, metres_north=20), photos=[jpeg_upload()],
        description="夜は特に見えにくく危ないです"), **EN)
    carried = dict(response.context["carried"])
    count = Report.objects.count()
    response = client.post(create_url(), {**carried, "kept_photos":
                                          response.context["kept_photos"],
                                          "add_to": existing.reference}, **EN)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[existing.reference])
    assert Report.objects.count() == count
    update = existing.updates.get(kind=ReportUpdate.Kind.ADDED_BY_RESIDENT)
    assert update.internal_note == "夜は特に見えにくく危ないです"
    assert update.public_note == ""
    assert not update.is_public
    assert existing.photos.count() == 1
    assert not existing.photos.get().is_public
    assert ReportFollower.objects.filter(report=existing,
                                         email=PRIVATE["contact_email"]).exists()
    assert AuditEvent.objects.filter(action="reports.report.add_information",
                                     target_id=str(existing.pk)).count() == 1
    page = client.get(response["Location"], **EN).content.decode()
    assert "was added to report" in page
    assert "夜は特に見えにくく危ないです" not in page


def test_change_my_report_goes_back_to_the_form_with_the_photos_kept(client):
    make_report(place=MINATO_LIBRARY)
    response = client.post(create_url(), form_data(photos=[jpeg_upload()]), **EN)
    carried = dict(response.context["carried"])
    response = client.post(create_url(), {**carried, "kept_photos":
                                          response.context["kept_photos"], "action": "edit"},
                           **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 photo you attached before is kept" in html
    assert "歩道の前の車道に穴があいています" in html
    assert Report.objects.count() == 1


def test_other_categories_and_closed_reports_are_not_duplicates(client):
    make_report(code="graffiti", place=MINATO_LIBRARY)
    closed = make_report(place=MINATO_LIBRARY)
    Report.objects.filter(pk=closed.pk).update(status=Report.Status.FIXED)
    response = client.post(create_url(), form_data(), **EN)
    assert response.status_code == 302  # filed at once: nothing to confirm


def test_an_address_only_report_is_checked_against_the_same_town(client):
    from ..services.reports import report_create
    from .factories import category

    existing = report_create(category=category("illegal-dumping"), description="粗大ごみ",
                             address="港区元麻布3-1", actor=None)
    response = client.post(create_url("illegal-dumping"), form_data(
        place=None, code="illegal-dumping", attr_danger=None, address="東京都港区元麻布3-8-15"),
        **EN)
    assert response.status_code == 200
    assert existing.reference in response.content.decode()
    assert "same town" in response.content.decode()


def test_an_expired_or_forged_photo_token_is_refused(client):
    before = snapshot()
    response = client.post(create_url(), form_data(kept_photos="forged:token", action="new"),
                           **EN)
    assert response.status_code == 400
    assert "Your photos were kept for an hour only" in response.content.decode()
    assert snapshot() == before


def test_adding_to_a_report_of_another_category_or_a_closed_one_is_refused(client):
    other = make_report(code="graffiti", place=MINATO_LIBRARY)
    before = snapshot()
    response = client.post(create_url(), form_data(add_to=other.reference, action=None), **EN)
    assert response.status_code == 400
    assert snapshot() == before
    closed = make_report(place=AZABU_JUBAN)
    Report.objects.filter(pk=closed.pk).update(status=Report.Status.FIXED)
    before = snapshot()
    response = client.post(create_url(), form_data(place=AZABU_JUBAN, add_to=closed.reference,
                                                   action=None), **EN)
    assert response.status_code == 409
    assert "already closed" in response.content.decode()
    assert snapshot() == before


# --- adding from a report's page ------------------------------------------------------------

def test_adding_from_the_report_page(client):
    report = make_report()
    url = reverse("reports:report_add", args=[report.reference])
    assert client.get(url, **EN).status_code == 200
    response = client.post(url, {"description": "まだ直っていません",
                                 "photos": [jpeg_upload()],
                                 "contact_email": "another@example.jp"}, **EN)
    assert response.status_code == 302
    assert report.updates.filter(kind=ReportUpdate.Kind.ADDED_BY_RESIDENT).count() == 1
    assert ReportFollower.objects.filter(email="another@example.jp").exists()
    before = snapshot()
    response = client.post(url, {"description": ""}, **EN)
    assert response.status_code == 400
    assert "Write what you saw or attach a photo." in response.content.decode()
    assert snapshot() == before


# --- rate limit -----------------------------------------------------------------------------

def test_at_most_n_submissions_per_address_per_hour(client, settings):
    settings.REPORTS_RATE_LIMIT_PER_HOUR = 2
    for number in range(2):
        place = near(MINATO_LIBRARY, metres_north=300 * number)
        assert client.post(create_url(), form_data(place=place)).status_code == 302
    before = snapshot()
    response = client.post(create_url(), form_data(place=AZABU_JUBAN), **EN)
    assert response.status_code == 429
    assert "Too many reports have been sent from your connection" in response.content.decode()
    assert snapshot() == before
    response = client.post(create_url(), form_data(place=AZABU_JUBAN), **JA)
    assert response.status_code == 429
    # "Add to" counts too, from the form and from a report's page.
    report = Report.objects.first()
    response = client.post(reverse("reports:report_add", args=[report.reference]),
                           {"description": "同じです"}, **EN)
    assert response.status_code == 429
    assert snapshot() == before
    # Another address is not limited.
    response = client.post(create_url(), form_data(place=AZABU_JUBAN),
                           REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302


def test_refused_submissions_do_not_use_up_the_limit(client, settings):
    settings.REPORTS_RATE_LIMIT_PER_HOUR = 1
    for _ in range(3):
        assert client.post(create_url(), form_data(place=SHIBUYA_STATION)).status_code == 400
    assert client.post(create_url(), form_data()).status_code == 302
