"""Would a dense re-ranker help the FAQ chatbot? An experiment, not part of the app and not a
dependency: `ja-ginza` (spaCy pipeline with chiVe word2vec vectors shipped inside the wheel,
nothing downloaded at run time) re-ranks the top 20 BM25 entries of each question.

    uv run --frozen --with ja-ginza --with ginza python bench/faq_reranker_experiment.py

The content files are read directly, as `manage.py faq_evaluate` does (no database). For
each question the engine's BM25 gives its top 20 entries; the re-rank score of an entry is

    (1 - w) × BM25 / best BM25 of the 20  +  w × max cosine(question, entry text)

over the entry's question and phrasings (vectors: mean of the Sudachi tokens' chiVe vectors,
either all tokens or content words only). w, the token filter and the answer threshold are
chosen on the `tune` split; the figures to quote are those of the `test` split. Only
Japanese questions are re-ranked (chiVe is a Japanese model: most English words have no
vector of their own), English questions keep BM25's order.

Note: `--with ja-ginza` brings ginza 5.3, which pins SudachiPy < 0.7 (the project uses
0.7.0 and its `Dictionary.tokenizer()`), so this script points the engine's tokenizer at the
0.6 call `Dictionary.create()`; both rankings (BM25 alone and BM25 + re-ranker) are measured
in this same environment, and the BM25 row is printed so it can be compared with
`manage.py faq_evaluate --split test`.
"""

import itertools
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from cityhall.faq import text as faq_text  # noqa: E402
from cityhall.faq.engine import DEFAULT_PARAMS, MAX_QUESTION_CHARS, Index  # noqa: E402
from cityhall.faq.evaluation import (  # noqa: E402
    Figures,
    _figures,
    best_threshold,
    content_dir,
    docs_from_content,
    engine_figures,
    load_json,
    select,
)
from cityhall.faq.text import detect_language  # noqa: E402


def _sudachi_06():
    """ginza 5.3 pins SudachiPy < 0.7, whose Dictionary has create(mode) where 0.7 (the
    project's) has tokenizer(mode): the same analysis through the older call, so that the
    engine runs unchanged beside ginza. The BM25 row printed below shows whether the figures
    still match `manage.py faq_evaluate --split test`."""
    tok = getattr(faq_text._local, "tokenizer", None)
    if tok is None:
        if faq_text._dictionary is None:
            faq_text._dictionary = faq_text.dictionary.Dictionary(dict="core")
        tok = faq_text._local.tokenizer = faq_text._dictionary.create(faq_text._MODE)
    return tok


if not hasattr(faq_text.dictionary.Dictionary, "tokenizer"):
    faq_text._sudachi = _sudachi_06

CANDIDATES = 20
WEIGHTS = [round(0.05 * i, 2) for i in range(21)]
FUNCTION_TAGS = ("助詞", "助動詞", "補助記号", "記号", "空白")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Vectoriser:
    """Mean chiVe vector of a text's Sudachi tokens (the tokenizer only: the parser, NER and
    morphologizer of ja_ginza are not needed for vectors)."""

    def __init__(self):
        started, before = time.perf_counter(), rss_mb()
        import spacy

        self.nlp = spacy.load("ja_ginza", exclude=["tok2vec", "parser", "ner", "morphologizer",
                                                   "compound_splitter", "bunsetu_recognizer"])
        self.load_seconds = time.perf_counter() - started
        self.load_mb = rss_mb() - before
        self.width = self.nlp.vocab.vectors.shape[1]

    def vectors(self, text: str) -> dict[str, np.ndarray]:
        """{"all": mean over all tokens, "content": mean over content words}, unit length."""
        doc = self.nlp.make_doc(text)
        out = {}
        for mode in ("all", "content"):
            rows = [t.vector for t in doc if t.has_vector and not t.is_space and (
                mode == "all" or not t.tag_.startswith(FUNCTION_TAGS))]
            if not rows and mode == "content":
                rows = [t.vector for t in doc if t.has_vector]
            vector = np.mean(rows, axis=0) if rows else np.zeros(self.width, dtype="float32")
            norm = float(np.linalg.norm(vector))
            out[mode] = vector / norm if norm else vector
        return out


def bm25_candidates(index: Index, query: dict):
    """What Index.ask does, with 20 hits instead of 5."""
    text = (query["q"] or "")[:MAX_QUESTION_CHARS]
    language = detect_language(text, query.get("lang", "ja"))
    language_index = index.languages[language]
    hits, confidence = language_index.search(text, limit=CANDIDATES)
    return language, hits, confidence


