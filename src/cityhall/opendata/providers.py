"""The catalogue's own live datasets, made from core's data (opendata may import core):

- 公共施設一覧 (`131032_public_facility`): the ward's facilities other than shelters and
  evacuation sites (those are the disaster app's datasets), in the 自治体標準オープンデータセット
  01 layout (`standards.PUBLIC_FACILITY_COLUMNS`, partly unconfirmed: see standards.py);
- 5G基地局設置可能施設一覧 (`131032_5g_base_station_site`, 取組30): the facilities staff marked as
  offered to mobile carriers for base stations (`Facility.base_station_offer`). There is no
  national standard for this list; it borrows the 公共施設一覧 style.

Registered from `OpendataConfig.ready()`. `version()` is a count and the latest change of
every facility (a facility changing kind, or leaving the list, moves it too).
"""

from django.db.models import Count, Max

from cityhall.core.models import Department, Facility

from . import standards as std
from .registry import LiveDataset, register_live_dataset

PUBLISHER = "it-policy"  # 企画経営部 情報政策課: the ward's open data office
PUBLIC_FACILITY_KINDS = [
    Facility.Kind.CITY_HALL, Facility.Kind.BRANCH_OFFICE, Facility.Kind.COMMUNITY,
    Facility.Kind.LIBRARY, Facility.Kind.SPORTS, Facility.Kind.CHILDCARE, Facility.Kind.OTHER,
]
KIND_LABELS = {  # 施設種別 as written in the files (Japanese whatever the page language)
    "city_hall": "区役所", "branch_office": "総合支所", "community": "区民センター等",
    "library": "図書館", "sports": "スポーツ施設", "childcare": "子育て施設",
    "other": "その他", "shelter": "指定避難所", "evacuation_site": "指定緊急避難場所",
}


def facilities_version() -> str:
    summary = Facility.objects.aggregate(count=Count("pk"), latest=Max("updated_at"))
    latest = summary["latest"].isoformat() if summary["latest"] else ""
    return f"facilities:{summary['count']}:{latest}"


def _remarks(facility: Facility, *extra: str) -> str:
    return " ".join(part for part in (*extra, std.DEMO_NOTE if facility.is_demo else "")
                    if part)


def _public_facilities():
    return (Facility.objects.filter(kind__in=PUBLIC_FACILITY_KINDS)
            .select_related("town").order_by("code"))


def public_facility_rows():
    for facility in _public_facilities():
        address = std.address_parts(facility.address, facility.town)
        days, start, end, hours_note = std.opening_hours(facility.opening_hours)
        yield [
            std.MUNICIPALITY_CODE, std.stable_id(facility.code), std.MUNICIPALITY_NAME,
            facility.name, std.katakana(facility.name_kana), facility.name_en, "", "",
            *address.values(),
            std.coordinate(facility.latitude), std.coordinate(facility.longitude), "", "",
            "", "", "", "", "", "", std.postcode(facility.attributes.get("郵便番号")),
            "", std.MUNICIPALITY_NAME, days, start, end, hours_note,
            KIND_LABELS.get(facility.kind, ""),
            std.multi(std.ACCESSIBILITY_LABELS.get(code, "") for code in facility.accessibility),
            "", "", "", _remarks(facility),
        ]


def public_facility_geojson() -> dict:
    return std.feature_collection(std.PUBLIC_FACILITY_COLUMNS, public_facility_rows())


def _contact() -> str:
    department = Department.objects.filter(code=PUBLISHER).first()
    return f"{std.MUNICIPALITY_NAME}{department.name}" if department else std.MUNICIPALITY_NAME


def base_station_rows():
    contact = _contact()
    facilities = (Facility.objects.filter(base_station_offer=Facility.BaseStationOffer.OFFERED)
                  .select_related("town").order_by("code"))
    for facility in facilities:
        yield [
            std.MUNICIPALITY_CODE, std.stable_id(facility.code), std.MUNICIPALITY_NAME,
            facility.name, std.katakana(facility.name_kana), facility.name_en,
            *std.address_parts(facility.address, facility.town).values(),
            std.coordinate(facility.latitude), std.coordinate(facility.longitude),
            KIND_LABELS.get(facility.kind, ""),
            std.multi(facility.base_station_places.split(";")),
            facility.base_station_conditions, contact, _remarks(facility),
        ]


def base_station_geojson() -> dict:
    return std.feature_collection(std.BASE_STATION_COLUMNS, base_station_rows())


