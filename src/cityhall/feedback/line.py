"""Opinions sent to the city's LINE official account (取組11 via the LINE channel of 取組12,
17): a text that starts with 「意見」, 「ご意見」 or "opinion" is recorded as an opinion with
channel=line; any other text is left to the next handler (finally the help reply).

Only the LINE user id is stored with it (to tell one sender's messages apart and to reply some
day); replies are not sent by LINE push yet, so these opinions are recorded as wanting no
reply, and the acknowledgement tells the sender so.
"""

from django.utils import translation
from django.utils.translation import gettext

from cityhall.core.errors import CityhallError

KEYWORDS = ("ご意見", "意見", "opinion")
SEPARATORS = " \u3000:：、,，\n\t"


def opinion_text(text: str) -> str | None:
    """The opinion after the keyword, or None when the message does not start with one. The
    keyword must be followed by a separator (or nothing): 「意見箱」 is not an opinion."""
    stripped = (text or "").lstrip(SEPARATORS)
    for keyword in KEYWORDS:
        head = stripped[:len(keyword)]
        if head.casefold() == keyword.casefold():
            rest = stripped[len(keyword):]
            if rest and rest[0] not in SEPARATORS:
                return None
            return rest.strip(SEPARATORS)
    return None


def handle_line_text(line_user_id: str, text: str, language: str) -> str | None:
    from . import ratelimit, services
    from .models import Opinion, Topic

    body = opinion_text(text)
    if body is None:
        return None
    with translation.override(language or "ja"):
        if not body:
            return gettext("To send the city an opinion, write 「意見」 and then your opinion "
                           "in the same message, e.g. 「意見 公園にベンチを増やしてほしい」.")
        if not ratelimit.take([("line", line_user_id)]):
            return gettext("You have sent many opinions in a short time. Please wait an hour "
                           "and send it again.")
        topic = Topic.objects.filter(code="general", active=True).first()
        try:
            opinion = services.opinion_submit(
                topic=topic, kind=Opinion.Kind.OPINION, text=body, actor=None,
                channel=Opinion.Channel.LINE, line_user_id=line_user_id, language=language)
        except CityhallError as error:
            return str(error.message)
        return gettext("Thank you. The city received your opinion as No. %(reference)s. "
                       "Replies are not sent through LINE: to receive one, use the form on "
                       "the city's portal.") % {"reference": opinion.reference}
