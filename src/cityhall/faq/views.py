"""The residents' FAQ pages (取組6, 8, 19): the chat page (htmx partial replies, a plain form
without JavaScript), feedback, entry pages and the list by category."""

from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from cityhall.core.errors import NotFoundError
from cityhall.core.middleware import client_ip

from . import selectors, services
from .chat import answer_question
from .forms import AskForm
from .models import Category

FEEDBACK_SALT = "faq.feedback"


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def feedback_token(log_id: int) -> str:
    return signing.dumps(log_id, salt=FEEDBACK_SALT)


def _reply_context(reply) -> dict:
    return {"reply": reply,
            "feedback_token": feedback_token(reply.log_id) if reply and reply.log_id else ""}


def ask(request):
    language = _language()
    form = AskForm(request.POST or None)
    reply = None
    if request.method == "POST" and form.is_valid():
        reply = answer_question(form.cleaned_data["q"], language=language, channel="web",
                                client_key=f"ip:{client_ip(request)}")
    status = 429 if reply is not None and reply.kind == "rate_limited" else 200
    context = {"form": AskForm() if reply and reply.kind == "answer" else form,
               **_reply_context(reply), "language": language}
    if request.headers.get("HX-Request") and request.method == "POST":
        return render(request, "faq/_reply.html", context, status=status)
    context.update({"categories": selectors.categories_with_counts(),
                    "suggestions": selectors.suggested_entries(language)})
    return render(request, "faq/ask.html", context, status=status)


@require_POST
def feedback(request):
    try:
        log_id = signing.loads(request.POST.get("token", ""), salt=FEEDBACK_SALT,
                               max_age=7 * 24 * 3600)
        helpful = {"yes": True, "no": False}[request.POST.get("helpful", "")]
        services.question_feedback(log_id=int(log_id), helpful=helpful)
    except (signing.BadSignature, KeyError, ValueError, TypeError, NotFoundError):
        return render(request, "faq/_feedback.html", {"ok": False}, status=400)
    template = "faq/_feedback.html" if request.headers.get("HX-Request") else \
        "faq/feedback_done.html"
    return render(request, template, {"ok": True, "helpful": helpful})


def entry_detail(request, key):
    entry = get_object_or_404(selectors.published_entries(), key=key)
    language = _language()
    shown = entry.shown_language(language)
    return render(request, "faq/entry_detail.html", {
        "entry": entry, "shown": shown, "language": language,
        "contact": selectors.office_contact(entry, language),
        "siblings": selectors.published_entries().filter(category=entry.category)
        .exclude(pk=entry.pk)[:5]})


def category_detail(request, code):
    category = get_object_or_404(Category, code=code)
    entries = list(selectors.published_entries().filter(category=category))
    if not entries:
        raise Http404
    return render(request, "faq/category_detail.html", {
        "category": category, "entries": entries, "language": _language()})

