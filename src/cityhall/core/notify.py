"""The narrow door through which any app tells a person something (取組1: 申請状況の通知).

Apps call `notify_user(...)` from a background task with a notice already written in the
recipient's language. Until the notifications engine exists (DESIGN.md: topics,
subscriptions, channels for email, LINE, Web Push and the in-portal inbox), notices go out by
email. That engine plugs in with `register_notice_sender()` in its `AppConfig.ready()` and then
receives every notice instead, so no caller changes.

A notice carries a `key` that is the same each time the same thing is announced (e.g. the id
of an application's status change): a sender uses it to deliver a notice once even when a
task runs again after a crash.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail


@dataclass(frozen=True)
class Notice:
    recipient_id: int
    email: str
    topic: str  # e.g. "procedures.application_status"
    key: str
    subject: str
    body: str
    url: str = ""


_sender = None


def register_notice_sender(sender) -> None:
    """Let the notifications engine take over delivery: `sender(notice)`."""
    global _sender
    _sender = sender


def registered_notice_sender():
    """The sender in place (None: plain email); tests that replace it put it back."""
    return _sender


def _send_email(notice: Notice) -> None:
    if not notice.email:
        return
    body = notice.body if not notice.url else f"{notice.body}\n\n{notice.url}"
    send_mail(notice.subject, body, settings.DEFAULT_FROM_EMAIL, [notice.email])


def notify_user(*, user, topic: str, key: str, subject: str, body: str, url: str = "") -> None:
    """Deliver one notice to one user through the registered sender (email by default)."""
    notice = Notice(recipient_id=user.pk, email=user.email or "", topic=topic, key=key,
                    subject=subject, body=body, url=url)
    (_sender or _send_email)(notice)
