"""Following a report (取組13): signed-in residents with a button, email followers through the
link in each email; followers are told once per public update, in their language, without
anyone's contact details, and never about internal notes."""

import pytest
from django.core import mail
from django.urls import reverse

from cityhall.core.models import AuditEvent

from ..models import Report, ReportFollower, ReportUpdate
from ..services.following import followers_tell
from ..services.reports import report_transition
from .factories import make_report
from .public_helpers import EN, PRIVATE, pending_dir  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pending_dir")]


@pytest.fixture(autouse=True)
def _tasks_at_once(settings):
    queues = list(getattr(settings, "TASK_QUEUES", None) or ["default"])
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": queues}}


@pytest.fixture
def report():
    return make_report(language="en", **PRIVATE)


def test_an_email_follower_gets_one_email_per_public_change_and_none_for_notes(
        report, shiba_clerk, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report=report, status=Report.Status.ACKNOWLEDGED, actor=shiba_clerk,
                          public_note="確認しました", internal_note="内部のこと")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [PRIVATE["contact_email"]]
    assert "Acknowledged" in message.subject  # in the follower's language (en)
    assert report.reference in message.subject
    assert "確認しました" in message.body
    assert "内部のこと" not in message.body
    for value in (PRIVATE["contact_name"], PRIVATE["contact_phone"], shiba_clerk.email):
        assert value not in message.body
        assert value not in message.subject
    follower = ReportFollower.objects.get(report=report)
    assert reverse("reports:unfollow", args=[follower.token]) in message.body
    update = report.updates.get(kind=ReportUpdate.Kind.STATUS)
    assert update.notified_at is not None
    # Running the task again tells nobody twice.
    assert followers_tell(update_id=update.pk) == 0
    assert len(mail.outbox) == 1
    # An internal note alone tells nobody.
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report=report, status=Report.Status.ACKNOWLEDGED, actor=shiba_clerk,
                          internal_note="業者に連絡")
    assert len(mail.outbox) == 1


def test_a_japanese_follower_is_told_in_japanese(shiba_clerk,
                                                 django_capture_on_commit_callbacks):
    report = make_report(contact_email="hanako@example.jp", language="ja")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report=report, status=Report.Status.IN_PROGRESS, actor=shiba_clerk)
    assert len(mail.outbox) == 1
    assert "対応中" in mail.outbox[0].subject


def test_a_signed_in_resident_follows_and_unfollows_with_buttons(client, hanako, report):
    url = reverse("reports:report_detail", args=[report.reference])
    follow = reverse("reports:report_follow", args=[report.reference])
    unfollow = reverse("reports:report_unfollow", args=[report.reference])
    # Anonymous: asked to sign in, nothing stored.
    response = client.post(follow)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not ReportFollower.objects.filter(user__isnull=False).exists()
    assert client.get(follow).status_code == 405
    client.force_login(hanako.user)
    assert "Follow: tell me when it changes" in client.get(url, **EN).content.decode()
    assert client.post(follow, **EN).status_code == 302
    assert client.post(follow, **EN).status_code == 302  # twice is still once
    assert ReportFollower.objects.filter(report=report, user=hanako.user).count() == 1
    html = client.get(url, **EN).content.decode()
    assert "You follow this report" in html
    assert report.reference in client.get(reverse("reports:my_reports"), **EN).content.decode()
    assert client.post(unfollow, **EN).status_code == 302
    assert not ReportFollower.objects.filter(report=report, user=hanako.user).exists()
    assert AuditEvent.objects.filter(action="reports.report.follow").count() == 2
    assert AuditEvent.objects.filter(action="reports.report.unfollow").count() == 1


def test_a_signed_in_follower_is_told_through_core_notify(client, hanako, report, shiba_clerk,
                                                          django_capture_on_commit_callbacks,
                                                          monkeypatch):
    notices = []
    monkeypatch.setattr("cityhall.reports.services.following.notify_user",
                        lambda **kwargs: notices.append(kwargs))
    client.force_login(hanako.user)
    client.post(reverse("reports:report_follow", args=[report.reference]), **EN)
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report=report, status=Report.Status.FIXED, actor=shiba_clerk,
                          public_note="補修しました")
    assert len(notices) == 1
    assert notices[0]["user"] == hanako.user
    assert "Fixed" in notices[0]["subject"]
    assert PRIVATE["contact_email"] not in notices[0]["body"]


def test_the_email_link_asks_then_stops_the_emails(client, report):
    follower = ReportFollower.objects.get(report=report)
    url = reverse("reports:unfollow", args=[follower.token])
    response = client.get(url, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop these emails" in html
    assert PRIVATE["contact_email"] not in html
    assert ReportFollower.objects.filter(pk=follower.pk).exists()  # GET changes nothing
    response = client.post(url, **EN)
    assert response.status_code == 200
    assert "we will not email you about report" in response.content.decode()
    assert not ReportFollower.objects.filter(pk=follower.pk).exists()
    assert client.post(url, **EN).status_code == 404
    assert client.get(reverse("reports:unfollow", args=["x" * 60])).status_code == 404
