"""Measuring the chatbot (取組6, 8, 19): top-1 and top-5 accuracy, MRR and the false-answer
rate on questions the knowledge base cannot answer, for the engine and for a plain
substring search in the same run, over the labelled resident questions kept in the repo.

The evaluation reads the content files directly (no database), so the figures are those of
the entries and synonyms as written; `tune` searches the engine's parameters on the `tune`
split only, and the figures worth quoting are those on the `test` split.
"""

import itertools
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from .engine import DEFAULT_PARAMS, Doc, Index, Params, plain_text

DATA_DIR = Path(__file__).resolve().parent / "data"
FIXTURES_DIR = Path(__file__).resolve().parent / "tests" / "fixtures"


def content_dir(needs=("entries.json", "synonyms.json")) -> Path:
    """data/ once the content files needed have landed; the development fixtures until
    then."""
    return DATA_DIR if all((DATA_DIR / name).exists() for name in needs) else FIXTURES_DIR


def load_json(name: str, directory: Path | None = None) -> dict:
    return json.loads(((directory or content_dir()) / name).read_text(encoding="utf-8"))


def docs_from_content(content: dict) -> list[Doc]:
    docs = []
    for number, entry in enumerate(content["entries"], start=1):
        if entry.get("status", "published") != "published":
            continue
        questions = {}
        for language in ("ja", "en"):
            question = (entry.get("question") or {}).get(language) or ""
            if question:
                phrasings = (entry.get("phrasings") or {}).get(language) or []
                questions[language] = [question, *[p for p in phrasings if p]]
        docs.append(Doc(number, entry["key"], questions,
                        {k: v or "" for k, v in (entry.get("answer") or {}).items()}))
    return docs


# --- the baseline: what a plain site search does -----------------------------------------

def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


_WORD_BREAKS = re.compile(r"[\s、。，．,.?？!！「」]+"
                          r"|(?<=[\u3400-\u9fff\u30a0-\u30ff])[をはがにでと]"
                          r"(?=[\u3400-\u9fff\u30a0-\u30ff])")


class SubstringBaseline:
    """Entries whose question, phrasings or answer contain every word of the question (after
    NFKC and lower case; words are split at spaces and punctuation, and at a single particle
    between kanji or katakana, as a person typing keywords would), questions before phrasings
    before answers."""

    def __init__(self, docs: list[Doc]):
        self.rows = []
        for doc in docs:
            for language in doc.questions:
                questions = [_norm(q) for q in doc.questions[language]]
                self.rows.append((doc, questions[0], " ".join(questions[1:]),
                                  _norm(plain_text(doc.answers.get(language, "")))))

    def search(self, text: str, limit: int = 5) -> list[str]:
        words = [w for w in _WORD_BREAKS.split(_norm(text)) if w]
        if not words:
            return []
        ranked = []
        for order, (doc, question, phrasings, answer) in enumerate(self.rows):
            for rank, field in enumerate((question, phrasings, answer)):
                if all(word in field for word in words):
                    ranked.append((rank, order, doc.key))
                    break
        keys = []
        for _rank, _order, key in sorted(ranked):
            if key not in keys:
                keys.append(key)
        return keys[:limit]


class KeywordBaseline(SubstringBaseline):
    """A kinder substring search: any word of the question may match. Entries are ranked by
    the words found (in the question and phrasings twice as much as in the answer), and the
    search "answers" when the best entry holds at least half of the words. English words of
    one or two letters are left out, as site searches do."""

    def search_scored(self, text: str, limit: int = 5) -> tuple[list[str], float]:
        words = [w for w in _WORD_BREAKS.split(_norm(text))
                 if w and not (w.isascii() and len(w) <= 2)]
        if not words:
            return [], 0.0
        best: dict[str, tuple[float, int]] = {}
        for doc, question, phrasings, answer in self.rows:
            found = [2.0 if word in question or word in phrasings else
                     1.0 if word in answer else 0.0 for word in words]
            score = sum(found)
            if score and score > best.get(doc.key, (0.0, 0))[0]:
                best[doc.key] = (score, sum(1 for f in found if f) / len(words))
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:limit]
        coverage = ranked[0][1][1] if ranked else 0.0
        return [key for key, _score in ranked], coverage


# --- metrics ------------------------------------------------------------------------------

@dataclass
class Figures:
    answerable: int = 0
    unanswerable: int = 0
    top1: float = 0.0
    top5: float = 0.0
    mrr: float = 0.0
    answered_correctly: float = 0.0  # answered (above the threshold) with the right entry
    false_answers_none: float = 0.0  # share of "none" questions that got an answer
    wrong_answers: float = 0.0        # share of answerable questions answered wrongly

    def as_row(self) -> list[str]:
        return [f"{100 * self.top1:5.1f}%", f"{100 * self.top5:5.1f}%", f"{self.mrr:.3f}",
                f"{100 * self.answered_correctly:5.1f}%", f"{100 * self.wrong_answers:5.1f}%",
                f"{100 * self.false_answers_none:5.1f}%"]


