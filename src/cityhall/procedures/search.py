"""Japanese-aware search of the procedure catalogue.

Residents type 転入, てんにゅう, ﾃﾝﾆｭｳ, 子供医療費 or 子ども医療費 and expect the same
results. Every text is NFKC-normalised (half-width kana, full-width digits), katakana is
folded to hiragana, and SudachiPy (with sudachidict-core, shipped as a package) adds each
word's normalised form (子ども → 子供, 申込 → 申し込み) and reading. A procedure's index holds
all of these; a query matches when every one of its words is found in some form.
"""

import re
import threading
import unicodedata

from django.db.models import Q

_local = threading.local()
_KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー]+$")


def _tokenizer():
    if not hasattr(_local, "tokenizer"):
        from sudachipy import dictionary

        _local.tokenizer = dictionary.Dictionary(dict="core").tokenizer()
    return _local.tokenizer


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch for ch in text)


def normalise(text: str) -> str:
    return to_hiragana(unicodedata.normalize("NFKC", text or "")).lower().strip()


def _word_forms(text: str) -> list[set[str]]:
    """For each word of `text`, the set of forms it may be found under."""
    from sudachipy import tokenizer

    words = []
    for morpheme in _tokenizer().tokenize(unicodedata.normalize("NFKC", text),
                                          tokenizer.Tokenizer.SplitMode.C):
        surface = morpheme.surface().strip()
        if not surface or morpheme.part_of_speech()[0] in ("補助記号", "空白"):
            continue
        forms = {normalise(surface), normalise(morpheme.normalized_form()),
                 normalise(morpheme.dictionary_form())}
        reading = morpheme.reading_form()
        if reading and reading != "キゴウ":
            forms.add(normalise(reading))
        words.append({form for form in forms if form})
    return words


def build_index(*texts: str) -> str:
    """The search index of a record: its texts normalised, plus every word's normalised form
    and reading, in both coarse (C) and fine (A) segmentation."""
    from sudachipy import tokenizer

    parts: list[str] = []
    for text in texts:
        if not text:
            continue
        parts.append(normalise(text))
        for mode in (tokenizer.Tokenizer.SplitMode.C, tokenizer.Tokenizer.SplitMode.A):
            for morpheme in _tokenizer().tokenize(unicodedata.normalize("NFKC", text), mode):
                parts.append(normalise(morpheme.normalized_form()))
                parts.append(normalise(morpheme.reading_form()))
    return " ".join(dict.fromkeys(part for part in parts if part))


def query_filter(query: str) -> Q | None:
    """A filter on `search_index` for `query`, or None for an empty query."""
    terms = [term for term in unicodedata.normalize("NFKC", query or "").split() if term][:8]
    if not terms:
        return None
    condition = Q()
    for term in terms:
        term = term[:40]
        if _KANA_ONLY.match(term):
            # A reading typed in kana: match it whole against the readings in the index.
            condition &= Q(search_index__contains=normalise(term))
            continue
        term_condition = Q(search_index__contains=normalise(term))
        word_condition = Q()
        words = _word_forms(term)
        for forms in words:
            alternatives = Q()
            for form in forms:
                alternatives |= Q(search_index__contains=form)
            word_condition &= alternatives
        condition &= (term_condition | word_condition) if words else term_condition
    return condition
