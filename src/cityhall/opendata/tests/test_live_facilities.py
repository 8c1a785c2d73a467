"""The catalogue's own live datasets from core facilities (公共施設一覧, the 5G list), the
version/refresh cycle that keeps a file's last-modified honest, publishing on load
(`providers.reference_load`, `manage.py opendata_refresh`) and the demo catalogue."""

import pytest
from django.core.management import call_command

from cityhall.core.models import AuditEvent, Facility
from cityhall.opendata import providers
from cityhall.opendata import standards as std
from cityhall.opendata.demo import DATASETS, load_opendata_demo
from cityhall.opendata.live import live_dataset_refresh
from cityhall.opendata.models import Dataset, Resource
from cityhall.opendata.registry import live_dataset

from .live_helpers import live_dataset as dataset_named
from .live_helpers import live_geojson, live_resource, live_rows

pytestmark = pytest.mark.django_db

FACILITIES = "131032-public-facility"
BASE_STATIONS = "131032-5g-base-station-site"


def test_the_providers_are_registered_with_the_standard_file_names():
    assert live_dataset("opendata.public_facilities").file_stem == "131032_public_facility"
    assert live_dataset("opendata.base_station_sites").columns == std.BASE_STATION_COLUMNS


def test_public_facilities_in_the_standard_columns(minato):
    providers.live_publish()
    rows = live_rows(FACILITIES)
    assert rows[0] == std.PUBLIC_FACILITY_COLUMNS
    expected = Facility.objects.filter(kind__in=providers.PUBLIC_FACILITY_KINDS).count()
    assert len(rows) - 1 == expected > 0
    assert all(row[0] == "131032" and row[2] == "東京都港区" for row in rows[1:])
    # Shelters and evacuation sites are the disaster app's datasets, not this one.
    assert not any(row[3] == "南山小学校" for row in rows[1:])
    resource = live_resource(FACILITIES)
    assert resource.file.name.endswith("131032_public_facility.csv")
    assert resource.row_count == expected
    assert dataset_named(FACILITIES).organization.name == "it-policy"


def test_a_facility_row_reads_as_the_standard_says(minato):
    facility = Facility.objects.create(
        municipality=minato, code="test-hall", name="テスト区民ホール",
        name_kana="てすとくみんほーる",
        kind=Facility.Kind.COMMUNITY, address="東京都港区芝公園1-5-25 ホール棟",
        town=minato.towns.get(name="芝公園", chome=1), latitude="35.6553001",
        longitude="139.7495", opening_hours="Mo-Fr 09:00-17:00",
        accessibility=["step_free", "elevator"])
    providers.live_publish()
    header, *rows = live_rows(FACILITIES)
    row = dict(zip(header, next(r for r in rows if r[3] == "テスト区民ホール"), strict=True))
    assert row["ID"] == std.stable_id(facility.code)
    assert row["名称_カナ"] == "テストクミンホール"
    assert (row["所在地_町字"], row["所在地_番地以下"], row["建物名等(方書)"]) == (
        "芝公園一丁目", "5-25", "ホール棟")
    assert (row["緯度"], row["経度"]) == ("35.655300", "139.749500")
    assert (row["利用可能曜日"], row["開始時間"], row["終了時間"]) == ("月火水木金", "09:00",
                                                                   "17:00")
    assert row["バリアフリー情報"] == "段差のない出入口;エレベーター"
    feature = next(f for f in live_geojson(FACILITIES)["features"]
                   if f["properties"]["名称"] == "テスト区民ホール")
    assert feature["geometry"]["coordinates"] == [139.7495, 35.6553]