def _figures(outcomes) -> Figures:
    """outcomes: (expected key or None, ranked keys, answered: bool)."""
    figures = Figures()
    reciprocal = top1 = top5 = right = wrong = false_none = 0.0
    for expected, ranked, answered in outcomes:
        if expected is None:
            figures.unanswerable += 1
            false_none += bool(answered)
            continue
        figures.answerable += 1
        if expected in ranked:
            position = ranked.index(expected) + 1
            reciprocal += 1 / position
            top1 += position == 1
            top5 += position <= 5
        if answered:
            if ranked and ranked[0] == expected:
                right += 1
            else:
                wrong += 1
    if figures.answerable:
        figures.top1 = top1 / figures.answerable
        figures.top5 = top5 / figures.answerable
        figures.mrr = reciprocal / figures.answerable
        figures.answered_correctly = right / figures.answerable
        figures.wrong_answers = wrong / figures.answerable
    if figures.unanswerable:
        figures.false_answers_none = false_none / figures.unanswerable
    return figures


def select(queries: list[dict], split: str) -> list[dict]:
    return [q for q in queries if split == "all" or q.get("split") == split]


def run_engine(index: Index, queries: list[dict]) -> list[tuple]:
    outcomes = []
    for query in queries:
        result = index.ask(query["q"], language=query.get("lang", "ja"))
        outcomes.append((query.get("answer"), [hit.key for hit in result.hits],
                         result.answered, result.confidence))
    return outcomes


def engine_figures(index: Index, queries: list[dict]) -> Figures:
    return _figures((e, r, a) for e, r, a, _c in run_engine(index, queries))


def baseline_figures(docs: list[Doc], queries: list[dict]) -> Figures:
    baseline = SubstringBaseline(docs)
    outcomes = []
    for query in queries:
        ranked = baseline.search(query["q"])
        outcomes.append((query.get("answer"), ranked, bool(ranked)))
    return _figures(outcomes)


def keyword_baseline_figures(docs: list[Doc], queries: list[dict]) -> Figures:
    baseline = KeywordBaseline(docs)
    outcomes = []
    for query in queries:
        ranked, coverage = baseline.search_scored(query["q"])
        outcomes.append((query.get("answer"), ranked, coverage >= 0.5))
    return _figures(outcomes)


WRONG_ANSWER_COST = 3.0


def decision_score(outcomes, threshold: float) -> float:
    """What the threshold is tuned for: +1 for a right answer or an honest "I don't know" on
    a question the entries cannot answer, 0 for "I don't know" (with the closest entries)
    on one they can, and -WRONG_ANSWER_COST for a wrong answer: a resident misled is much
    worse off than one offered the closest entries and the office's phone number."""
    score = 0.0
    for expected, ranked, _answered, confidence in outcomes:
        answered = bool(ranked) and confidence >= threshold
        if expected is None:
            score += -WRONG_ANSWER_COST if answered else 1
        elif answered:
            score += 1 if ranked[0] == expected else -WRONG_ANSWER_COST
    return score / max(1, len(outcomes))


def best_threshold(outcomes) -> tuple[float, float]:
    candidates = sorted({round(c, 3) for *_rest, c in outcomes} | {0.0, 1.01})
    best = max(candidates, key=lambda t: (decision_score(outcomes, t), -t))
    return best, decision_score(outcomes, best)


def tune(docs: list[Doc], groups: list[list[str]], queries: list[dict], *,
         log=None) -> Params:
    """Grid search of the ranking parameters by MRR, then the confidence blend and the
    threshold by the decision score, all on the given (tune) queries."""
    answerable = [q for q in queries if q.get("answer")]
    best_params, best_mrr = DEFAULT_PARAMS, -1.0
    grid = itertools.product((0.9, 1.2, 1.6), (0.5, 0.75), (0.2, 0.4),
                             (0.2, 0.35), (1.0, 2.0))
    for k1, b, answer_weight, bigram, synonym in grid:
        params = replace(DEFAULT_PARAMS, k1=k1, b=b, answer_weight=answer_weight,
                         weight_bigram=bigram, weight_reading=bigram, weight_synonym=synonym)
        mrr = engine_figures(Index(docs, groups, params), answerable).mrr
        if mrr > best_mrr + 1e-9:
            best_params, best_mrr = params, mrr
            if log:
                log(f"  k1={k1} b={b} answer={answer_weight} bigram={bigram} "
                    f"synonym={synonym}: MRR {mrr:.3f}")
    best_score = -2.0
    chosen = best_params
    for margin_weight, word_weight in itertools.product((0.0, 0.25, 0.5), (0.0, 0.2, 0.4)):
        params = replace(best_params, margin_weight=margin_weight,
                         word_coverage_weight=word_weight)
        threshold, score = best_threshold(run_engine(Index(docs, groups, params), queries))
        if score > best_score:
            best_score, chosen = score, replace(params, threshold=threshold)
    if log:
        log(f"  margin weight {chosen.margin_weight}, word coverage weight "
            f"{chosen.word_coverage_weight}, threshold {chosen.threshold}: "
            f"decision score {best_score:.3f}")
    return chosen
