"""Telling residents who follow a report that it changed (取組13).

A follower is a signed-in resident (told through `core.notify`, so the notifications engine
delivers by their chosen channel when installed) or an email address (a reporter without an
account, told by email). Each notice is in the follower's language and never carries the
reporter's contact details."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cityhall.core.notify import notify_user

from ..models import Report, ReportFollower, ReportUpdate


def _notice_text(update: ReportUpdate) -> tuple[str, str]:
    report = update.report
    subject = _("Your street-problem report %(reference)s: %(status)s") % {
        "reference": report.reference, "status": Report.Status(update.status_after).label
        if update.status_after else ""}
    lines = [_("The report “%(category)s” (%(reference)s) has been updated.") % {
        "category": report.category.name_in(translation.get_language() or "ja"),
        "reference": report.reference},
        _("Status: %(status)s") % {"status": Report.Status(report.status).label}]
    if update.public_note:
        lines += ["", _("Reply from the city:"), update.public_note]
    return subject, "\n".join(lines)


def followers_tell(*, update_id: int) -> int:
    """Claim the update, then tell each follower once. Returns how many were told."""
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
    for follower in ReportFollower.objects.filter(report=report).select_related("user"):
        with translation.override(follower.language or "ja"):
            subject, body = _notice_text(update)
            if follower.user_id:
                notify_user(user=follower.user, topic="reports.report_update",
                            key=f"reports.update.{update.pk}.{follower.pk}", subject=subject,
                            body=body, url=url)
            else:
                stop = settings.PORTAL_URL.rstrip("/") + reverse(
                    "reports:unfollow", args=[follower.token])
                send_mail(subject, f"{body}\n\n{url}\n\n"
                          + _("To stop these emails: %(link)s") % {"link": stop},
                          settings.DEFAULT_FROM_EMAIL, [follower.email])
        told += 1
    return told
