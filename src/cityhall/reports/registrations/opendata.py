"""The street-problem reports as a live open dataset (取組13, 27), registered with the catalogue
when the opendata engine is installed.

Only what the public pages already show of every report (`selectors.public_reports`): the
reference number, the category, the status, the town (丁目), the dates, and the place rounded
to 3 decimals (about 100 m), so that the file cannot point at a reporter's home. Never the
description (not even the moderated one), the answers, the photos, the address typed, the
reporter or their contact details. There is no national standard for such a list: the
columns are the platform's own, opening with 全国地方公共団体コード and 地方公共団体名 as the
自治体標準オープンデータセット do.
"""

ORGANIZATION = "doboku"  # 街づくり支援部 土木課
COARSE_PLACES = 3  # decimals of latitude/longitude published (~100 m)
STATUS_LABELS = {  # in Japanese whatever the page language: the file is the same for all
    "new": "受付", "acknowledged": "確認済", "in_progress": "対応中", "fixed": "対応完了",
    "not_responsible": "区の管理外", "duplicate": "重複",
}


def version() -> str:
    import hashlib

    from django.db.models import Count, Max

    from ..models import Report, ServiceCategory

    summary = Report.objects.aggregate(count=Count("pk"), latest=Max("updated_at"))
    latest = summary["latest"].isoformat() if summary["latest"] else ""
    names = "|".join(f"{pk}:{name}" for pk, name in ServiceCategory.objects.order_by(
        "pk").values_list("pk", "name"))
    return f"reports:{summary['count']}:{latest}:{hashlib.sha256(names.encode()).hexdigest()[:12]}"


def _town(town) -> str:
    from cityhall.opendata import standards as std

    if town is None:
        return ""
    return f"{town.name}{std.chome_kanji(town.chome)}丁目" if town.chome else town.name


def rows():
    from django.utils import timezone

    from cityhall.opendata import standards as std

    from ..selectors import public_reports

    reports = public_reports().only(
        "reference", "status", "latitude", "longitude", "created_at", "closed_at", "is_demo",
        "category__name", "town__name", "town__chome").select_related(None).select_related(
        "category", "town").order_by("created_at", "pk")
    for report in reports.iterator(chunk_size=1000):
        yield [
            std.MUNICIPALITY_CODE, std.MUNICIPALITY_NAME, report.reference,
            report.category.name, STATUS_LABELS.get(report.status, report.status),
            _town(report.town), std.coordinate(report.latitude, COARSE_PLACES),
            std.coordinate(report.longitude, COARSE_PLACES),
            timezone.localdate(report.created_at).isoformat(),
            timezone.localdate(report.closed_at).isoformat() if report.closed_at else "",
            std.DEMO_NOTE if report.is_demo else "",
        ]


def geojson() -> dict:
    from cityhall.opendata import standards as std

    return std.feature_collection(std.STREET_REPORT_COLUMNS, rows())


def register() -> None:
    from cityhall.opendata import standards as std
    from cityhall.opendata.registry import LiveDataset, register_live_dataset

    register_live_dataset(LiveDataset(
        key="reports.street_reports", name="131032-street-report",
        title="道路・公園等の損傷通報一覧", title_en="Street-problem reports",
        organization=ORGANIZATION, columns=std.STREET_REPORT_COLUMNS, rows=rows,
        version=version, geojson=geojson, file_stem=f"{std.MUNICIPALITY_CODE}_street_report",
        notes=("区民から通報された道路・公園などの損傷や不法投棄と、区の対応状況の一覧です。受付番号、"
               "種別、状態、町丁目、受付日・完了日と、おおよその位置（小数点以下3桁、約100m単位に"
               "丸めたもの）だけを載せ、通報の内容や写真、通報者の情報は載せません。国の標準データ"
               "セットはないため、項目は区独自のものです。"),
        notes_en=("Street problems residents reported (damaged roads and parks, dumping, "
                  "graffiti ...) and what the city did. Only the reference number, category, "
                  "status, town, dates and an approximate place (rounded to 3 decimals, about "
                  "100 m) are published; never what was written, the photos or who reported. "
                  "There is no national standard for this list: the columns are the city's "
                  "own."),
        tags=["道路", "公園", "通報"], groups=["machizukuri"]))
