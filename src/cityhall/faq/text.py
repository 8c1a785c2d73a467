"""Text analysis for the FAQ search (取組6, 8, 19): Japanese through SudachiPy, English
through a small stemmer, both reduced to weighted terms for BM25.

Japanese text becomes
- `w:` words: Sudachi's normalized form in split mode C (粗大ゴミ, 國民 → 国民, ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ →
  マイナンバーカード), folded to hiragana;
- `r:` reading bigrams: the kana reading of runs of content words, so that a kana-only
  question (じゅうみんひょう) meets an entry written in kanji (住民票);
- `b:` character bigrams of the folded text, a fallback for typos and unknown words.

English text becomes `w:` stems (lowercase, stop words removed, a light suffix stripper) and
`t:` character trigrams for typos. Synonym groups add an `s:<group>` term wherever one of
their terms occurs, on both sides (entries and questions).
"""

import re
import threading
import unicodedata
from collections import Counter

from sudachipy import dictionary, tokenizer

_local = threading.local()
_MODE = tokenizer.Tokenizer.SplitMode.C

CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "代名詞", "連体詞"}
JA_STOP = {
    "する", "為る", "ある", "有る", "いる", "居る", "なる", "成る", "できる", "出来る", "れる",
    "られる", "こと", "事", "もの", "物", "ため", "為", "よう", "ない", "無い", "です", "ます",
    "くださる", "下さる", "ください", "いう", "言う", "おる", "この", "その", "あの",
    "どの", "これ", "それ", "あれ", "たい", "てる", "いただく", "頂く",
}
_EN_STOP_WORDS = (
    "a an and are as at be been but by can could do does did for from how i if in into is it "
    "its me my of on or our please should so that the their them then there these they this "
    "to was we what when where which who why will with would you your am get got want need "
    "hi hello")
EN_STOP = frozenset(_EN_STOP_WORDS.split())

_JA_CHARS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_WORD_EN = re.compile(r"[a-z0-9]+")
_RUNS = re.compile(r"[0-9a-z\u3040-\u309f\u30fc\u3400-\u9fff\uf900-\ufaff]+")


_dictionary = None
_dictionary_lock = threading.Lock()


def _sudachi():
    """One dictionary per process (memory-mapped), one tokenizer per thread (tokenizers are
    not shared between threads)."""
    global _dictionary
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = dictionary.Dictionary(dict="core")
        tok = _local.tokenizer = _dictionary.tokenizer(_MODE)
    return tok


def fold(text: str) -> str:
    """NFKC, lower case, katakana folded to hiragana (the long-vowel mark stays)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch for ch in text)


def is_japanese(text: str) -> bool:
    return bool(_JA_CHARS.search(text))


def detect_language(text: str, hint: str = "ja") -> str:
    """Japanese when the text has kana or kanji, English when it has Latin letters and no
    Japanese, otherwise the hint (the page's language)."""
    if is_japanese(text):
        return "ja"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return "en" if hint == "en" else "ja"


def _bigrams(text: str, prefix: str, counter: Counter) -> None:
    for run in _RUNS.findall(text):
        if len(run) == 1:
            counter[prefix + run] += 1
        for i in range(len(run) - 1):
            counter[prefix + run[i:i + 2]] += 1


def stem(word: str) -> str:
    """A light English suffix stripper (enough for plurals and -ing/-ed forms)."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # running -> runn -> run
    return word


class SynonymMatcher:
    """Finds synonym groups in folded text. Built from the staff-edited groups: each term is
    folded and also looked for by its kana reading (so そだいごみ finds 粗大ごみ's group)."""

    def __init__(self, groups: list[list[str]]):
        self.ja: list[tuple[str, int]] = []
        self.en: list[tuple[re.Pattern, int]] = []
        for index, terms in enumerate(groups):
            for term in terms:
                folded = fold(str(term)).strip()
                if not folded:
                    continue
                if is_japanese(folded):
                    self.ja.append((folded, index))
                    reading = reading_of(unicodedata.normalize("NFKC", str(term)))
                    if len(reading) >= 3 and reading != folded:
                        self.ja.append((reading, index))
                else:
                    self.en.append((re.compile(r"\b" + re.escape(folded) + r"\b"), index))
        # One pass to tell whether any English term occurs at all (most texts have none).
        self.en_any = re.compile("|".join(p.pattern for p, _i in self.en)) if self.en else None
        self.fingerprint = hash(tuple(tuple(str(t) for t in terms) for terms in groups))

    def groups_in(self, folded: str, reading: str = "") -> set[int]:
        found = set()
        if is_japanese(folded):
            for term, index in self.ja:
                if term in folded or (reading and term in reading):
                    found.add(index)
        if self.en_any is not None and self.en_any.search(folded):
            for pattern, index in self.en:
                if pattern.search(folded):
                    found.add(index)
        return found


def reading_of(text: str) -> str:
    return "".join(fold(m.reading_form()) for m in _sudachi().tokenize(text)
                   if m.part_of_speech()[0] not in ("補助記号", "空白"))


def analyse(text: str, language: str, synonyms: SynonymMatcher | None = None, *,
            bigrams: bool = True) -> Counter:
    """The weighted-term bag of `text` (term -> count)."""
    terms: Counter = Counter()
    folded = fold(text)
    if language == "en":
        words = [w for w in _WORD_EN.findall(folded) if w not in EN_STOP]
        for word in words:
            terms["w:" + stem(word)] += 1
            if bigrams and len(word) >= 4:
                padded = f"^{word}$"
                for i in range(len(padded) - 2):
                    terms["t:" + padded[i:i + 3]] += 1
        if synonyms:
            for index in synonyms.groups_in(folded):
                terms[f"s:{index}"] += 1
        return terms
    reading_runs: list[str] = []
    run: list[str] = []
    for morpheme in _sudachi().tokenize(unicodedata.normalize("NFKC", text)[:5000]):
        pos = morpheme.part_of_speech()[0]
        if pos in CONTENT_POS:
            normal = fold(morpheme.normalized_form())
            if normal not in JA_STOP and fold(morpheme.dictionary_form()) not in JA_STOP:
                terms["w:" + normal] += 1
            run.append(fold(morpheme.reading_form()))
        elif run:
            reading_runs.append("".join(run))
            run = []
    if run:
        reading_runs.append("".join(run))
    if bigrams:
        for reading in reading_runs:
            _bigrams(reading, "r:", terms)
        _bigrams(folded, "b:", terms)
    if synonyms:
        for index in synonyms.groups_in(folded, "".join(reading_runs)):
            terms[f"s:{index}"] += 1
    return terms
