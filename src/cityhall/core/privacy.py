"""Finding and masking personal data in free text that residents write (DESIGN.md: nothing
personal goes to logs; an opinion is published only without the sender's details).

Two strengths, for two uses:
- `mask_contact_details` hides email addresses, telephone numbers and postal codes, and
  keeps the rest of the text as it was written (with ＊＊＊ in their place). The feedback app
  (広聴, 取組11) shows it to staff who write a public summary of an opinion.
- `mask_for_log` also hides any run of 7 or more digits (My Number, accounts), block and house
  numbers (1-5-25, ３丁目４番) and names in the patterns people write them: before
  さん/様/さま/氏/君/くん/ちゃん/殿, after 名前は/氏名は, before と申します/といいます, and
  capitalised English words after "my name is", "I am", "I'm", "this is", "call me" and
  Mr/Mrs/Ms/Miss/Dr. The chatbot (取組6, 8) logs questions through it.

The limits: a bare name in prose ("山田ですが住民票を") or an address without numbers is not
found, and a word that looks like a name before さん (お客さん) is masked too. So published text
is always written by a person, and logs are read only by staff.
"""

import re
import unicodedata

CONTACT_MASK = "＊＊＊"
MAX_LOGGED_CHARS = 500

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Japanese numbers: 03-1234-5678, 090 1234 5678, 0120-123-456, +81-3-1234-5678, 0312345678.
PHONE = re.compile(r"(?:\+81[\s-]?|\b0)\d{1,4}[\s-]?\d{1,4}[\s-]?\d{3,4}\b")
POSTAL = re.compile(r"(?:〒\s?)?(?<![\d-])\d{3}-\d{4}(?![\d-])")
LONG_NUMBER = re.compile(r"\+?\d(?:[\s\-‐－―ー()（）.]*\d){6,}")
BLOCK_NUMBER = re.compile(r"\d{1,4}(?:\s*[-‐－]\s*\d{1,4}){1,3}|\d{1,4}\s*(?:丁目|番地|番|号)"
                          r"(?:\s*\d{1,4}\s*(?:番地|番|号)?)*")
_NAME_CHARS = r"[\u4e00-\u9fff\u3005\u30a0-\u30ffA-Za-z]"
JA_NAME_BEFORE = re.compile(
    rf"(?:{_NAME_CHARS}{{1,8}}|(?<![\u3041-\u3093])[\u3041-\u3093]{{2,5}})"
    r"(?=\s*(?:さん|様|さま|氏|君|くん|ちゃん|殿|と申します|といいます|と言います))")
JA_NAME_AFTER = re.compile(rf"((?:名前|氏名|なまえ)\s*(?:は|が|:|：)\s*)({_NAME_CHARS}{{1,10}}"
                           r"|[\u3041-\u3093]{1,8})")
EN_NAME_AFTER = re.compile(
    r"((?i:\b(?:my name is|name is|i am|i'm|this is|call me|mr|mrs|ms|miss|dr))\.?\s+)"
    r"((?:[A-Z][a-zA-Z'\-]+)(?:\s+[A-Z][a-zA-Z'\-]+){0,2})")


def normalise(text: str) -> str:
    """Full-width digits and signs (０３－…, ＠) as ASCII, so that they are found too."""
    return unicodedata.normalize("NFKC", text or "")


def clean(text: str) -> str:
    """No NUL or control characters (newlines and tabs stay), no surrounding space."""
    text = "".join(ch for ch in (text or "")
                   if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def mask_contact_details(text: str) -> str:
    text = normalise(text)
    text = EMAIL.sub(CONTACT_MASK, text)
    text = PHONE.sub(CONTACT_MASK, text)
    return POSTAL.sub(CONTACT_MASK, text)


def contains_personal_data(text: str, *, known: list[str] = ()) -> bool:
    """True when the text holds an email, a telephone number or a postal code, or one of the
    `known` strings (the sender's own name, email, phone and address)."""
    if mask_contact_details(text) != normalise(text):
        return True
    folded = normalise(text).replace(" ", "").replace("\u3000", "").casefold()
    for value in known:
        value = normalise(value).replace(" ", "").replace("\u3000", "").casefold()
        if len(value) >= 2 and value in folded:
            return True
    return False


def _english_name(match: re.Match) -> str:
    if not match.group(2)[:1].isupper():
        return match.group(0)
    return match.group(1) + "[NAME]"


def mask_for_log(text: str, *, limit: int = MAX_LOGGED_CHARS) -> str:
    text = normalise(clean(text))[: limit * 4]
    text = EMAIL.sub("[EMAIL]", text)
    text = LONG_NUMBER.sub("[NUMBER]", text)
    text = BLOCK_NUMBER.sub("[ADDRESS]", text)
    text = JA_NAME_AFTER.sub(lambda m: m.group(1) + "[NAME]", text)
    text = JA_NAME_BEFORE.sub("[NAME]", text)
    text = EN_NAME_AFTER.sub(_english_name, text)
    return text[:limit]