def rerank(row, w: float, mode: str):
    """row: (expected, language, hits, confidence, cosines by mode). Returns the ranked keys
    and the cosine of the new top entry."""
    _expected, language, hits, _confidence, cosines = row
    if language != "ja" or not hits or w == 0.0:
        return [h.key for h in hits], (cosines[mode][0] if cosines else 0.0)
    best = hits[0].score or 1.0
    scored = [((1 - w) * hit.score / best + w * cosines[mode][i], -i, hit.key)
              for i, hit in enumerate(hits)]
    scored.sort(reverse=True)
    top = -scored[0][1]
    return [key for _s, _i, key in scored], cosines[mode][top]


def outcomes(rows, w, mode, blend, threshold):
    """(expected, ranked top 5, answered, confidence) as evaluation.run_engine gives them.
    confidence = (1 - blend) × BM25 confidence + blend × cosine of the new top entry."""
    result = []
    for row in rows:
        expected, _language, _hits, confidence, _cosines = row
        ranked, cosine = rerank(row, w, mode)
        combined = (1 - blend) * confidence + blend * cosine
        result.append((expected, ranked[:5], bool(ranked) and combined >= threshold,
                       combined))
    return result


def figures_of(rows, w, mode, blend, threshold) -> Figures:
    return _figures((e, r, a) for e, r, a, _c in outcomes(rows, w, mode, blend, threshold))


