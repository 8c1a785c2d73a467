"""The learning loop's grouping (取組6, 8): unanswered and "not helpful" questions, grouped by
similarity so that staff see what residents keep asking, biggest groups first.

Each question becomes the set of its search terms (words, synonym groups and character
bigrams, by the engine's own analysis); a question joins the first group whose first
question it resembles (Jaccard similarity at least `THRESHOLD`), otherwise it starts a new
group. Greedy and linear in groups × questions, which is plenty for the few thousand open
questions a dashboard shows.
"""

from collections import Counter
from dataclasses import dataclass, field

from .text import analyse

THRESHOLD = 0.3


@dataclass
class Group:
    language: str
    terms: set
    logs: list = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.logs)

    @property
    def title(self) -> str:
        return self.logs[0].text

    @property
    def log_ids(self) -> str:
        return ",".join(str(log.pk) for log in self.logs)

    @property
    def suggested_entry(self):
        """The entry the engine most often found closest (to add a phrasing to)."""
        counts = Counter(log.top_entry for log in self.logs if log.top_entry_id)
        return counts.most_common(1)[0][0] if counts else None

    @property
    def not_helpful(self) -> int:
        return sum(1 for log in self.logs if log.helpful is False)


def similarity(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def terms_of(text: str, language: str) -> set:
    return set(analyse(text, "en" if language == "en" else "ja"))


def group_questions(logs, threshold: float = THRESHOLD) -> list[Group]:
    groups: list[Group] = []
    for log in logs:
        terms = terms_of(log.text, log.language)
        best, best_score = None, threshold
        for group in groups:
            if group.language != log.language:
                continue
            score = similarity(terms, group.terms)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            groups.append(Group(log.language, terms, [log]))
        else:
            best.logs.append(log)
    groups.sort(key=lambda group: (-group.size, -max(log.pk for log in group.logs)))
    return groups
