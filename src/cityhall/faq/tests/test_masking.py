"""Personal data is masked before a question is stored."""

import pytest

from cityhall.core.privacy import mask_for_log


@pytest.mark.parametrize(("text", "expected"), [
    ("電話は090-1234-5678です", "電話は[NUMBER]です"),
    ("０３ー３５７８ー２１１１に電話", "[NUMBER]に電話"),
    ("mail: taro.yamada@example.jp", "mail: [EMAIL]"),
    ("マイナンバー 1234 5678 9012", "マイナンバー [NUMBER]"),
    ("山田太郎さんの住民票", "[NAME]さんの住民票"),
    ("田中様宛ての書類", "[NAME]様宛ての書類"),
    ("私の名前は佐藤です", "私の名前は[NAME]です"),
    ("鈴木と申します。保育園", "[NAME]と申します。保育園"),
    ("My name is John Smith and I lost my card", "My name is [NAME] and I lost my card"),
    ("I'm Emily, where is the office", "I'm [NAME], where is the office"),
    ("I am looking for the office", "I am looking for the office"),
    ("港区芝公園1-5-25に住んでいます", "港区芝公園[ADDRESS]に住んでいます"),
    ("粗大ごみの出し方", "粗大ごみの出し方"),
])
def test_masking(text, expected):
    assert mask_for_log(text) == expected


def test_masking_truncates_and_drops_control_characters():
    assert mask_for_log("あ" * 10_000) == "あ" * 500
    assert mask_for_log("住民票\x00\x07ほしい") == "住民票ほしい"
