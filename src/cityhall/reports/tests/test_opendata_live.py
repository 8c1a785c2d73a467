"""The street-problem reports as a live open dataset (取組13, 27): only what the public pages
show, the place rounded to about 100 m, never the description, photos or the reporter."""

import pytest
from django.utils import timezone

from cityhall.opendata import providers
from cityhall.opendata import standards as std
from cityhall.opendata.live import live_dataset_refresh
from cityhall.opendata.models import Dataset
from cityhall.opendata.tests.live_helpers import live_rows, live_text, private_storage
from cityhall.reports.models import Report

from .factories import MINATO_LIBRARY, jpeg_bytes, make_report, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]
__all__ = ["private_storage"]

NAME = "131032-street-report"
SECRETS = ["玄関の前の穴で祖母が転びました", "山田花子", "hanako@example.jp", "0312345678"]


def test_only_public_fields_with_a_coarse_place(minato):
    report = make_report(description=SECRETS[0], contact_name=SECRETS[1],
                         contact_email=SECRETS[2], contact_phone=SECRETS[3],
                         photos=[upload(jpeg_bytes())])
    Report.objects.filter(pk=report.pk).update(is_public=True,
                                               public_description="道路の穴（公開）")
    providers.live_publish()
    header, *rows = live_rows(NAME)
    assert header == std.STREET_REPORT_COLUMNS
    row = dict(zip(header, next(r for r in rows if r[2] == report.reference), strict=True))
    assert row == {
        "全国地方公共団体コード": "131032", "地方公共団体名": "東京都港区",
        "受付番号": report.reference, "種別": report.category.name, "状態": "受付",
        "所在地_町字": f"{report.town.name}{std.chome_kanji(report.town.chome)}丁目",
        "緯度": f"{MINATO_LIBRARY[0]:.3f}", "経度": f"{MINATO_LIBRARY[1]:.3f}",
        "受付日": timezone.localdate(report.created_at).isoformat(), "完了日": "",
        "備考": ""}
    everything = live_text(NAME) + live_text(NAME, "geojson")
    for secret in [*SECRETS, "道路の穴（公開）", f"{MINATO_LIBRARY[0]:.6f}",
                   report.open311_token, "photo"]:
        assert secret not in everything
    assert all(line.startswith("131032,") for line in live_text(NAME).splitlines()[1:])


def test_a_status_change_regenerates_the_file(minato):
    report = make_report()
    providers.live_publish()
    dataset = Dataset.objects.get(name=NAME)
    now = timezone.now()
    Report.objects.filter(pk=report.pk).update(status=Report.Status.FIXED, closed_at=now,
                                               updated_at=now)
    assert live_dataset_refresh(dataset) is True
    header, *rows = live_rows(NAME)
    row = dict(zip(header, next(r for r in rows if r[2] == report.reference), strict=True))
    assert (row["状態"], row["完了日"]) == ("対応完了", timezone.localdate(now).isoformat())
    assert live_dataset_refresh(Dataset.objects.get(name=NAME)) is False
