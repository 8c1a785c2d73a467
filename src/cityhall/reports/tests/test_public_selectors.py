"""Possible duplicates (`selectors.nearby_open_reports`) and the clean-up of photos kept for
abandoned forms (取組13)."""

import datetime
import os

import pytest
from django.db import connection
from django.utils import timezone

from ..models import Report
from ..selectors import nearby_open_reports
from ..services import public as public_services
from ..services.reports import photo_prepare
from .factories import MINATO_LIBRARY, category, jpeg_bytes, make_report, upload
from .public_helpers import near, pending_dir  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pending_dir")]


def test_nearby_open_reports_of_the_same_category_nearest_first():
    at_60 = make_report(place=near(MINATO_LIBRARY, metres_north=60))
    at_10 = make_report(place=near(MINATO_LIBRARY, metres_north=10))
    make_report(place=near(MINATO_LIBRARY, metres_north=130))  # outside 100 m
    make_report(code="graffiti", place=MINATO_LIBRARY)  # another category
    closed = make_report(place=MINATO_LIBRARY)
    Report.objects.filter(pk=closed.pk).update(status=Report.Status.FIXED)
    found = nearby_open_reports(category=category(), latitude=MINATO_LIBRARY[0],
                                longitude=MINATO_LIBRARY[1])
    assert [item.report for item in found] == [at_10, at_60]
    assert 9 < found[0].distance_m < 11
    assert len(nearby_open_reports(category=category(), latitude=MINATO_LIBRARY[0],
                                   longitude=MINATO_LIBRARY[1], radius_m=200)) == 3
    assert len(nearby_open_reports(category=category(), latitude=MINATO_LIBRARY[0],
                                   longitude=MINATO_LIBRARY[1], limit=1)) == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN output checked on SQLite")
def test_the_bounding_box_uses_the_nearby_index():
    from django.test.utils import CaptureQueriesContext

    road = category()
    with CaptureQueriesContext(connection) as queries:
        nearby_open_reports(category=road, latitude=MINATO_LIBRARY[0],
                            longitude=MINATO_LIBRARY[1])
    assert len(queries) == 1
    sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "reports_nearby_idx" in plan


def test_kept_photos_round_trip_and_abandoned_ones_are_purged(pending_dir):  # noqa: F811
    prepared = photo_prepare(upload(jpeg_bytes()))
    token = public_services.pending_photos_keep([prepared])
    assert public_services.pending_photos_load(token) == [prepared]
    assert len(os.listdir(pending_dir)) == 1
    assert public_services.pending_photos_purge() == 0  # still fresh
    later = timezone.now() + datetime.timedelta(days=2)
    assert public_services.pending_photos_purge(now=later) == 1
    assert os.listdir(pending_dir) == []
    from cityhall.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        public_services.pending_photos_load(token)
    with pytest.raises(ValidationFailed):
        public_services.pending_photos_load(token[:-2] + "xx")


def test_the_purge_task_is_registered_and_runs(settings):
    from cityhall.core.periodic import registered_periodic_tasks

    from ..tasks import reports_pending_photos_purge

    assert reports_pending_photos_purge.module_path in registered_periodic_tasks()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}
    result = reports_pending_photos_purge.enqueue()
    assert result.return_value == "removed 0"
