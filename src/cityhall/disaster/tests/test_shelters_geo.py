"""Distances and positions for "nearest open shelters": the haversine distance against known
values, points outside Japan refused, typed Minato addresses resolved (and others refused),
and the nearest open shelters sorted by distance."""

import math

import pytest

from cityhall.core.errors import ValidationFailed
from cityhall.core.geo import EARTH_RADIUS_M, haversine_m
from cityhall.disaster import services
from cityhall.disaster.selectors import shelters as selectors

from .shelters_fixtures import NANZAN_ES, ONARIMON_JHS, shelter


def test_haversine_matches_the_rosetta_code_reference():
    # Rosetta Code's haversine task: BNA (36.12, -86.67) to LAX (33.94, -118.40) is
    # 2887.2599506071106 km on a sphere of radius 6372.8 km.
    metres = haversine_m(36.12, -86.67, 33.94, -118.40) * 6372.8e3 / EARTH_RADIUS_M
    assert metres == pytest.approx(2_887_259.9506071106, abs=1e-3)


def test_haversine_on_meridians_and_the_equator():
    one_degree = 2 * math.pi * EARTH_RADIUS_M / 360
    assert haversine_m(0, 0, 0, 1) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(35, 139, 36, 139) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0, 0, 90, 0) == pytest.approx(math.pi * EARTH_RADIUS_M / 2, rel=1e-12)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M, rel=1e-12)
    assert haversine_m(35.6581, 139.7516, 35.6581, 139.7516) == 0


def test_haversine_in_minato_agrees_with_the_ellipsoid():
    # Ellipsoidal distances on GRS80 by Vincenty's inverse formula: Tokyo Tower
    # (35.658581, 139.745433) to a point by the Minato City office (35.658068, 139.751599) is
    # 561.23 m, and to Tokyo Skytree (35.710063, 139.8107) 8217.87 m. The sphere is within
    # 0.5 % of both: a few metres in Minato.
    tower_to_office = haversine_m(35.658581, 139.745433, 35.658068, 139.751599)
    assert tower_to_office == pytest.approx(561.23, rel=0.005)
    assert haversine_m(35.658581, 139.745433, 35.710063, 139.8107) == pytest.approx(
        8217.87, rel=0.005)
    assert haversine_m(35.658068, 139.751599, 35.658581, 139.745433) == tower_to_office


@pytest.mark.parametrize("text", [
    "35.6581,139.7516", " 35.6581 , 139.7516 ",  # 港区役所
    "43.0621,141.3544", "26.2124,127.6809", "24.4676,123.0043",  # 札幌, 那覇, 与那国島
    "34.2,129.3", "33.5902,130.4017", "31.5966,130.5571", "37.9161,139.0364",  # 対馬, 福岡...
    "33.1128,139.7897", "27.0944,142.1917", "20.4225,136.0800", "24.2867,153.9806",
    "45.5200,141.9369", "44.9,147.5",  # 宗谷岬, 択捉島
])
def test_points_in_japan_are_accepted(text):
    selectors.parse_point(text)


@pytest.mark.parametrize(("text", "code"), [
    ("51.5,-0.12", "outside_japan"), ("37.57,126.98", "outside_japan"),  # London, Seoul
    ("35.1796,129.0756", "outside_japan"), ("33.4996,126.5312", "outside_japan"),  # 釜山, 済州
    ("37.4844,130.9057", "outside_japan"), ("25.0330,121.5654", "outside_japan"),  # 鬱陵島, 台北
    ("31.2304,121.4737", "outside_japan"), ("43.1155,131.8855", "outside_japan"),  # 上海, ウラジオ
    ("46.9590,142.7380", "outside_japan"),  # ユジノサハリンスク
    ("-35.6581,139.7516", "outside_japan"), ("35.6581,-139.7516", "outside_japan"),
    ("0,0", "outside_japan"), ("91,0", "outside_japan"),
    ("35.6581", "invalid_point"), ("abc,def", "invalid_point"), ("nan,nan", "invalid_point"),
    ("inf,139", "invalid_point"), ("1,2,3", "invalid_point"), ("", "invalid_point"),
])
def test_points_outside_japan_or_garbled_are_refused(text, code):
    with pytest.raises(ValidationFailed) as error:
        selectors.parse_point(text)
    assert error.value.code == code
    assert error.value.field == "near"


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "town"), [
    ("東京都港区元麻布3-8-15", "元麻布3丁目"), ("港区元麻布３－８－１５", "元麻布3丁目"),
    ("西新橋3丁目", "西新橋3丁目"), ("芝公園2丁目", "芝公園2丁目"), ("元麻布", "元麻布"),
])
def test_a_minato_address_resolves_to_a_point_in_its_town(minato, address, town):
    point = selectors.resolve_address(address)
    assert point is not None
    assert point.town.label.startswith(town)
    selectors.check_in_japan(point.lat, point.lon)
    # The point lies in Minato: within 4 km of the city office.
    assert haversine_m(point.lat, point.lon, 35.658068, 139.751599) < 4000


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["渋谷区神宮前1-1", "東京都新宿区西新宿2-8-1",
                                     "大阪市北区梅田", "nowhere", "", " "])
def test_an_address_outside_minato_is_not_resolved(minato, address):
    assert selectors.resolve_address(address) is None


@pytest.mark.django_db
def test_nearest_open_shelters_come_first_by_distance(manager):
    services.shelter_status_update(facility=shelter(ONARIMON_JHS), actor=manager, is_open=True)
    services.shelter_status_update(facility=shelter(NANZAN_ES), actor=manager, is_open=True)
    nanzan = shelter(NANZAN_ES)
    rows = selectors.shelter_rows(near=(float(nanzan.latitude), float(nanzan.longitude)))
    assert [row.facility.code for row in rows[:2]] == [NANZAN_ES, ONARIMON_JHS]
    assert rows[0].distance_m == 0
    assert rows[1].distance_m == pytest.approx(haversine_m(
        float(nanzan.latitude), float(nanzan.longitude),
        float(shelter(ONARIMON_JHS).latitude), float(shelter(ONARIMON_JHS).longitude)))
    closed = [row.distance_m for row in rows[2:]]
    assert not any(row.is_open for row in rows[2:])
    assert closed == sorted(closed)
