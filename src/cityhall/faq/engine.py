"""The chatbot's retrieval engine (取組6 AIチャットボット, 取組8, 取組19): BM25 over the published
FAQ entries, never generating text.

Each language has its own index. An entry contributes one passage per question or phrasing
(scored by BM25, the best passage counts) and its answer (a weaker BM25 field). A question's
confidence is how much of it (weighted by rarity) the best entry covers, blended with the
margin over the second entry; below the tuned threshold the bot says it does not know and
offers the closest entries instead of guessing.

The index lives in memory, one per process, and is rebuilt lazily when the database's
`IndexVersion` changes (every service that changes entries or synonyms bumps it), so any
number of web processes stay in step without talking to each other.
"""

import html
import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from .text import SynonymMatcher, analyse, detect_language

MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Params:
    """Ranking and confidence parameters; `manage.py faq_evaluate --tune` searches them on
    the tune split of the labelled queries (docs/faq.md, "Reading the evaluation").

    Confidence = (1 - margin_weight) × coverage + margin_weight × margin, where coverage is
    the share of the question's rarity-weighted terms found in the best entry's questions
    (blended with the same share counted on whole words only) and margin is how far the best
    entry's score is ahead of the second's, relative to it."""
    # Chosen by `faq_evaluate --tune` on the tune split of data/eval_queries.json (174
    # questions, 227 entries, 123 synonym groups); see docs/faq.md for the figures.
    k1: float = 0.9
    b: float = 0.5
    answer_weight: float = 0.4
    weight_word: float = 1.0
    weight_synonym: float = 1.0
    weight_reading: float = 0.35
    weight_bigram: float = 0.35
    margin_weight: float = 0.5
    word_coverage_weight: float = 0.2
    threshold: float = 0.328

    def term_weight(self, term: str) -> float:
        return {"w": self.weight_word, "s": self.weight_synonym, "r": self.weight_reading,
                "b": self.weight_bigram, "t": self.weight_bigram}[term[0]]


DEFAULT_PARAMS = Params()


@dataclass
class Doc:
    """What the index needs of one entry (from the database or from entries.json)."""
    entry_id: int
    key: str
    questions: dict[str, list[str]]  # language -> [question, phrasing, ...]
    answers: dict[str, str]           # language -> answer text (HTML allowed)


@dataclass
class Hit:
    entry_id: int
    key: str
    score: float


@dataclass
class Result:
    query_language: str
    hits: list[Hit] = field(default_factory=list)
    confidence: float = 0.0
    answered: bool = False

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


_TAGS = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    return html.unescape(_TAGS.sub(" ", markup or ""))


