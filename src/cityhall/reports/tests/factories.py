"""Factories and helpers shared by the reports tests."""

import io

from PIL import Image

from cityhall.core.models import Department

from ..models import ServiceCategory
from ..services.reports import report_create

# Places used by the tests (WGS84): beside みなと図書館 (芝公園3丁目, 芝地区), beside 麻布小学校
# (麻布台1丁目, 麻布地区), and Shibuya station, outside the ward. A pin's town is that of the
# nearest known place, so the test places sit next to one.
MINATO_LIBRARY = (35.659950, 139.750100)
AZABU_JUBAN = (35.661800, 139.738500)
AZABU_JUBAN = (35.654800, 139.736300)
SHIBUYA_STATION = (35.658034, 139.701636)


def category(code: str = "road-surface") -> ServiceCategory:
    return ServiceCategory.objects.get(code=code)


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def jpeg_bytes(size=(64, 48), color=(200, 30, 30), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif else {}
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def png_bytes(size=(40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(out, format="PNG")
    return out.getvalue()


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def make_report(*, code: str = "road-surface", place=MINATO_LIBRARY, actor=None, **kwargs):
    answers = kwargs.pop("attributes", None)
    if answers is None:
        answers = {"danger": "no"} if category(code).attributes.filter(
            code="danger").exists() else {}
    return report_create(category=category(code), description=kwargs.pop(
        "description", "歩道の前の車道に穴があいています"), latitude=place[0],
        longitude=place[1], attributes=answers, actor=actor, **kwargs)
