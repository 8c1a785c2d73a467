"""Filing reports: places, routing, answers, photos, and status changes (services)."""

import pytest
from PIL import Image

from cityhall.core.errors import ConflictError, ValidationFailed
from cityhall.core.models import AuditEvent

from ..models import Report, ReportFollower, ReportUpdate
from ..services.reports import photo_prepare, report_create, report_transition
from .factories import (
    AZABU_JUBAN,
    MINATO_LIBRARY,
    SHIBUYA_STATION,
    category,
    jpeg_bytes,
    make_report,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def test_a_report_by_the_minato_library_goes_to_the_shiba_branch_office_queue():
    report = make_report(place=MINATO_LIBRARY, contact_email="taro@example.jp")
    assert report.reference.count("-") == 1
    assert report.status == Report.Status.NEW
    assert report.branch_office.code == "shiba"
    assert report.town.name == "芝公園"
    assert report.town_source == Report.TownSource.NEAREST
    assert report.department.code == "shiba-machizukuri"
    assert report.attributes == {"danger": "no"}
    assert ReportFollower.objects.filter(report=report, email="taro@example.jp").count() == 1
    assert report.updates.get().kind == ReportUpdate.Kind.CREATED
    assert AuditEvent.objects.filter(action="reports.report.create",
                                     target_id=str(report.pk)).count() == 1


def test_a_typed_address_decides_the_town_and_dumping_goes_to_the_recycling_office():
    report = report_create(category=category("illegal-dumping"), description="粗大ごみ",
                           address="東京都港区元麻布3-8-15", actor=None)
    assert (report.town.name, report.town.chome) == ("元麻布", 3)
    assert report.town_source == Report.TownSource.ADDRESS
    assert report.branch_office.code == "azabu"
    assert report.department.code == "recycle-seiso"
    assert report.latitude is None


@pytest.mark.parametrize(("place", "code"), [
    (SHIBUYA_STATION, "outside_area"),
    ((139.745433, 35.658581), "outside_area"),  # swapped
    (("abc", "139.7"), "bad_coordinates"),
    (("nan", "139.7"), "bad_coordinates"),
])
def test_places_outside_minato_or_not_numbers_are_refused_and_nothing_is_written(place, code):
    with pytest.raises(ValidationFailed) as error:
        make_report(place=place)
    assert error.value.code == code
    assert not Report.objects.exists()
    assert not AuditEvent.objects.filter(action="reports.report.create").exists()


def test_an_unknown_address_without_a_pin_is_refused():
    with pytest.raises(ValidationFailed) as error:
        report_create(category=category("graffiti"), description="落書き",
                      address="東京都渋谷区道玄坂1-1", actor=None)
    assert error.value.code == "unknown_address"
    assert not Report.objects.exists()


def test_required_answers_and_choices_are_checked():
    with pytest.raises(ValidationFailed) as error:
        make_report(attributes={})
    assert error.value.code == "attribute_required"
    with pytest.raises(ValidationFailed):
        make_report(attributes={"danger": "maybe"})
    assert not Report.objects.exists()


def test_photos_are_re_encoded_without_exif_and_non_images_are_refused():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    prepared = photo_prepare(upload(jpeg_bytes(exif=exif.tobytes())))
    assert b"PhoneMaker" not in prepared.content
    assert prepared.content[:2] == b"\xff\xd8"
    assert photo_prepare(upload(png_bytes(), "a.png", "image/png")).width == 40
    with pytest.raises(ValidationFailed) as error:
        photo_prepare(upload(b"MZ\x90\x00 not an image", "photo.jpg"))
    assert error.value.code == "not_an_image"
    with pytest.raises(ValidationFailed) as error:
        photo_prepare(upload(b"", "empty.jpg"))
    assert error.value.code == "photo_empty"


def test_at_most_three_photos():
    with pytest.raises(ValidationFailed) as error:
        make_report(photos=[upload(jpeg_bytes()) for _ in range(4)])
    assert error.value.code == "too_many_photos"
    report = make_report(photos=[upload(jpeg_bytes()) for _ in range(3)], place=AZABU_JUBAN)
    assert report.photos.count() == 3
    assert not report.photos.filter(is_public=True).exists()


def test_status_changes_follow_the_workflow_and_record_history():
    report = make_report()
    report_transition(report=report, status=Report.Status.ACKNOWLEDGED, actor=None,
                      public_note="確認しました")
    assert report.acknowledged_at is not None
    report_transition(report=report, status=Report.Status.FIXED, actor=None,
                      public_note="補修しました")
    assert report.closed_at is not None
    with pytest.raises(ConflictError):
        report_transition(report=report, status=Report.Status.NEW, actor=None)
    with pytest.raises(ValidationFailed):
        report_transition(report=report, status=Report.Status.FIXED, actor=None)
    assert list(report.updates.values_list("kind", flat=True)) == ["created", "status", "status"]
    report_transition(report=report, status=Report.Status.IN_PROGRESS, actor=None)
    report.refresh_from_db()
    assert report.closed_at is None