def main():
    directory = content_dir(("entries.json", "synonyms.json", "eval_queries.json"))
    docs = docs_from_content(load_json("entries.json", directory))
    groups = load_json("synonyms.json", directory)["groups"]
    queries = load_json("eval_queries.json", directory)["queries"]
    index = Index(docs, groups, DEFAULT_PARAMS)
    tune_set, test_set = select(queries, "tune"), select(queries, "test")

    rss_start = rss_mb()
    vectoriser = Vectoriser()
    started = time.perf_counter()
    entry_vectors = {}  # key -> {"all": matrix, "content": matrix}, one row per question
    for doc in docs:
        texts = doc.questions.get("ja", [])
        per_text = [vectoriser.vectors(text) for text in texts]
        entry_vectors[doc.key] = {mode: np.stack([v[mode] for v in per_text])
                                  for mode in ("all", "content")} if per_text else None
    entry_seconds = time.perf_counter() - started
    texts_count = sum(len(d.questions.get("ja", [])) for d in docs)

    def rows_of(chosen):
        rows, bm25_ms, dense_ms = [], [], []
        for query in chosen:
            t0 = time.perf_counter()
            language, hits, confidence = bm25_candidates(index, query)
            t1 = time.perf_counter()
            cosines = None
            if language == "ja" and hits:
                vectors = vectoriser.vectors(query["q"][:MAX_QUESTION_CHARS])
                cosines = {}
                for mode in ("all", "content"):
                    cosines[mode] = [
                        float(np.max(entry_vectors[h.key][mode] @ vectors[mode]))
                        if entry_vectors.get(h.key) is not None else 0.0 for h in hits]
                dense_ms.append(1000 * (time.perf_counter() - t1))
            bm25_ms.append(1000 * (t1 - t0))
            rows.append((query.get("answer"), language, hits, confidence, cosines))
        return rows, bm25_ms, dense_ms

    tune_rows, _b, _d = rows_of(tune_set)
    test_rows, bm25_ms, dense_ms = rows_of(test_set)

    # --- tuning on the tune split: the ranking (w, mode) by MRR, then the answer rule ----
    tune_answerable = [r for r in tune_rows if r[0]]
    best = max(itertools.product(WEIGHTS, ("all", "content")),
               key=lambda wm: (round(figures_of(tune_answerable, wm[0], wm[1], 0, 0).mrr, 6),
                               -wm[0]))
    w, mode = best
    print("tune split, MRR by w (BM25 top 20 re-ranked, Japanese questions only):")
    for m in ("all", "content"):
        print(f"  {m:8}" + " ".join(
            f"{x:.2f}:{figures_of(tune_answerable, x, m, 0, 0).mrr:.3f}" for x in WEIGHTS))
    best_rule = (-9.0, 0.0, DEFAULT_PARAMS.threshold)
    for blend in (0.0, 0.25, 0.5, 0.75):
        threshold, score = best_threshold(outcomes(tune_rows, w, mode, blend, 0.0))
        if score > best_rule[0] + 1e-9:
            best_rule = (score, blend, threshold)
    _score, blend, threshold = best_rule
    print(f"chosen on tune: w={w}, tokens={mode}, confidence blend={blend}, "
          f"threshold={threshold} (decision score {_score:.3f})")

    # --- the test split ------------------------------------------------------------------
    plain = engine_figures(index, test_set)
    bm25 = figures_of(test_rows, 0.0, mode, 0.0, DEFAULT_PARAMS.threshold)
    reranked_same_rule = figures_of(test_rows, w, mode, 0.0, DEFAULT_PARAMS.threshold)
    reranked_tuned_rule = figures_of(test_rows, w, mode, blend, threshold)
    dense_only = figures_of(test_rows, 1.0, mode, 0.0, DEFAULT_PARAMS.threshold)
    ja_rows = [r for r in test_rows if r[1] == "ja"]
    header = ["", "top-1", "top-5", "MRR", "ans. right", "ans. wrong", "false on none"]
    widths = [46, 8, 8, 7, 12, 12, 14]
    print(f"\ntest split: {plain.answerable} answerable, {plain.unanswerable} none; "
          f"{sum(1 for r in test_rows if r[1] == 'ja')} re-rankable (Japanese), "
          f"{sum(1 for r in test_rows if r[1] == 'en')} English (BM25 order kept)")
    print("".join(h.ljust(x) for h, x in zip(header, widths, strict=True)))
    for name, fig in (
            ("BM25 (engine_figures, this environment)", plain),
            ("BM25 top 20, unchanged", bm25),
            (f"BM25 + ginza w={w} ({mode}), engine threshold", reranked_same_rule),
            (f"BM25 + ginza, tuned rule (blend {blend}, t={threshold})", reranked_tuned_rule),
            ("ginza cosine alone over BM25 top 20 (w=1)", dense_only)):
        print("".join(c.ljust(x) for c, x in zip([name, *fig.as_row()], widths, strict=True)))
    print("\nJapanese test questions only:")
    for name, fig in (("BM25", figures_of(ja_rows, 0.0, mode, 0, DEFAULT_PARAMS.threshold)),
                      (f"BM25 + ginza w={w}",
                       figures_of(ja_rows, w, mode, 0, DEFAULT_PARAMS.threshold))):
        print("".join(c.ljust(x) for c, x in zip([name, *fig.as_row()], widths, strict=True)))
    test_answerable = [r for r in test_rows if r[0]]
    print("\ndiagnostic only (not used to choose): test split top-1/MRR by w")
    for m in ("all", "content"):
        print(f"  {m:8}" + " ".join(
            f"{x:.1f}:{100 * f.top1:.1f}%/{f.mrr:.3f}" for x in WEIGHTS[::2]
            for f in [figures_of(test_answerable, x, m, 0, 0)]))
    changed = [(r[0], rerank(r, 0.0, mode)[0][:1], rerank(r, w, mode)[0][:1])
               for r in test_rows if r[0] and r[1] == "ja"]
    fixed = sum(1 for e, a, b in changed if a != [e] and b == [e])
    broken = sum(1 for e, a, b in changed if a == [e] and b != [e])
    print(f"top-1 changes on test: {fixed} fixed, {broken} broken")

    # --- cost ----------------------------------------------------------------------------
    import importlib.metadata as metadata

    def installed_mb(name):
        files = metadata.distribution(name).files or []
        return sum((f.size or 0) for f in files) / 1e6

    sizes = {name: installed_mb(name) for name in (
        "ja-ginza", "ginza", "spacy", "thinc", "blis", "numpy", "srsly", "cymem",
        "preshed", "murmurhash", "wasabi", "catalogue", "confection", "weasel")
        if _has(metadata, name)}
    print(f"\ncost: spacy.load('ja_ginza', tokenizer and vectors only) "
          f"{vectoriser.load_seconds:.1f} s, +{vectoriser.load_mb:.0f} MB RSS "
          f"(process {rss_start:.0f} → {rss_mb():.0f} MB after the entry vectors; "
          f"{texts_count} entry texts vectorised in {entry_seconds:.2f} s)")
    print(f"per Japanese question: BM25 top 20 median {statistics.median(bm25_ms):.2f} ms; "
          f"re-ranker adds median {statistics.median(dense_ms):.2f} ms, "
          f"p95 {sorted(dense_ms)[int(0.95 * len(dense_ms))]:.2f} ms")
    print("installed size: " + ", ".join(f"{k} {v:.0f} MB" for k, v in sizes.items())
          + f" — total {sum(sizes.values()):.0f} MB")
    print(f"(python {sys.version.split()[0]}, ja-ginza {metadata.version('ja-ginza')}, "
          f"spacy {metadata.version('spacy')}, sudachipy {metadata.version('sudachipy')}, "
          f"sudachidict-core {metadata.version('sudachidict-core')}, "
          f"{os.cpu_count()} CPUs)")


def _has(metadata, name) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    main()
