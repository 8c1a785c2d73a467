"""Telling residents who follow a report that it changed (取組13).

A follower is a signed-in resident (told through `core.notify`, so the notifications engine
delivers by their chosen channel when installed) or an email address (a reporter without an
account, told by email). Each notice is in the follower's language and never carries the
reporter's contact details.

Residents follow and stop following here too: signed-in residents with a button, email
followers with the token link in every email."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ValidationFailed
from cityhall.core.notify import notify_user

from ..models import Report, ReportFollower, ReportUpdate
from .reports import _follow

logger = logging.getLogger(__name__)


def _notice_text(update: ReportUpdate) -> tuple[str, str]:
    # Only what the public page shows: category, reference, status and the city's reply.
    report = update.report
    status = update.status_after or report.status
    subject = _("Street-problem report %(reference)s: %(status)s") % {
        "reference": report.reference, "status": Report.Status(status).label}
    lines = [_("The report “%(category)s” (%(reference)s) has been updated.") % {
        "category": report.category.name_in(translation.get_language() or "ja"),
        "reference": report.reference},
        _("Status: %(status)s") % {"status": Report.Status(status).label}]
    if update.public_note:
        lines += ["", _("Reply from the city:"), update.public_note]
    return subject, "\n".join(lines)


def followers_tell(*, update_id: int) -> int:
    """Claim the update, then tell each follower once. Returns how many were told.

    At most once: the claim (`notified_at`) is committed before anyone is told, so a task
    that runs again tells nobody twice. A follower whose delivery fails is logged and the
    others are still told."""
    with transaction.atomic():
        claimed = ReportUpdate.objects.filter(pk=update_id, notified_at__isnull=True).update(
            notified_at=timezone.now())
    if not claimed:
        return 0
    update = ReportUpdate.objects.select_related("report__category").get(pk=update_id)
    report = update.report
    url = settings.PORTAL_URL.rstrip("/") + reverse("reports:report_detail",
                                                    args=[report.reference])
    told = 0
    followers = (ReportFollower.objects.filter(report=report).select_related("user")
                 .order_by("pk"))
    for follower in followers:
        try:
            _tell_one(follower, update, url)
        except Exception:  # one bad address must not keep the others from being told
            logger.exception("Could not tell follower %s of report update %s", follower.pk,
                             update.pk)
            continue
        told += 1
    return told


def _tell_one(follower: ReportFollower, update: ReportUpdate, url: str) -> None:
    with translation.override(follower.language or "ja"):
        subject, body = _notice_text(update)
        stop = settings.PORTAL_URL.rstrip("/") + reverse("reports:unfollow",
                                                         args=[follower.token])
        if follower.user_id:
            notify_user(user=follower.user, topic="reports.report_update",
                        key=f"reports.update.{update.pk}.{follower.pk}", subject=subject,
                        body=body + "\n\n" + _("To stop following this report: %(link)s")
                        % {"link": stop}, url=url)
        else:
            send_mail(subject, f"{body}\n\n{url}\n\n"
                      + _("To stop these emails: %(link)s") % {"link": stop},
                      settings.DEFAULT_FROM_EMAIL, [follower.email])


# --- following and stopping -----------------------------------------------------------------

def report_follow(*, report: Report, user, language: str = "ja") -> ReportFollower:
    """A signed-in resident follows a report (again: nothing changes)."""
    if not getattr(user, "is_authenticated", False):
        raise ValidationFailed(_("Sign in to follow a report."), code="sign_in")
    with transaction.atomic():
        follower = _follow(report=report, user=user, language=(language or "ja")[:10])
        audit_record(actor=user, action="reports.report.follow", target=report)
    return follower


def report_unfollow(*, report: Report, user) -> bool:
    """A signed-in resident stops following. Returns whether they were following."""
    if not getattr(user, "is_authenticated", False):
        return False
    with transaction.atomic():
        deleted, _rows = ReportFollower.objects.filter(report=report, user=user).delete()
        if deleted:
            audit_record(actor=user, action="reports.report.unfollow", target=report)
    return bool(deleted)


def follower_remove(*, follower: ReportFollower) -> None:
    """Stop telling someone, from the link in an email (the token is the permission)."""
    with transaction.atomic():
        report = follower.report
        deleted, _rows = ReportFollower.objects.filter(pk=follower.pk).delete()
        if deleted:
            audit_record(actor=None, action="reports.report.unfollow", target=report,
                         details={"by": "email link"})
