"""The disaster app's live open datasets (取組12, 27), registered with the catalogue when the
opendata engine is installed:

- 指定緊急避難場所一覧 (`131032_evacuation_space`): core's evacuation sites in the 自治体標準
  オープンデータセット 03 layout (`opendata.standards.EVACUATION_SPACE_COLUMNS`), the hazard
  flags from the GSI data (`Facility.hazards`);
- 指定避難所一覧 (`131032_evacuation_shelter`): the designated shelters. The standard has no
  sheet for them, so the file uses the same 03 layout with the GSI 共通ID appended; the
  description says so.

指定避難所との重複 is "1" when the place is also a designated shelter: the GSI's own flag
(指定避難所との住所同一) or a shelter with the same place number in its 共通ID (the first 11
characters, e.g. E1310300001) or the same name and address. 想定収容人数 comes from the shelter
status when staff entered it; a capacity invented for the demo (`capacity_is_demo`) is never
published: the cell stays empty.
"""

SHELTER_STATUS_FIELDS = ("capacity", "capacity_is_demo")
ORGANIZATION = "disaster-management"  # 防災危機管理室


def _place_key(code: str) -> str:
    # GSI 共通ID: E + municipality (5) + place number (5) + kind and serial; the first 11
    # characters name the place, shared by a site and a shelter on it.
    return code[:11] if len(code) == 14 and code.startswith("E") else ""


def version() -> str:
    from django.db.models import Count, Max, Q, Sum

    from cityhall.opendata.providers import facilities_version

    from ..models import ShelterStatus

    summary = ShelterStatus.objects.aggregate(
        count=Count("pk"), latest=Max("updated_at"),
        real=Sum("capacity", filter=Q(capacity_is_demo=False)),
        demo=Count("pk", filter=Q(capacity_is_demo=True)))
    latest = summary["latest"].isoformat() if summary["latest"] else ""
    return (f"{facilities_version()}|status:{summary['count']}:{latest}:"
            f"{summary['real'] or 0}:{summary['demo']}")


def _places():
    """Evacuation sites and shelters with their status, and the lookups that pair them."""
    from cityhall.core.models import Facility

    from ..models import ShelterStatus

    facilities = list(Facility.objects.filter(
        kind__in=[Facility.Kind.EVACUATION_SITE, Facility.Kind.SHELTER])
        .select_related("town").order_by("code"))
    statuses = {status.facility_id: status for status in ShelterStatus.objects.filter(
        facility__in=facilities).only("facility_id", *SHELTER_STATUS_FIELDS)}
    by_key: dict[tuple, list] = {}
    for facility in facilities:
        for key in (("place", _place_key(facility.code)),
                    ("address", facility.name, facility.address)):
            if key[1]:
                by_key.setdefault((facility.kind, *key), []).append(facility)
    return facilities, statuses, by_key


def _partners(facility, kind, by_key) -> list:
    found = []
    for key in (("place", _place_key(facility.code)),
                ("address", facility.name, facility.address)):
        for other in by_key.get((kind, *key), []):
            if other not in found:
                found.append(other)
    return found


def _row(facility, *, hazards, overlap: bool, status, shelter_columns: bool) -> list:
    from cityhall.opendata import standards as std

    remarks = [str(facility.attributes.get("備考") or "").strip()]
    if facility.is_demo:
        remarks.append(std.DEMO_NOTE)
    capacity = status.capacity if status is not None and not status.capacity_is_demo else None
    row = [
        std.MUNICIPALITY_CODE, std.stable_id(facility.code), facility.name,
        std.katakana(facility.name_kana), facility.name_en,
        *std.address_parts(facility.address, facility.town).values(),
        std.coordinate(facility.latitude), std.coordinate(facility.longitude), "",
        "", "", "", "", "", std.postcode(facility.attributes.get("郵便番号")),
        std.MUNICIPALITY_CODE, std.MUNICIPALITY_NAME,
        *[std.flag(code in hazards) for _name, code in std.HAZARDS],
        std.flag(overlap), std.count(capacity), "", "", "", "",
        " ".join(part for part in remarks if part),
    ]
    if shelter_columns:
        row.append(str(facility.attributes.get("共通ID") or ""))
    return row


