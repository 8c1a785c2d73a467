"""`manage.py faq_evaluate`: how well the chatbot answers the labelled resident questions
(取組6, 8, 19), beside a plain substring search in the same run.

    manage.py faq_evaluate                 # the test split, the engine's current parameters
    manage.py faq_evaluate --split all
    manage.py faq_evaluate --tune          # search the parameters on the tune split, then
                                           # report the test split with the chosen ones

Reads the content files (data/, or the development fixtures until the content lands), not
the database.
"""

import dataclasses

from django.core.management.base import BaseCommand

from cityhall.faq import evaluation
from cityhall.faq.engine import DEFAULT_PARAMS, Index


class Command(BaseCommand):
    help = "Top-1/top-5 accuracy, MRR and false answers of the FAQ chatbot and a baseline."

    def add_arguments(self, parser):
        parser.add_argument("--split", choices=["test", "tune", "all"], default="test")
        parser.add_argument("--tune", action="store_true",
                            help="search the parameters on the tune split first")
        parser.add_argument("--dir", default="", help="folder with the three content files")
        parser.add_argument("--misses", action="store_true",
                            help="list the questions the engine got wrong")

    def handle(self, *args, split, tune, dir, misses, **options):
        from pathlib import Path

        directory = Path(dir) if dir else evaluation.content_dir(
            ("entries.json", "synonyms.json", "eval_queries.json"))
        content = evaluation.load_json("entries.json", directory)
        groups = evaluation.load_json("synonyms.json", directory)["groups"]
        queries = evaluation.load_json("eval_queries.json", directory)["queries"]
        docs = evaluation.docs_from_content(content)
        known = {doc.key for doc in docs}
        unknown_labels = sorted({q["answer"] for q in queries
                                 if q.get("answer") and q["answer"] not in known})
        if unknown_labels:
            self.stderr.write(f"labels without a published entry: {', '.join(unknown_labels)}")
        self.stdout.write(f"content: {directory} — {len(docs)} published entries, "
                          f"{len(groups)} synonym groups, {len(queries)} labelled questions")
        params = DEFAULT_PARAMS
        if tune:
            tune_set = evaluation.select(queries, "tune")
            self.stdout.write(f"tuning on {len(tune_set)} questions of the tune split:")
            params = evaluation.tune(docs, groups, tune_set, log=self.stdout.write)
            changed = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)
                       if getattr(params, f.name) != getattr(DEFAULT_PARAMS, f.name)}
            self.stdout.write(f"chosen parameters: {dataclasses.asdict(params)}")
            self.stdout.write(f"(differences from engine.DEFAULT_PARAMS: {changed or 'none'})")
        index = Index(docs, groups, params)
        chosen = evaluation.select(queries, split)
        engine = evaluation.engine_figures(index, chosen)
        baseline = evaluation.baseline_figures(docs, chosen)
        keyword_baseline = evaluation.keyword_baseline_figures(docs, chosen)
        self.stdout.write(f"split: {split} — {engine.answerable} answerable, "
                          f"{engine.unanswerable} with no answer (\"none\"); threshold "
                          f"{params.threshold}")
        header = ["", "top-1", "top-5", "MRR", "answered right", "answered wrong",
                  "false answers on none"]
        widths = [22, 8, 8, 7, 16, 16, 22]
        self.stdout.write("".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for name, figures in (("engine (BM25)", engine), ("substring baseline", baseline),
                               ("keyword baseline", keyword_baseline)):
            self.stdout.write("".join(c.ljust(w) for c, w in zip(
                [name, *figures.as_row()], widths, strict=True)))
        self.stdout.write(
            "top-1/top-5/MRR: ranking of the answerable questions; answered right/wrong: "
            "share of answerable questions answered (above the threshold) with the right or a "
            "wrong entry; false answers on none: share of unanswerable questions that got an "
            "answer instead of \"I don't know\".")
        if misses:
            for query, (expected, ranked, answered, confidence) in zip(
                    chosen, evaluation.run_engine(index, chosen), strict=True):
                ok = (expected is None and not answered) or (
                    expected is not None and ranked[:1] == [expected] and answered)
                if not ok:
                    self.stdout.write(f"  {query['id']} {query['q']!r} expected={expected} "
                                      f"got={ranked[:3]} conf={confidence} "
                                      f"answered={answered}")
