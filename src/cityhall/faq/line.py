"""The LINE channel's answers (取組6, 19): a text a resident sends to the city's LINE account is
answered by the same engine as the web chat, as plain text with the links written out.

Registered with `notifications.line.register_text_handler` when notifications offers it
(see registrations.py); the handler returns the reply text, or None to let another handler
answer.
"""

from django.utils import translation
from django.utils.translation import gettext as _

from .chat import answer_question
from .markup import to_plain_text

LINE_MAX_CHARS = 4500  # LINE allows 5,000 characters in a text message


def answer_line_text(line_user_id: str, text: str, language: str = "ja") -> str | None:
    language = "en" if language == "en" else "ja"
    with translation.override(language):
        reply = answer_question(text, language=language, channel="line",
                                client_key=f"line:{line_user_id}")
        if reply.kind == "answer":
            entry = reply.entry
            shown = entry.shown_language(reply.language)
            lines = [entry.question(shown), "", to_plain_text(entry.answer(shown))]
            for link in entry.related:
                lines.append(link)
            lines += ["", _("Was this helpful? Tell us on the web: %(url)s")
                      % {"url": f"/faq/{entry.key}/"}]
            return "\n".join(lines)[:LINE_MAX_CHARS]
        if reply.kind != "unknown":
            return reply.message
        lines = [reply.message]
        for entry in reply.suggestions:
            lines.append(f"・{entry.question(reply.language)} /faq/{entry.key}/")
        contact = reply.contact or {}
        if contact:
            lines += ["", " ".join(filter(None, [contact.get("name"), contact.get("phone")])),
                      contact.get("hours", "")]
        return "\n".join(lines)[:LINE_MAX_CHARS]
