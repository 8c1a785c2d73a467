"""The municipality's boundary and the point-in-polygon test behind it."""

import pytest

from cityhall.core.geo import point_in_multipolygon, point_in_ring
from cityhall.core.selectors import municipality_boundary, municipality_contains

SQUARE = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
HOLE = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]


def test_point_in_ring_and_holes():
    assert point_in_ring(5, 5, SQUARE)
    assert not point_in_ring(11, 5, SQUARE)
    assert not point_in_ring(5, -0.1, SQUARE)
    # lat, lon order: the ring holds [lon, lat]
    assert point_in_multipolygon(2, 2, [[SQUARE, HOLE]])
    assert not point_in_multipolygon(5, 5, [[SQUARE, HOLE]])
    assert point_in_multipolygon(5, 5, [[SQUARE, HOLE], [HOLE]])
    assert not point_in_multipolygon(5, 5, [])


def test_minato_boundary_is_shipped_with_the_bay_islands():
    polygons = municipality_boundary()
    assert len(polygons) == 9
    assert sum(len(polygon[0]) for polygon in polygons) > 1500


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (35.6586, 139.7454, True),  # Tokyo Tower
    (35.6300, 139.7750, True),  # Odaiba, on an island of the ward
    (35.6604, 139.7292, True),  # Roppongi Hills
    (35.6285, 139.7387, True),  # Shinagawa station stands in Minato
    (35.6800, 139.7286, True),  # Akasaka Palace
    (35.6580, 139.7016, False),  # Shibuya station
    (35.6717, 139.7650, False),  # Ginza (Chuo)
    (35.6220, 139.7502, False),  # Tennozu Isle (Shinagawa)
    (35.6200, 139.7900, False),  # the bay
])
def test_places_in_and_around_minato(lat, lon, inside):
    assert municipality_contains(lat, lon) is inside


def test_without_a_boundary_file_every_point_is_accepted(settings, tmp_path):
    municipality_boundary.cache_clear()
    settings.CITYHALL_BOUNDARY_FILE = str(tmp_path / "missing.geojson")
    try:
        assert municipality_contains(35.6580, 139.7016)
    finally:
        municipality_boundary.cache_clear()
