"""Helpers for tests of live datasets (used by opendata's tests and by the apps that register
live datasets: disaster, reports)."""

import csv
import io
import json

import pytest

from cityhall.opendata.models import Dataset, Resource


@pytest.fixture
def private_storage(settings, tmp_path, monkeypatch):
    """The private attachments storage in a temporary folder (opendata's own tests get it
    automatically from their conftest; other apps' tests ask for it).

    Changing the setting alone is not enough: a FileField resolves a callable storage once,
    when the model is defined, so `Resource.file` keeps the real storage (and tests would
    write into DATA_DIR) unless the field's storage is swapped too."""
    from django.core.files.storage import storages

    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "attachments"), "base_url": None}}}
    monkeypatch.setattr(Resource._meta.get_field("file"), "storage", storages["attachments"])


def live_resource(name: str, variant: str = "csv") -> Resource:
    return Resource.objects.get(dataset__name=name, kind=Resource.Kind.LIVE,
                                live_variant=variant)


def live_rows(name: str) -> list[list[str]]:
    """The live CSV of dataset `name` as rows (the header first)."""
    resource = live_resource(name)
    with resource.file.open("rb") as handle:
        text = handle.read().decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def live_text(name: str, variant: str = "csv") -> str:
    resource = live_resource(name, variant)
    with resource.file.open("rb") as handle:
        return handle.read().decode("utf-8")


def live_geojson(name: str) -> dict:
    return json.loads(live_text(name, "geojson"))


def live_dataset(name: str) -> Dataset:
    return Dataset.objects.get(name=name)
