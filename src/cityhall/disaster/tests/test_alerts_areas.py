"""Alert areas (取組12, CAP rules beyond the XSD): polygons closed, at least four pairs, in
"lat,lon" order, not crossing themselves, inside Japan; circles "lat,lon radius_km"."""

import re

import pytest

from cityhall.disaster.alerts_geo import (
    AreaError,
    normalise_circle,
    normalise_polygon,
    parse_circle,
    parse_polygon,
)

SQUARE = "35.65,139.74 35.66,139.74 35.66,139.75 35.65,139.75 35.65,139.74"
CIRCLE = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)? \d+(\.\d+)?$")


def test_a_closed_square_in_minato_is_accepted():
    points = parse_polygon(SQUARE)
    assert points[0] == points[-1] and len(points) == 5
    assert normalise_polygon("\n  " + SQUARE.replace(" ", "   ") + "\n") == SQUARE


@pytest.mark.parametrize(("polygon", "code"), [
    ("", "format"),
    ("35.65;139.74 35.66;139.74 35.66;139.75 35.65;139.74", "format"),
    ("35.65,139.74,0 35.66,139.74 35.66,139.75 35.65,139.74", "format"),
    ("35.65,139.74 35.66,139.74 35.65,139.74", "too_few_points"),
    ("35.65,139.74 35.66,139.74 35.66,139.75 35.65,139.75", "not_closed"),
    # A bow tie: the second and fourth edges cross.
    ("35.65,139.74 35.66,139.75 35.66,139.74 35.65,139.75 35.65,139.74", "self_intersecting"),
    # Back and forth along one line.
    ("35.65,139.74 35.66,139.74 35.65,139.74 35.66,139.74 35.65,139.74", "self_intersecting"),
    # Longitude first (139.74,35.65): latitude over 90 is not a coordinate at all.
    ("139.74,35.65 139.74,35.66 139.75,35.66 139.74,35.65", "format"),
    # New York.
    ("40.7,-74.0 40.8,-74.0 40.8,-73.9 40.7,-74.0", "outside_japan"),
    # Seoul, Busan and Taipei: close, but not Japan.
    ("37.5,126.9 37.6,126.9 37.6,127.0 37.5,126.9", "outside_japan"),
    ("35.1,129.0 35.2,129.0 35.2,129.1 35.1,129.0", "outside_japan"),
    ("25.0,121.5 25.1,121.5 25.1,121.6 25.0,121.5", "outside_japan"),
])
def test_bad_polygons_are_refused(polygon, code):
    with pytest.raises(AreaError) as refused:
        parse_polygon(polygon)
    assert refused.value.code == code


@pytest.mark.parametrize(("lat", "lon"), [
    (35.6581, 139.7516), (26.2124, 127.6809), (43.0621, 141.3544), (24.4667, 122.9333),
    (27.0944, 142.1919), (34.2, 129.3), (33.59, 130.40), (34.39, 132.46)])
def test_places_in_japan_are_in_japan(lat, lon):
    from cityhall.core.geo import in_japan

    assert in_japan(lat, lon)


def test_a_circle():
    assert parse_circle("35.6581,139.7516 2") == (35.6581, 139.7516, 2.0)
    assert CIRCLE.match(normalise_circle(" 35.6581,139.7516 0.5 "))


@pytest.mark.parametrize(("circle", "code"), [
    ("35.6581,139.7516", "format"), ("35.6581 139.7516 2", "format"),
    ("35.6581,139.7516 -2", "format"), ("35.6581,139.7516 0", "radius"),
    ("35.6581,139.7516 500", "radius"), ("51.5,-0.12 2", "outside_japan"),
    ("35.6581,139.7516 2 km", "format"),
])
def test_bad_circles_are_refused(circle, code):
    with pytest.raises(AreaError) as refused:
        parse_circle(circle)
    assert refused.value.code == code
