"""Reading the text files Japanese offices make: UTF-8 (with or without BOM), else cp932."""

from cityhall.core.textfiles import decode_office_text


def test_utf8_with_and_without_bom():
    assert decode_office_text("名称,髙\n".encode("utf-8-sig")) == ("名称,髙\n", "utf-8")
    assert decode_office_text("名称\n".encode()) == ("名称\n", "utf-8")


def test_cp932_with_its_own_characters():
    assert decode_office_text("①㈱髙島屋\n".encode("cp932")) == ("①㈱髙島屋\n", "shift_jis")


def test_neither():
    # 0x81 0xFF is no cp932 character, and the bytes are no UTF-8 either.
    assert decode_office_text(b"\x81\xff\x00\x80") is None
