"""The nearby-duplicate search that `bench/reports_bench.py` measures (取組13):
`selectors.nearby_open_reports` finds open reports of one category within a radius, the
nearest first, and nothing else."""

import pytest

from cityhall.core.geo import haversine_m

from ..models import Report
from ..selectors import bounding_box, nearby_open_reports
from ..services.reports import report_transition
from .factories import MINATO_LIBRARY, category, make_report

pytestmark = pytest.mark.django_db


def test_open_reports_of_the_category_within_the_radius_nearest_first(minato):
    lat, lon = MINATO_LIBRARY
    near = make_report(place=(lat + 0.0003, lon))  # about 33 m north
    nearer = make_report(place=(lat, lon + 0.0002))  # about 18 m east
    make_report(place=(lat + 0.0020, lon))  # about 220 m: outside
    make_report(code="pavement", place=(lat, lon))  # another category
    closed = make_report(place=(lat, lon))
    report_transition(report=closed, status=Report.Status.FIXED, actor=None)
    found = nearby_open_reports(category=category("road-surface"), latitude=lat, longitude=lon,
                                radius_m=100)
    assert [r.pk for r in found] == [nearer.pk, near.pk]
    assert 15 < found[0].distance_m < 20 and 30 < found[1].distance_m < 36


def test_the_box_holds_the_whole_circle(minato):
    lat, lon = MINATO_LIBRARY
    south, north, west, east = bounding_box(lat, lon, 100)
    assert haversine_m(lat, lon, north, lon) == pytest.approx(100, rel=0.01)
    assert haversine_m(lat, lon, lat, east) == pytest.approx(100, rel=0.01)
    assert south < lat < north and west < lon < east
