"""Column definitions of the Digital Agency's 自治体標準オープンデータセット (取組27) that the
platform's live datasets follow, and the helpers that write values by its rules.

Version used: 自治体標準オープンデータセット（正式版）, データ項目定義書 Table A, as cited in its
2026-08-01 edition (``20260801_resources_open_data_municipal-standard-open-dataset_table_a.xlsx``,
https://www.digital.go.jp/resources/open_data/municipal-standard-data-set-test). The xlsx itself
was not read: the columns below come from copies of the sheets in public code, checked against
one another (docs/opendata.md, "The standard columns", lists the sources):

- 03 指定緊急避難場所一覧 (`EVACUATION_SPACE_COLUMNS`): CONFIRMED by five independent copies
  (a Java DTO with the sheet's 区分 per field, a Python ``to_dict``, a Tsukuba converter's
  header, geolonia/datamodels' mapping citing the 20260801 sheet, and Utsunomiya's published
  ``092011_evacuation_space`` header). Whether the 20260801 revision changed it is unconfirmed.
- 01 公共施設一覧 (`PUBLIC_FACILITY_COLUMNS`): PARTLY UNCONFIRMED. No copy of the 01 sheet's
  header was found. The first columns (全国地方公共団体コード, ID) and the address and location
  block (所在地_全国地方公共団体コード … 建物名等(方書), 緯度, 経度) follow the pattern shared by
  the newer sheets (confirmed as a set for 01 by geolonia); everything after 経度, and these
  columns in particular, are UNCONFIRMED: 地方公共団体名, 名称_英字 (some sheets spell it
  名称_英語), 名称_通称, 高度の種別, 高度の値, FAX番号, 画像, 画像_ライセンス. The tail keeps the
  old 推奨データセット 公共施設一覧 columns (POIコード, 法人番号, 団体名, 利用可能曜日 …), which
  are confirmed for that older version. Check against the xlsx before relying on the order.
- 指定避難所一覧 (`EVACUATION_SHELTER_COLUMNS`): there is NO official sheet (Table A has none).
  As municipalities do, and as the research recommends, the file uses the 03 layout with
  指定避難所との重複 and appends the GSI 共通ID as a 40th column. Not a standard.
- The 5G base-station list (取組30, `BASE_STATION_COLUMNS`): there is no national standard. It
  borrows the 公共施設一覧 style (全国地方公共団体コード, ID, 名称, the address block, 緯度, 経度)
  and adds its own columns 施設種別, 設置可能箇所, 条件, 問合せ先. Not a standard.

Value rules (the spec's 共通ルール as far as the sources show it): 全国地方公共団体コード is six
digits as text ("131032", never a number); 地方公共団体名 is the full name ("東京都港区"); flags
are "1" for yes and "" for no (never 0, ○ or TRUE); 緯度/経度 are decimal degrees with six
decimals; several values in one cell are separated by ";"; 郵便番号 is seven digits without a
hyphen; times are hh:mm; IDs are half-width letters and digits, unique in the municipality,
stable and never reused (derived from `Facility.code`, which is unique and never reassigned).
"""

import hashlib
import re
from decimal import ROUND_HALF_UP, Decimal

MUNICIPALITY_CODE = "131032"  # 全国地方公共団体コード of 東京都港区 (13103 + check digit 2)
MUNICIPALITY_NAME = "東京都港区"
PREFECTURE = "東京都"
CITY = "港区"
STANDARD_VERSION = "自治体標準オープンデータセット（正式版）データ項目定義書A 20260801版"

# The eight hazard types of the 災害対策基本法, as GSI and the 03 sheet name them, mapped to
# the codes core keeps in `Facility.hazards` (core.services.HAZARD_COLUMNS).
HAZARDS = [
    ("洪水", "flood"),
    ("崖崩れ、土石流及び地滑り", "landslide"),
    ("高潮", "storm_surge"),
    ("地震", "earthquake"),
    ("津波", "tsunami"),
    ("大規模な火事", "large_fire"),
    ("内水氾濫", "inland_flood"),
    ("火山現象", "volcano"),
]

_ADDRESS_BLOCK = [
    "所在地_全国地方公共団体コード", "町字ID", "所在地_連結表記", "所在地_都道府県",
    "所在地_市区町村", "所在地_町字", "所在地_番地以下", "建物名等(方書)",
]

