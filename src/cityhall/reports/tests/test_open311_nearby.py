"""The nearby-duplicate search that `bench/reports_bench.py` measures (取組13):
`selectors.nearby_open_reports` finds open reports of one category within a radius, the
nearest first, and nothing else."""

import pytest

from ..models import Report
from ..selectors import nearby_open_reports
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
    assert [item.report.pk for item in found] == [nearer.pk, near.pk]
    assert 15 < found[0].distance_m < 20 and 30 < found[1].distance_m < 36
