"""Masking personal data out of what residents ask the chatbot before it is logged (取組6, 8;
DESIGN.md: nothing personal goes to logs).

What is masked: email addresses, any run of 7 or more digits (phone numbers, My Number,
account and postal codes, with hyphens, spaces or full-width digits), block and house numbers
(1-5-25, ３丁目４番), and names in the patterns people write them: before さん/様/さま/氏/君/
くん/ちゃん/殿, after 名前は/氏名は, before と申します/といいます, and capitalised English words
after "my name is", "I am", "I'm", "this is", "call me" and Mr/Mrs/Ms/Miss/Dr.

The limits (docs/faq.md): a bare name with none of these patterns ("山田ですが住民票を") is not
recognised, and a word that looks like a name before さん (お客さん) is masked too. Staff
therefore see logs only through the staff dashboard, and logs are kept for a limited time.
"""

import re
import unicodedata

MAX_LOGGED_CHARS = 500

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
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


def _english_name(match: re.Match) -> str:
    if not match.group(2)[:1].isupper():
        return match.group(0)
    return match.group(1) + "[NAME]"


def clean(text: str) -> str:
    """NFKC-free clean-up for any question: no NUL or control characters, no surrounding
    space."""
    text = "".join(ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def mask(text: str, *, limit: int = MAX_LOGGED_CHARS) -> str:
    text = unicodedata.normalize("NFKC", clean(text))[: limit * 4]
    text = EMAIL.sub("[EMAIL]", text)
    text = LONG_NUMBER.sub("[NUMBER]", text)
    text = BLOCK_NUMBER.sub("[ADDRESS]", text)
    text = JA_NAME_AFTER.sub(lambda m: m.group(1) + "[NAME]", text)
    text = JA_NAME_BEFORE.sub("[NAME]", text)
    text = EN_NAME_AFTER.sub(_english_name, text)
    return text[:limit]