# 03 指定緊急避難場所一覧, 39 columns (confirmed; see the module docstring).
EVACUATION_SPACE_COLUMNS = [
    "全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字",
    *_ADDRESS_BLOCK,
    "緯度", "経度", "標高", "電話番号", "内線番号", "連絡先メールアドレス", "連絡先FormURL",
    "連絡先備考（その他、SNSなど）", "郵便番号", "市区町村コード", "地方公共団体名",
    *[f"災害種別_{name}" for name, _code in HAZARDS],
    "指定避難所との重複", "想定収容人数", "対象となる町会・自治会", "URL", "画像",
    "画像_ライセンス", "備考",
]

# 指定避難所一覧: no official sheet; the 03 layout plus the GSI 共通ID (not a standard).
EVACUATION_SHELTER_COLUMNS = [*EVACUATION_SPACE_COLUMNS, "共通ID"]

# 01 公共施設一覧, current 正式版 order as reconstructed (PARTLY UNCONFIRMED; see above).
PUBLIC_FACILITY_COLUMNS = [
    "全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "名称_英字",
    "名称_通称", "POIコード",
    *_ADDRESS_BLOCK,
    "緯度", "経度", "高度の種別", "高度の値", "電話番号", "内線番号", "FAX番号",
    "連絡先メールアドレス", "連絡先FormURL", "連絡先備考（その他、SNSなど）", "郵便番号",
    "法人番号", "団体名", "利用可能曜日", "開始時間", "終了時間", "利用可能日時特記事項", "説明",
    "バリアフリー情報", "URL", "画像", "画像_ライセンス", "備考",
]

# 5G base-station sites offered to carriers (取組30): no national standard (see above).
BASE_STATION_COLUMNS = [
    "全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "名称_英字",
    *_ADDRESS_BLOCK,
    "緯度", "経度", "施設種別", "設置可能箇所", "条件", "問合せ先", "備考",
]

# Street-problem reports (取組13): no national standard; the platform's own columns.
STREET_REPORT_COLUMNS = [
    "全国地方公共団体コード", "地方公共団体名", "受付番号", "種別", "状態", "所在地_町字",
    "緯度", "経度", "受付日", "完了日", "備考",
]

# Facility.accessibility codes as the バリアフリー情報 column writes them (in Japanese whatever
# the page language: the file is the same for everyone).
ACCESSIBILITY_LABELS = {
    "step_free": "段差のない出入口",
    "accessible_toilet": "だれでもトイレ",
    "elevator": "エレベーター",
    "hearing_loop": "ヒアリングループ",
    "braille": "点字案内",
    "welfare_shelter": "福祉避難所",
}

DEMO_NOTE = "デモ用の架空データ (demo data, invented)"

_KANJI_DIGITS = "〇一二三四五六七八九"
_WEEKDAYS = {"Mo": "月", "Tu": "火", "We": "水", "Th": "木", "Fr": "金", "Sa": "土",
             "Su": "日"}
_WEEKDAY_ORDER = list(_WEEKDAYS)


def flag(value) -> str:
    """The spec's flag: "1" for yes, "" for no."""
    return "1" if value else ""


def coordinate(value, places: int = 6) -> str:
    """Decimal degrees as text with `places` decimals ("35.657226"); "" when unknown."""
    if value is None or value == "":
        return ""
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def multi(values) -> str:
    """Several values in one cell, separated by ";" (empty values dropped)."""
    return ";".join(str(value).strip() for value in values if str(value or "").strip())


def postcode(value) -> str:
    """郵便番号 as 7 digits without a hyphen; "" when it is not a postcode."""
    digits = re.sub(r"[‐－ー\-〒\s]", "", str(value or "")).translate(
        str.maketrans("０１２３４５６７８９", "0123456789"))
    return digits if re.fullmatch(r"\d{7}", digits) else ""


def katakana(value) -> str:
    """名称_カナ is full-width katakana: hiragana is converted (ぁ-ゖ -> ァ-ヶ)."""
    return "".join(chr(ord(char) + 0x60) if "ぁ" <= char <= "ゖ" else char
                   for char in str(value or ""))


def count(value) -> str:
    """A count (e.g. 想定収容人数) as digits; "" when unknown."""
    return "" if value is None else str(int(value))


def stable_id(code: str) -> str:
    """The ID column from `Facility.code`: the code itself when it is already half-width
    letters and digits (the GSI 共通ID, e.g. E1310300001201), otherwise 131032 followed by a
    fingerprint of the code. Both are stable and, as codes are never reused, never reused."""
    if re.fullmatch(r"[A-Za-z0-9]{1,40}", code or ""):
        return code
    return MUNICIPALITY_CODE + hashlib.sha256(code.encode()).hexdigest()[:10].upper()


