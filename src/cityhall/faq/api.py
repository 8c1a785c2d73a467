"""The FAQ's JSON API at /api/v1/faq/ (取組6, 8, 19): ask the chatbot, list the published
entries. The same engine and rules as the chat page: only published entries, no invented
text, a polite reply to any input, a rate limit per client."""

from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from cityhall.core.middleware import client_ip

from . import selectors
from .chat import answer_question
from .markup import clean_html

router = Router(tags=["faq"])


class AskIn(Schema):
    # Long or odd input is answered politely by the chat itself, not refused by the schema,
    # up to a hard ceiling of 100 kB.
    question: str = Field("", max_length=100_000)
    language: str = Field("ja", max_length=10)


class EntryOut(Schema):
    key: str
    language: str
    question: str
    answer_html: str
    category: str
    related: list[str]
    url: str


class SuggestionOut(Schema):
    key: str
    question: str
    url: str


class ContactOut(Schema):
    name: str
    phone: str
    hours: str


class AskOut(Schema):
    status: str  # "answer", "unknown", "empty", "too_long", "unreadable", "rate_limited"
    language: str
    message: str
    confidence: float
    answer: EntryOut | None = None
    suggestions: list[SuggestionOut]
    contact: ContactOut | None = None


def _entry_out(entry, language: str) -> dict:
    shown = entry.shown_language(language)
    return {"key": entry.key, "language": shown, "question": entry.question(shown),
            "answer_html": clean_html(entry.answer(shown)), "category": entry.category.code,
            "related": entry.related, "url": f"/faq/{entry.key}/"}


@router.post("/ask", response={200: AskOut, 429: AskOut})
def ask(request, payload: AskIn):
    """Ask a question in Japanese or English. `status` is `answer` with `answer` filled, or
    `unknown` with up to three `suggestions` and the office to `contact`."""
    reply = answer_question(payload.question, language=payload.language, channel="api",
                            client_key=f"ip:{client_ip(request)}")
    body = {
        "status": reply.kind, "language": reply.language, "message": str(reply.message),
        "confidence": reply.confidence,
        "answer": _entry_out(reply.entry, reply.language) if reply.entry else None,
        "suggestions": [{"key": e.key, "question": e.question(e.shown_language(reply.language)),
                         "url": f"/faq/{e.key}/"} for e in reply.suggestions],
        "contact": {k: str(v) for k, v in reply.contact.items() if k != "lang"}
        if reply.contact else None,
    }
    return Status(429 if reply.kind == "rate_limited" else 200, body)


@router.get("/entries", response=list[EntryOut])
@paginate
def entries(request, language: str = "ja", category: str = ""):
    """The published entries, in `language` where they have it (ja otherwise)."""
    language = "en" if language == "en" else "ja"
    queryset = selectors.published_entries().order_by("key")
    if category:
        queryset = queryset.filter(category__code=category[:40])
    return [_entry_out(entry, language) for entry in queryset]
