"""Removing personal data from text before anything about an opinion is published (取組11).

`mask_personal_data` hides email addresses, telephone numbers and postal codes that a resident
wrote into the text; staff see the masked text as a preview while they write the public
summary. It cannot find names or addresses written in prose, which is why a Q&A entry is
always written by a person and never copied automatically.
"""

import re
import unicodedata

MASK = "＊＊＊"

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Japanese numbers: 03-1234-5678, 090 1234 5678, 0120-123-456, +81-3-1234-5678, 0312345678.
PHONE = re.compile(r"(?:\+81[\s-]?|\b0)\d{1,4}[\s-]?\d{1,4}[\s-]?\d{3,4}\b")
POSTAL = re.compile(r"(?:〒\s?)?(?<![\d-])\d{3}-\d{4}(?![\d-])")


def normalise(text: str) -> str:
    """Full-width digits and signs (０３－…, ＠) as ASCII, so that they are found too."""
    return unicodedata.normalize("NFKC", text or "")


def mask_personal_data(text: str) -> str:
    text = normalise(text)
    text = EMAIL.sub(MASK, text)
    text = PHONE.sub(MASK, text)
    return POSTAL.sub(MASK, text)


def contains_personal_data(text: str, *, known: list[str] = ()) -> bool:
    """True when the text holds an email, a telephone number or a postal code, or one of the
    `known` strings (the sender's own name, email, phone and address)."""
    if mask_personal_data(text) != normalise(text):
        return True
    folded = normalise(text).replace(" ", "").replace("\u3000", "").casefold()
    for value in known:
        value = normalise(value).replace(" ", "").replace("\u3000", "").casefold()
        if len(value) >= 2 and value in folded:
            return True
    return False