class _Field:
    """BM25 postings of one field: term -> [(doc, precomputed weight)]."""

    def __init__(self, bags, params: Params):
        self.size = len(bags)
        lengths = [sum(bag.values()) for bag in bags]
        average = (sum(lengths) / len(lengths)) if lengths else 1.0
        df: dict[str, int] = defaultdict(int)
        for bag in bags:
            for term in bag:
                df[term] += 1
        self.idf = {term: math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for term, n in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        k1, b = params.k1, params.b
        for doc, (bag, length) in enumerate(zip(bags, lengths, strict=True)):
            norm = k1 * (1 - b + b * length / (average or 1.0))
            for term, tf in bag.items():
                self.postings[term].append(
                    (doc, self.idf[term] * tf * (k1 + 1) / (tf + norm)))

    def unknown_idf(self) -> float:
        return math.log(1 + (self.size + 0.5) / 0.5)

    def score(self, query: dict[str, float]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            for doc, value in self.postings.get(term, ()):
                scores[doc] += weight * value
        return scores


class LanguageIndex:
    def __init__(self, docs: list[Doc], language: str, synonyms: SynonymMatcher,
                 params: Params, bags: dict):
        self.language = language
        self.synonyms = synonyms
        self.params = params
        self.docs = [doc for doc in docs if doc.questions.get(language)]
        passages, self.passage_doc = [], []
        answers = []
        self.doc_terms: list[set[str]] = []
        for index, doc in enumerate(self.docs):
            terms: set[str] = set()
            for text in doc.questions[language]:
                bag = _analysed(bags, text, language, synonyms, True)
                passages.append(bag)
                self.passage_doc.append(index)
                terms.update(bag)
            answer = _analysed(bags, doc.answers.get(language, ""), language, synonyms, False)
            answers.append(answer)
            self.doc_terms.append(terms)
        self.passages = _Field(passages, params)
        self.answers = _Field(answers, params)

    def search(self, text: str, *, limit: int = 5) -> tuple[list[Hit], float]:
        params = self.params
        bag = analyse(text, self.language, self.synonyms)
        query = {term: params.term_weight(term) for term in bag}
        if not query or not self.docs:
            return [], 0.0
        best: dict[int, float] = {}
        for passage, value in self.passages.score(query).items():
            doc = self.passage_doc[passage]
            if value > best.get(doc, 0.0):
                best[doc] = value
        for doc, value in self.answers.score(query).items():
            best[doc] = best.get(doc, 0.0) + params.answer_weight * value
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:max(limit, 2)]
        hits = [Hit(self.docs[doc].entry_id, self.docs[doc].key, round(score, 4))
                for doc, score in ranked]
        if not hits:
            return [], 0.0
        top_terms = self.doc_terms[ranked[0][0]]
        unknown = self.passages.unknown_idf()
        total = covered = words_total = words_covered = 0.0
        for term, weight in query.items():
            value = weight * self.passages.idf.get(term, unknown)
            total += value
            found = term in top_terms
            covered += value if found else 0.0
            if term[0] in "ws":  # whole words and synonym groups, without the fuzzy n-grams
                words_total += value
                words_covered += value if found else 0.0
        coverage = covered / total if total else 0.0
        if words_total:
            coverage = (1 - params.word_coverage_weight) * coverage + \
                params.word_coverage_weight * words_covered / words_total
        first = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (first - second) / first if first > 0 else 0.0
        confidence = (1 - params.margin_weight) * coverage + params.margin_weight * margin
        return hits[:limit], round(confidence, 4)


def _analysed(bags: dict, text: str, language: str, synonyms, bigrams: bool):
    """Analyse a text once per index build chain: a rebuild after one edit reuses the bags
    of every unchanged text (while the synonyms are unchanged)."""
    key = (language, bigrams, text)
    bag = bags.get(key)
    if bag is None:
        source = text if bigrams else plain_text(text)
        bag = bags[key] = analyse(source, language, synonyms, bigrams=bigrams)
    return bag


class Index:
    def __init__(self, docs: list[Doc], synonym_groups: list[list[str]],
                 params: Params = DEFAULT_PARAMS, *, version: int = 0,
                 previous: "Index | None" = None):
        started = time.perf_counter()
        self.version = version
        self.params = params
        synonyms = SynonymMatcher(synonym_groups)
        reuse = previous is not None and previous.synonyms_fingerprint == synonyms.fingerprint
        old_bags = previous.bags if reuse else {}
        self.bags: dict = {}
        for language in ("ja", "en"):
            for doc in docs:
                for text in doc.questions.get(language, ()):
                    key = (language, True, text)
                    if key in old_bags:
                        self.bags[key] = old_bags[key]
                key = (language, False, doc.answers.get(language, ""))
                if key in old_bags:
                    self.bags[key] = old_bags[key]
        self.synonyms_fingerprint = synonyms.fingerprint
        self.languages = {language: LanguageIndex(docs, language, synonyms, params, self.bags)
                          for language in ("ja", "en")}
        self.size = len(docs)
        self.build_seconds = time.perf_counter() - started

    def ask(self, text: str, *, language: str = "ja", limit: int = 5) -> Result:
        text = (text or "")[:MAX_QUESTION_CHARS]
        query_language = detect_language(text, language)
        index = self.languages[query_language]
        if not index.docs and query_language == "en":
            index, query_language = self.languages["ja"], "ja"
        hits, confidence = index.search(text, limit=limit)
        answered = bool(hits) and confidence >= self.params.threshold
        return Result(query_language, hits, confidence, answered)


# --- the per-process index, rebuilt when the database's version moves ---------------------

_lock = threading.Lock()
_current: Index | None = None


def docs_from_entries(entries) -> list[Doc]:
    docs = []
    for entry in entries:
        questions = {"ja": [entry.question_ja, *entry.phrasings_ja]}
        if entry.question_en:
            questions["en"] = [entry.question_en, *entry.phrasings_en]
        docs.append(Doc(entry.pk, entry.key, {k: [q for q in v if q] for k, v in
                                              questions.items()},
                        {"ja": entry.answer_ja, "en": entry.answer_en}))
    return docs


def database_version() -> int:
    from .models import IndexVersion

    return IndexVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def build_from_database(version: int, params: Params = DEFAULT_PARAMS,
                        previous: Index | None = None) -> Index:
    from .models import Entry, SynonymGroup

    entries = Entry.objects.filter(status=Entry.Status.PUBLISHED).only(
        "pk", "key", "question_ja", "question_en", "phrasings_ja", "phrasings_en",
        "answer_ja", "answer_en")
    groups = [list(g) for g in SynonymGroup.objects.values_list("terms", flat=True)]
    return Index(docs_from_entries(entries), groups, params, version=version,
                 previous=previous)


def current_index() -> Index:
    """The index of the published entries as of the database's current version."""
    global _current
    version = database_version()
    index = _current
    if index is not None and index.version == version:
        return index
    with _lock:
        if _current is None or _current.version != version:
            _current = build_from_database(version, previous=_current)
        return _current


def reset() -> None:
    """Forget the process's index (tests)."""
    global _current
    with _lock:
        _current = None