def test_a_change_regenerates_the_files_and_moves_last_modified(minato):
    providers.live_publish()
    dataset = dataset_named(FACILITIES)
    before = live_resource(FACILITIES)
    version = dataset.live_version
    facility = Facility.objects.filter(kind=Facility.Kind.LIBRARY).first()
    facility.name = "港区立三田図書館（新）"
    facility.save()
    assert live_dataset("opendata.public_facilities").version() != version
    assert live_dataset_refresh(dataset) is True
    after = live_resource(FACILITIES)
    assert after.last_modified > before.last_modified
    assert after.hash != before.hash
    assert any(row[3] == "港区立三田図書館（新）" for row in live_rows(FACILITIES))
    assert dataset_named(FACILITIES).metadata_modified >= after.last_modified
    # Nothing changed since: nothing is written and last-modified stays.
    events = AuditEvent.objects.filter(action="opendata.live_refresh").count()
    assert live_dataset_refresh(dataset_named(FACILITIES)) is False
    again = live_resource(FACILITIES)
    assert (again.last_modified, again.hash, again.file.name) == (
        after.last_modified, after.hash, after.file.name)
    assert AuditEvent.objects.filter(action="opendata.live_refresh").count() == events


def test_a_new_version_with_the_same_content_keeps_last_modified(minato):
    providers.live_publish()
    before = live_resource(FACILITIES)
    Facility.objects.filter(kind=Facility.Kind.LIBRARY).first().save()  # touched, unchanged
    assert live_dataset_refresh(dataset_named(FACILITIES)) is False
    assert live_resource(FACILITIES).last_modified == before.last_modified


def test_publishing_is_idempotent(minato):
    first = providers.live_publish()
    datasets, resources = Dataset.objects.count(), Resource.objects.count()
    events = AuditEvent.objects.filter(action__startswith="opendata.").count()
    files = {resource.pk: resource.file.name for resource in Resource.objects.all()}
    assert providers.live_publish().endswith("0 regenerated")
    assert first.startswith(f"{datasets} live datasets")
    assert (Dataset.objects.count(), Resource.objects.count()) == (datasets, resources)
    assert AuditEvent.objects.filter(action__startswith="opendata.").count() == events
    assert {r.pk: r.file.name for r in Resource.objects.all()} == files


def test_the_reference_loader_publishes_unless_turned_off(minato, settings):
    settings.OPENDATA_LIVE_PUBLISH_ON_LOAD = False
    assert "not published" in providers.reference_load()
    assert not Dataset.objects.exists()
    settings.OPENDATA_LIVE_PUBLISH_ON_LOAD = True
    providers.reference_load()
    assert set(Dataset.objects.values_list("live_key", flat=True)) >= {
        "opendata.public_facilities", "opendata.base_station_sites"}
    assert Dataset.objects.get(live_key="opendata.public_facilities").groups.get().title == \
        "まちづくり"


def test_the_refresh_command_forces_when_asked(minato, capsys):
    call_command("opendata_refresh")
    assert "0 regenerated" not in capsys.readouterr().out
    call_command("opendata_refresh")
    assert capsys.readouterr().out.strip().endswith("0 regenerated")
    before = live_resource(FACILITIES).last_modified
    call_command("opendata_refresh", "--force")
    # Forced, but the content is the same: the file keeps its last-modified.
    assert live_resource(FACILITIES).last_modified == before


def test_the_demo_catalogue_is_marked_and_idempotent(minato):
    assert load_opendata_demo() == f"{len(DATASETS)} demo datasets"
    made = Dataset.objects.filter(is_demo=True)
    assert made.count() == len(DATASETS) >= 15
    assert load_opendata_demo() == "0 demo datasets"
    assert Dataset.objects.filter(is_demo=True).count() == len(DATASETS)
    assert made.filter(private=True).count() == 2
    assert made.filter(state=Dataset.State.DRAFT).count() == 1
    population = Dataset.objects.get(name="demo-population-by-town")
    assert "demo data, invented" in population.notes
    assert "Demo data, invented" in population.notes_en
    assert population.groups.get().name == "toukei"
    assert {r.format for r in population.resources.all()} == {"CSV", "JSON"}
    assert Dataset.objects.get(name="demo-aed").resources.filter(format="GEOJSON").exists()
    assert made.values("organization").distinct().count() >= 10
    assert not made.exclude(live_key="").exists()
