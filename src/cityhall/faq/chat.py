"""One way of answering a question for every channel (取組6, 8, 19): the chat page and widget,
the JSON API and LINE all call `answer_question`.

It refuses politely what it cannot read (empty, too long, binary), searches the published
entries, answers only above the confidence threshold, and otherwise says it does not know,
with the closest entries and the office to call. It logs the question masked.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cityhall.core import ratelimit
from cityhall.core.privacy import clean

from . import engine, selectors, services
from .models import Entry

MAX_CHARS = engine.MAX_QUESTION_CHARS
RATE_LIMIT = 30          # questions per client...
RATE_WINDOW_SECONDS = 60  # ...per minute


@dataclass
class Reply:
    kind: str  # "answer", "unknown", "empty", "too_long", "unreadable", "rate_limited"
    language: str
    message: str = ""
    entry: Entry | None = None
    suggestions: list[Entry] = field(default_factory=list)
    contact: dict | None = None
    confidence: float = 0.0
    log_id: int | None = None
    question: str = ""


def rate_limited(client_key: str) -> bool:
    """A fixed one-minute window per client, counted in the cache (Redis across machines)."""
    return ratelimit.hit("faq.ask", client_key, seconds=RATE_WINDOW_SECONDS) > RATE_LIMIT


def _readable(text: str) -> bool:
    return not ("\x00" in text or "\ufffd" in text)


def answer_question(text, *, language: str = "ja", channel: str = "web",
                    client_key: str = "") -> Reply:
    language = "en" if language == "en" else "ja"
    if not isinstance(text, str):
        return Reply("unreadable", language, _("Sorry, I could not read that. Please type "
                                               "your question in words."))
    if client_key and rate_limited(client_key):
        return Reply("rate_limited", language, _("You have asked many questions in a short "
                                                 "time. Please wait a minute and try again."))
    if not _readable(text):
        return Reply("unreadable", language, _("Sorry, I could not read that. Please type "
                                               "your question in words."))
    question = clean(text)
    if not question:
        return Reply("empty", language, _("Please type your question, for example "
                                          "“How do I put out bulky waste?”"))
    if len(question) > MAX_CHARS:
        return Reply("too_long", language, _("Your question is very long. Please ask it in "
                                             "one or two sentences."), question=question[:200])
    result = engine.current_index().ask(question, language=language)
    entries = selectors.published_by_ids(hit.entry_id for hit in result.hits)
    ranked = [entries[hit.entry_id] for hit in result.hits if hit.entry_id in entries]
    answered = result.answered and bool(ranked) and ranked[0].pk == result.hits[0].entry_id
    reply_language = result.query_language
    log = services.question_log_record(
        text=question, language=reply_language, channel=channel,
        top_entry_id=ranked[0].pk if ranked else None, score=result.confidence,
        answered=answered)
    if answered:
        return Reply("answer", reply_language, entry=ranked[0], suggestions=ranked[1:3],
                     confidence=result.confidence, log_id=log.pk, question=question)
    return Reply("unknown", reply_language,
                 _("I am sorry, I do not know the answer to that. These entries may help, "
                   "or please contact the office below."),
                 suggestions=ranked[:3],
                 contact=selectors.office_contact(ranked[0] if ranked else None,
                                                  reply_language),
                 confidence=result.confidence, log_id=log.pk, question=question)