PUBLIC_FACILITIES = LiveDataset(
    key="opendata.public_facilities", name="131032-public-facility",
    title="公共施設一覧", title_en="Public facilities", organization=PUBLISHER,
    columns=std.PUBLIC_FACILITY_COLUMNS, rows=public_facility_rows,
    version=facilities_version, geojson=public_facility_geojson,
    file_stem=f"{std.MUNICIPALITY_CODE}_public_facility",
    standard="自治体標準オープンデータセット 公共施設一覧",
    notes=("港区の公共施設（区役所・総合支所、区民センター、図書館、スポーツ施設、子育て施設ほか）の"
           "一覧です。デジタル庁「自治体標準オープンデータセット」の公共施設一覧の項目に沿っています"
           f"（{std.STANDARD_VERSION}。項目の並びの一部は定義書の原本で未確認です）。"
           "指定避難所・指定緊急避難場所は別のデータセットです。区のシステムのデータから自動で作成"
           "され、変更があると更新されます。"),
    notes_en=("Minato City's public facilities (city hall and branch offices, community "
              "centres, libraries, sports and childcare facilities and others), in the columns "
              "of the Digital Agency's standard open dataset 公共施設一覧 (part of the column "
              "order is not yet checked against the official definition). Shelters and "
              "evacuation sites are separate datasets. Generated from the city's own data and "
              "regenerated when it changes."),
    tags=["公共施設", "自治体標準オープンデータセット"], groups=["machizukuri"],
)

BASE_STATION_SITES = LiveDataset(
    key="opendata.base_station_sites", name="131032-5g-base-station-site",
    title="5G基地局設置可能な区有施設一覧",
    title_en="Ward facilities offered for 5G base stations", organization=PUBLISHER,
    columns=std.BASE_STATION_COLUMNS, rows=base_station_rows, version=facilities_version,
    geojson=base_station_geojson, file_stem=f"{std.MUNICIPALITY_CODE}_5g_base_station_site",
    notes=("携帯電話事業者が5G基地局を設置できる区有施設の一覧です（取組30 5G基地局設置への公共施設"
           "の開放）。設置可能箇所（屋上・壁面など）と条件、問合せ先を載せています。国の標準データ"
           "セットはないため、項目は公共施設一覧の形式にならい、独自の項目を加えています。"),
    notes_en=("Ward facilities where mobile carriers may place 5G base stations (initiative "
              "30), with where on the facility (roof, wall, ...), the conditions and whom to "
              "ask. There is no national standard for this list: the columns follow the style "
              "of the standard 公共施設一覧 and add the list's own columns."),
    tags=["5G", "基地局", "公共施設"], groups=["machizukuri"],
)

THEMES = {
    # name: (title, English title) — the themes the live datasets and the demo use
    "bousai": ("防災", "Disaster prevention"),
    "kosodate": ("子育て", "Childcare"),
    "fukushi": ("福祉", "Welfare"),
    "machizukuri": ("まちづくり", "Town planning"),
    "toukei": ("統計", "Statistics"),
}


def register() -> None:
    register_live_dataset(PUBLIC_FACILITIES)
    register_live_dataset(BASE_STATION_SITES)


def themes_ensure() -> None:
    """Create the themes with their proper titles (live_datasets_sync would otherwise name a
    missing theme by its slug)."""
    from .services import group_ensure

    for name, (title, title_en) in THEMES.items():
        group_ensure(name=name, title=title, title_en=title_en)



def live_publish(*, force: bool = False) -> str:
    """Create the registered live datasets that do not exist yet and regenerate those whose
    source changed (all of them with `force`). The reference loader "opendata.live" (run by
    `load_minato_reference` and `load_minato_demo`) and `manage.py opendata_refresh` call it;
    idempotent: a second run with nothing changed writes nothing."""
    from .live import live_dataset_refresh, live_datasets_sync
    from .models import Dataset

    themes_ensure()
    datasets = live_datasets_sync()
    refreshed = 0
    for dataset in Dataset.objects.exclude(live_key="").exclude(state=Dataset.State.DELETED):
        if live_dataset_refresh(dataset, force=force):
            refreshed += 1
    return f"{len(datasets)} live datasets, {refreshed} regenerated"


def reference_load() -> str:
    """The reference loader "opendata.live". The test suite's shared database turns it off
    (setting OPENDATA_LIVE_PUBLISH_ON_LOAD = False in the root conftest), so that every test
    starts from an empty catalogue; its own tests call `live_publish` directly."""
    from django.conf import settings

    if not settings.OPENDATA_LIVE_PUBLISH_ON_LOAD:
        return "live datasets not published (OPENDATA_LIVE_PUBLISH_ON_LOAD is off)"
    return live_publish()
