"""The standard columns (`opendata.standards`) and the value rules of the
自治体標準オープンデータセット."""

from decimal import Decimal

import pytest

from cityhall.core.models import Town
from cityhall.opendata import standards as std

pytestmark = pytest.mark.django_db

EVACUATION_SPACE = [
    "全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字",
    "所在地_全国地方公共団体コード", "町字ID", "所在地_連結表記", "所在地_都道府県",
    "所在地_市区町村", "所在地_町字", "所在地_番地以下", "建物名等(方書)", "緯度", "経度", "標高",
    "電話番号", "内線番号", "連絡先メールアドレス", "連絡先FormURL",
    "連絡先備考（その他、SNSなど）", "郵便番号", "市区町村コード", "地方公共団体名",
    "災害種別_洪水", "災害種別_崖崩れ、土石流及び地滑り", "災害種別_高潮", "災害種別_地震",
    "災害種別_津波", "災害種別_大規模な火事", "災害種別_内水氾濫", "災害種別_火山現象",
    "指定避難所との重複", "想定収容人数", "対象となる町会・自治会", "URL", "画像",
    "画像_ライセンス", "備考",
]


def test_the_03_layout_has_its_39_columns_in_order():
    assert std.EVACUATION_SPACE_COLUMNS == EVACUATION_SPACE
    assert len(std.EVACUATION_SPACE_COLUMNS) == 39
    shelter = std.EVACUATION_SHELTER_COLUMNS
    assert shelter == [*EVACUATION_SPACE, "共通ID"]


def test_the_public_facility_layout_follows_the_reconstructed_order():
    columns = std.PUBLIC_FACILITY_COLUMNS
    assert len(columns) == len(set(columns)) == 39
    assert columns[:8] == ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ",
                           "名称_英字", "名称_通称", "POIコード"]
    assert columns[8:18] == EVACUATION_SPACE[5:15]
    assert columns[-4:] == ["URL", "画像", "画像_ライセンス", "備考"]


def test_flags_coordinates_and_counts_follow_the_rules():
    assert (std.flag(True), std.flag(False), std.flag(None)) == ("1", "", "")
    assert std.coordinate(Decimal("35.6572264")) == "35.657226"
    assert std.coordinate(35.6) == "35.600000"
    assert std.coordinate(Decimal("35.659950"), 3) == "35.660"
    assert std.coordinate(None) == ""
    assert std.count(810) == "810" and std.count(None) == ""
    assert std.multi(["屋上", " ", "壁面 "]) == "屋上;壁面"


def test_postcodes_are_seven_digits_without_a_hyphen():
    assert std.postcode("105-8511") == "1058511"
    assert std.postcode("〒１０５－８５１１") == "1058511"
    assert std.postcode("105-851") == ""
    assert std.postcode(None) == ""


def test_ids_are_stable_alphanumeric_and_distinct():
    assert std.stable_id("E1310300001201") == "E1310300001201"
    made = std.stable_id("minato-lib-mita")
    assert made == std.stable_id("minato-lib-mita")
    assert made.startswith("131032") and made.isalnum() and len(made) == 16
    assert std.stable_id("minato-libmita") != made


def test_kana_is_written_in_katakana():
    assert std.katakana("あかさかくみんせんたー") == "アカサカクミンセンター"
    assert std.katakana("ミナト") == "ミナト"


def test_addresses_split_into_the_standard_block(minato):
    town = Town.objects.get(name="芝", chome=5)
    parts = std.address_parts("東京都港区芝5-36-4 札の辻スクエア（3階）", town)
    assert parts == {
        "所在地_全国地方公共団体コード": "131032", "町字ID": "",
        "所在地_連結表記": "東京都港区芝5-36-4 札の辻スクエア（3階）", "所在地_都道府県": "東京都",
        "所在地_市区町村": "港区", "所在地_町字": "芝五丁目", "所在地_番地以下": "36-4",
        "建物名等(方書)": "札の辻スクエア(3階)"}
    # An address that does not start with its town keeps only the one-line form.
    other = std.address_parts("東京都港区芝浦1-16-1", town)
    assert (other["所在地_町字"], other["所在地_番地以下"]) == ("", "")
    assert std.address_parts("東京都渋谷区1-1", None)["所在地_都道府県"] == ""
    assert std.chome_kanji(3) == "三" and std.chome_kanji(10) == "十"
    assert std.chome_kanji(12) == "十二" and std.chome_kanji(21) == "二十一"


def test_opening_hours_become_weekdays_and_times():
    assert std.opening_hours("Mo-Fr 08:30-17:15") == ("月火水木金", "08:30", "17:15", "")
    assert std.opening_hours("Mo-Sa 09:00-20:00; Su,PH 09:00-18:00") == (
        "月火水木金土", "09:00", "20:00", "Mo-Sa 09:00-20:00; Su,PH 09:00-18:00")
    assert std.opening_hours("") == ("", "", "", "")
    assert std.opening_hours("24/7") == ("", "", "", "24/7")
