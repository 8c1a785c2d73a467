"""Reading text files that Japanese offices make (CSV from Excel, mostly).

Excel in Japan saves CSV either as "CSV UTF-8" (with a BOM) or as cp932, the Windows form of
Shift_JIS (it includes ①, ㈱, 髙 ...). Apps that accept uploads try both, in that order, and
say in their own words what to do when neither fits.
"""


def decode_office_text(raw: bytes) -> tuple[str, str] | None:
    """The text and the encoding it was in ("utf-8" or "shift_jis"), or None when it is
    neither."""
    for encoding, label in (("utf-8-sig", "utf-8"), ("cp932", "shift_jis")):
        try:
            return raw.decode(encoding), label
        except UnicodeDecodeError:
            continue
    return None
