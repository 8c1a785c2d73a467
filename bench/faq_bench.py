"""The FAQ chatbot over 10,000 entries: answer latency and index rebuild time, beside a plain
SQL LIKE search measured in the same run (取組6, 8, 19).

    uv run python bench/faq_bench.py                       # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/faq_bench.py                   # PostgreSQL (flushed)

The 227 demo entries are repeated with varied questions (a number and a place name added,
phrasings shuffled) up to FAQ_BENCH_ENTRIES (10,000), all published. The questions asked are
the labelled resident questions of data/eval_queries.json. "answer" is the whole path a
question takes in the chat (version check, search, fetching the published entries, writing
the masked log); "search only" is the in-memory engine alone; the baseline is one
`question_ja LIKE '%...%' OR answer_ja LIKE '%...%'` query over the same table.
"""

import os
import random
import time

from benchsetup import percentiles, setup_django, timed_ms

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

ENTRIES = int(os.environ.get("FAQ_BENCH_ENTRIES", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
PLACES = ["芝", "麻布", "赤坂", "高輪", "芝浦", "港南", "台場", "六本木", "青山", "白金"]


def populate():
    from cityhall.faq import services
    from cityhall.faq.evaluation import load_json
    from cityhall.faq.loaders import load_knowledge
    from cityhall.faq.models import Category, Entry

    load_knowledge()
    content = load_json("entries.json")["entries"]
    categories = {c.code: c for c in Category.objects.all()}
    rng = random.Random(2026)
    rows = []
    for number in range(ENTRIES - len(content)):
        item = content[number % len(content)]
        place = PLACES[number % len(PLACES)]
        phrasings = list(item["phrasings"].get("ja", []))
        rng.shuffle(phrasings)
        rows.append(Entry(
            key=f"{item['key']}-v{number}", category=categories[item["category"]],
            status=Entry.Status.PUBLISHED, is_demo=True,
            question_ja=f"{place}地区：{item['question']['ja']}（{number}）",
            question_en=item["question"].get("en", ""),
            answer_ja=item["answer"]["ja"], answer_en=item["answer"].get("en", ""),
            phrasings_ja=[f"{p} {place}" for p in phrasings],
            phrasings_en=item["phrasings"].get("en", []), related=item.get("related", [])))
    Entry.objects.bulk_create(rows, batch_size=1000)
    services.index_version_bump()
    return Entry.objects.filter(status=Entry.Status.PUBLISHED).count()


def main():
    call_command("load_minato_reference", verbosity=0)
    count = populate()

    from cityhall.faq import chat, engine, services
    from cityhall.faq.evaluation import load_json
    from cityhall.faq.models import Entry

    questions = [q["q"] for q in load_json("eval_queries.json")["queries"]]
    languages = [q.get("lang", "ja") for q in load_json("eval_queries.json")["queries"]]

    engine.reset()
    cold = timed_ms(engine.current_index)  # a new process: every text analysed
    warm = []
    entry = Entry.objects.order_by("pk").first()
    for number in range(3):  # an edit: only the changed text is analysed again
        services.entry_save(data={**services._snapshot(entry),
                                  "contact": f"03-0000-000{number}"}, entry=entry, actor=None)
        warm.append(timed_ms(engine.current_index))
    index = engine.current_index()

    search, answer, baseline = [], [], []
    for _ in range(ROUNDS):
        for question, language in zip(questions, languages, strict=True):
            search.append(timed_ms(lambda q=question, lang=language: index.ask(q, language=lang)))
            answer.append(timed_ms(lambda q=question, lang=language: chat.answer_question(
                q, language=lang, channel="web")))
            pattern = question.strip()[:50]

            def like(pattern=pattern):
                list(Entry.objects.filter(status="published").filter(
                    question_ja__icontains=pattern).values_list("pk", flat=True)[:5]) or list(
                    Entry.objects.filter(status="published", answer_ja__icontains=pattern)
                    .values_list("pk", flat=True)[:5])
            baseline.append(timed_ms(like))

    print(f"database: {connection.vendor}; {count} published entries; "
          f"{len(questions)} questions x {ROUNDS} round(s)")
    print(f"{'operation':52} {'median ms':>10} {'p95 ms':>10}")
    for label, samples in (
        ("index build, new process (all texts analysed)", [cold]),
        ("index rebuild after an edit (unchanged reused)", warm),
        ("answer: chat.answer_question (search+fetch+log)", answer),
        ("search only: engine.Index.ask (in memory)", search),
        ("baseline: SQL LIKE on question, then answer", baseline),
    ):
        median, p95 = percentiles(samples)
        print(f"{label:52} {median:10.2f} {p95:10.2f}")
    started = time.perf_counter()
    chat.answer_question("粗大ごみの出し方", language="ja")
    print(f"one answer after the rebuild: {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
