"""Helpers shared by the tests of the residents' report pages (取組13)."""

import io

import pytest
from django.urls import reverse

from cityhall.core.models import AuditEvent

from ..models import Report, ReportFollower, ReportPhoto, ReportUpdate
from .factories import MINATO_LIBRARY, jpeg_bytes, upload

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
CREATE = reverse("reports:report_create")
# Private strings a test reporter gives: none may appear on a public page.
PRIVATE = {"contact_name": "秘密 太郎", "contact_email": "secret.taro@example.jp",
           "contact_phone": "03-9999-8888"}
SECRET_TEXT = "車のナンバー 品川500あ1234 の前に穴"


def create_url(code: str = "road-surface") -> str:
    return f"{CREATE}?category={code}"


def near(place, *, metres_north: float):
    """A point `metres_north` metres north of `place`."""
    return (round(place[0] + metres_north / 111_320, 6), place[1])


def form_data(*, place=MINATO_LIBRARY, code="road-surface", photos=(), **overrides):
    data = {"category": code, "attr_danger": "no", "latitude": str(place[0]) if place else "",
            "longitude": str(place[1]) if place else "", "address": "",
            "description": "歩道の前の車道に穴があいています", "follow": "on",
            "action": "check", **PRIVATE}
    if photos:
        data["photos"] = list(photos)
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def heic_bytes(size=(64, 48)) -> bytes:
    import pillow_heif
    from PIL import Image

    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", size, (20, 90, 200))).save(out, format="HEIF",
                                                                       quality=50)
    return out.getvalue()


def jpeg_upload(name="photo.jpg"):
    return upload(jpeg_bytes(), name)


def snapshot():
    """What a refused submission must leave as it was."""
    return (Report.objects.count(), ReportPhoto.objects.count(), ReportUpdate.objects.count(),
            ReportFollower.objects.count(),
            AuditEvent.objects.filter(action__startswith="reports.").count())


@pytest.fixture
def pending_dir(settings, tmp_path):
    """Private storage for the photos kept across the confirmation step, per test."""
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None}},
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "private" / "reports-pending"
