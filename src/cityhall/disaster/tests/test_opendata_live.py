"""The disaster app's live open datasets (取組12, 27): 指定緊急避難場所一覧 in the standard's 03
layout and 指定避難所一覧 in the same layout plus the GSI 共通ID, from the real GSI data."""

import pytest
from django.utils import timezone

from cityhall.core.models import Facility
from cityhall.disaster.models import ShelterStatus
from cityhall.opendata import providers
from cityhall.opendata import standards as std
from cityhall.opendata.live import live_dataset_refresh
from cityhall.opendata.models import Dataset
from cityhall.opendata.registry import live_dataset
from cityhall.opendata.tests.live_helpers import live_geojson, live_rows, private_storage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]
__all__ = ["private_storage"]

SPACES = "131032-evacuation-space"
SHELTERS = "131032-evacuation-shelter"


def _row(name: str, **match) -> dict:
    header, *rows = live_rows(name)
    found = [dict(zip(header, row, strict=True)) for row in rows]
    return next(row for row in found if all(row[k] == v for k, v in match.items()))


def test_evacuation_sites_in_the_03_layout(minato):
    providers.live_publish()
    header, *rows = live_rows(SPACES)
    assert header == std.EVACUATION_SPACE_COLUMNS
    assert len(rows) == Facility.objects.filter(kind=Facility.Kind.EVACUATION_SITE).count() == 61
    assert all(row[0] == "131032" and row[22] == "131032" and row[23] == "東京都港区"
               for row in rows)
    dataset = Dataset.objects.get(name=SPACES)
    assert dataset.organization.name == "disaster-management"
    assert "国土地理院" in dataset.notes
    assert len(live_geojson(SPACES)["features"]) == 61


def test_a_real_site_carries_its_gsi_hazards(minato):
    """南山小学校 (GSI 共通ID E1310300001201): flood, landslide, storm surge and earthquake, and
    the same address as a designated shelter."""
    providers.live_publish()
    row = _row(SPACES, ID="E1310300001201")
    assert row["名称"] == "南山小学校"
    assert row["所在地_連結表記"] == "東京都港区元麻布3-8-15"
    assert (row["所在地_町字"], row["所在地_番地以下"]) == ("元麻布三丁目", "8-15")
    assert (row["緯度"], row["経度"]) == ("35.657226", "139.731113")
    assert [row[f"災害種別_{name}"] for name, _code in std.HAZARDS] == [
        "1", "1", "1", "1", "", "", "", ""]
    assert row["指定避難所との重複"] == "1"
    assert row["想定収容人数"] == ""


def test_shelters_use_the_03_layout_with_the_common_id(minato):
    providers.live_publish()
    header, *rows = live_rows(SHELTERS)
    assert header == std.EVACUATION_SHELTER_COLUMNS
    assert len(rows) == 83
    assert all(row[0] == "131032" and row[32] == "1" for row in rows)
    row = _row(SHELTERS, 共通ID="E1310300001111")
    assert (row["ID"], row["名称"]) == ("E1310300001111", "南山小学校")
    # The same place is an evacuation site: its hazards are shown on the shelter's row.
    assert row["災害種別_地震"] == "1" and row["災害種別_津波"] == ""
    assert "指定避難所の項目定義がない" in Dataset.objects.get(name=SHELTERS).notes


def test_a_demo_capacity_is_never_published_a_real_one_is(minato):
    providers.live_publish()
    facility = Facility.objects.get(code="E1310300001111")
    status = ShelterStatus.objects.create(facility=facility, capacity=900,
                                          capacity_is_demo=True)
    dataset = Dataset.objects.get(name=SHELTERS)
    live_dataset_refresh(dataset)
    assert _row(SHELTERS, 共通ID="E1310300001111")["想定収容人数"] == ""
    version = live_dataset("disaster.evacuation_shelters").version()
    ShelterStatus.objects.filter(pk=status.pk).update(capacity=810, capacity_is_demo=False,
                                                      updated_at=timezone.now())
    assert live_dataset("disaster.evacuation_shelters").version() != version
    assert live_dataset_refresh(Dataset.objects.get(name=SHELTERS)) is True
    assert _row(SHELTERS, 共通ID="E1310300001111")["想定収容人数"] == "810"