def evacuation_space_rows():
    from cityhall.core.models import Facility

    facilities, statuses, by_key = _places()
    for facility in facilities:
        if facility.kind != Facility.Kind.EVACUATION_SITE:
            continue
        overlap = (facility.attributes.get("指定避難所との住所同一") == "1"
                   or bool(_partners(facility, Facility.Kind.SHELTER, by_key)))
        yield _row(facility, hazards=set(facility.hazards), overlap=overlap,
                   status=statuses.get(facility.pk), shelter_columns=False)


def evacuation_shelter_rows():
    from cityhall.core.models import Facility

    facilities, statuses, by_key = _places()
    for facility in facilities:
        if facility.kind != Facility.Kind.SHELTER:
            continue
        # A shelter has no hazard designations of its own; when the same place is also an
        # emergency evacuation site, the row carries that site's.
        hazards = set(facility.hazards)
        for site in _partners(facility, Facility.Kind.EVACUATION_SITE, by_key):
            hazards.update(site.hazards)
        yield _row(facility, hazards=hazards, overlap=True, status=statuses.get(facility.pk),
                   shelter_columns=True)


def evacuation_space_geojson() -> dict:
    from cityhall.opendata import standards as std

    return std.feature_collection(std.EVACUATION_SPACE_COLUMNS, evacuation_space_rows())


def evacuation_shelter_geojson() -> dict:
    from cityhall.opendata import standards as std

    return std.feature_collection(std.EVACUATION_SHELTER_COLUMNS, evacuation_shelter_rows())


def register() -> None:
    from cityhall.core.services import GSI_SOURCE
    from cityhall.opendata import standards as std
    from cityhall.opendata.registry import LiveDataset, register_live_dataset

    source_note = (f"{GSI_SOURCE}をもとに港区が作成。想定収容人数は区が確認した値のみを載せ、"
                   "不明なものは空欄です。")
    source_note_en = ("Based on the Geospatial Information Authority of Japan's designated "
                      f"evacuation site and shelter data ({GSI_SOURCE}). Capacities appear "
                      "only where the city has confirmed them; otherwise the cell is empty.")
    register_live_dataset(LiveDataset(
        key="disaster.evacuation_spaces", name="131032-evacuation-space",
        title="指定緊急避難場所一覧", title_en="Designated emergency evacuation sites",
        organization=ORGANIZATION, columns=std.EVACUATION_SPACE_COLUMNS,
        rows=evacuation_space_rows, version=version, geojson=evacuation_space_geojson,
        file_stem=f"{std.MUNICIPALITY_CODE}_evacuation_space",
        standard="自治体標準オープンデータセット 指定緊急避難場所一覧",
        notes=("港区の指定緊急避難場所の一覧と、それぞれが対象とする災害種別です。デジタル庁"
               f"「自治体標準オープンデータセット」の指定緊急避難場所一覧（{std.STANDARD_VERSION}）"
               f"の項目に沿っています。{source_note}"),
        notes_en=("Minato City's designated emergency evacuation sites and the hazards each "
                  "is designated for, in the columns of the Digital Agency's standard open "
                  f"dataset 指定緊急避難場所一覧. {source_note_en}"),
        tags=["防災", "避難場所", "自治体標準オープンデータセット"], groups=["bousai"],
        attribution=GSI_SOURCE))
    register_live_dataset(LiveDataset(
        key="disaster.evacuation_shelters", name="131032-evacuation-shelter",
        title="指定避難所一覧", title_en="Designated shelters", organization=ORGANIZATION,
        columns=std.EVACUATION_SHELTER_COLUMNS, rows=evacuation_shelter_rows, version=version,
        geojson=evacuation_shelter_geojson,
        file_stem=f"{std.MUNICIPALITY_CODE}_evacuation_shelter",
        notes=("港区の指定避難所の一覧です。自治体標準オープンデータセットには指定避難所の項目定義が"
               "ないため、指定緊急避難場所一覧と同じ39項目の形式で作成し（指定避難所との重複は全行"
               "「1」）、最後に国土地理院の共通IDを加えています。同じ場所が指定緊急避難場所でもある"
               f"ときは、その災害種別を載せています。{source_note}"),
        notes_en=("Minato City's designated shelters. The standard open datasets define no "
                  "sheet for shelters, so this file uses the 39 columns of the 指定緊急避難場所"
                  "一覧 (指定避難所との重複 is 1 on every row) and adds the GSI 共通ID as a last "
                  "column; it is not a national standard. Where the same place is also an "
                  "emergency evacuation site, its hazard designations are shown. "
                  f"{source_note_en}"),
        tags=["防災", "避難所"], groups=["bousai"], attribution=GSI_SOURCE))