def chome_kanji(number: int) -> str:
    """3 -> 三, 12 -> 十二 (丁目 are written in kanji in the 町字 column)."""
    if number < 10:
        return _KANJI_DIGITS[number]
    tens, ones = divmod(number, 10)
    return (_KANJI_DIGITS[tens] if tens > 1 else "") + "十" + (
        _KANJI_DIGITS[ones] if ones else "")


def address_parts(address: str, town=None) -> dict:
    """Split a Minato address ("東京都港区芝5-36-4 札の辻スクエア") into the standard's address
    block. 町字 and 番地以下 are filled only when the address starts with the facility's
    known town (a `core.Town`); the one-line 所在地_連結表記 is always the whole address."""
    address = " ".join(str(address or "").split())
    parts = {column: "" for column in _ADDRESS_BLOCK}
    parts["所在地_連結表記"] = address
    rest = address
    if rest.startswith(MUNICIPALITY_NAME):
        parts["所在地_全国地方公共団体コード"] = MUNICIPALITY_CODE
        parts["所在地_都道府県"], parts["所在地_市区町村"] = PREFECTURE, CITY
        rest = rest[len(MUNICIPALITY_NAME):]
    else:
        return parts
    main, _space, building = rest.partition(" ")
    parts["建物名等(方書)"] = building.replace("（", "(").replace("）", ")")
    if town is None or not main.startswith(town.name):
        return parts
    tail = main[len(town.name):]
    if town.chome:
        for prefix in (f"{town.chome}丁目", f"{town.chome}-", f"{chome_kanji(town.chome)}丁目"):
            if tail.startswith(prefix):
                tail = tail[len(prefix):]
                break
        else:
            return parts
        parts["所在地_町字"] = f"{town.name}{chome_kanji(town.chome)}丁目"
    else:
        parts["所在地_町字"] = town.name
    parts["所在地_番地以下"] = tail
    return parts


def opening_hours(value: str) -> tuple[str, str, str, str]:
    """(利用可能曜日, 開始時間, 終了時間, 利用可能日時特記事項) from OpenStreetMap opening_hours
    ("Mo-Sa 09:00-17:00"). Only the first rule fills the first three columns; when there are
    more rules (or the rule is not understood) the whole text goes to 特記事項."""
    text = str(value or "").strip()
    if not text:
        return "", "", "", ""
    rules = [rule.strip() for rule in text.split(";") if rule.strip()]
    match = re.fullmatch(r"([A-Za-z,\- ]+?)\s+(\d{2}:\d{2})-(\d{2}:\d{2})", rules[0])
    if not match:
        return "", "", "", text
    days = []
    for part in match.group(1).split(","):
        part = part.strip()
        if "-" in part:
            first, _dash, last = part.partition("-")
            if first in _WEEKDAYS and last in _WEEKDAYS:
                start, end = _WEEKDAY_ORDER.index(first), _WEEKDAY_ORDER.index(last)
                days += _WEEKDAY_ORDER[start:end + 1]
        elif part in _WEEKDAYS:
            days.append(part)
    weekdays = "".join(_WEEKDAYS[day] for day in _WEEKDAY_ORDER if day in days)
    note = text if len(rules) > 1 or not weekdays else ""
    return weekdays, match.group(2), match.group(3), note


def point_feature(*, latitude, longitude, properties: dict) -> dict | None:
    """A GeoJSON point feature (longitude first), or None for a place without a position."""
    if latitude is None or longitude is None:
        return None
    return {"type": "Feature",
            "geometry": {"type": "Point",
                         "coordinates": [float(coordinate(longitude)),
                                         float(coordinate(latitude))]},
            "properties": properties}


def feature_collection(columns: list[str], rows, *, latitude="緯度", longitude="経度") -> dict:
    """A GeoJSON FeatureCollection of rows that have a position, each row's columns as the
    feature's properties (so the GeoJSON and the CSV say the same thing)."""
    features = []
    lat_index, lon_index = columns.index(latitude), columns.index(longitude)
    for row in rows:
        feature = point_feature(latitude=row[lat_index] or None,
                                longitude=row[lon_index] or None,
                                properties=dict(zip(columns, row, strict=True)))
        if feature is not None:
            features.append(feature)
    return {"type": "FeatureCollection", "features": features}
