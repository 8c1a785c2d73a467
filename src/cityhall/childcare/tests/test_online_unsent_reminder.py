"""The reminder before online nursery applications close (取組7): a resident whose application
is still a draft, or was returned, is reminded once as the close nears, in their language,
with a link to the application; sent and checked applications, empty drafts, closed or far
rounds are not; a window extended by staff is reminded again; a failed delivery is tried
again by the next pass; the hourly task is registered."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.childcare.models import Household, OnlineStatus
from cityhall.childcare.services import online
from cityhall.childcare.tasks import online_unsent_remind_task
from cityhall.core import notify
from cityhall.core.periodic import registered_periodic_tasks

from .online_fixtures import fill_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices():
    """Every notice delivered, in order."""
    before = notify.registered_notice_sender()
    delivered = []
    notify.register_notice_sender(delivered.append)
    yield delivered
    notify.register_notice_sender(before)


def closing_in(round_, hours: float) -> None:
    now = timezone.now()
    round_.applications_open_from = now - datetime.timedelta(days=10)
    round_.applications_close_at = now + datetime.timedelta(hours=hours)
    round_.save()


def set_language(resident, language: str) -> None:
    resident.preferred_language = language
    resident.save(update_fields=["preferred_language"])


def test_an_unsent_draft_is_reminded_once_in_the_residents_language(
        open_round, hanako, notices, settings):
    settings.CHILDCARE_UNSENT_REMINDER_HOURS = 72
    set_language(hanako, "en")
    draft = fill_in(open_round, hanako.user, submit=False)
    closing_in(open_round, 100)
    assert online.unsent_reminders_send() == 0 and notices == []  # not yet: 100 h away
    closing_in(open_round, 48)
    assert online.unsent_reminders_send() == 1
    [notice] = notices
    assert notice.recipient_id == hanako.user.pk
    assert notice.subject == "Your nursery application is not sent yet"
    assert open_round.name in notice.body and "saved but not sent" in notice.body
    close = timezone.localtime(open_round.applications_close_at).strftime("%Y-%m-%d %H:%M")
    assert close in notice.body
    assert notice.url.endswith(reverse("childcare:my_application", args=[open_round.pk]))
    assert notice.key == (f"childcare.online_unsent:{draft.pk}:"
                          f"{open_round.applications_close_at.isoformat()}")
    # Another pass, or the hourly task: nothing more.
    assert online.unsent_reminders_send() == 0
    assert online_unsent_remind_task.call() == "reminded 0"
    assert len(notices) == 1
    draft.refresh_from_db()
    assert draft.unsent_reminded_for == open_round.applications_close_at


def test_a_returned_application_is_reminded_in_japanese(open_round, hanako, officer, notices):
    set_language(hanako, "ja")
    household = fill_in(open_round, hanako.user)
    online.online_application_return(household=household, reason="就労証明書が未提出です。",
                                     actor=officer)
    notices.clear()  # the return's own notice, if it went out at once
    closing_in(open_round, 24)
    assert online.unsent_reminders_send() == 1
    [notice] = notices
    assert notice.subject == "保育園の入園申込がまだ送信されていません"
    assert "返却" in notice.body and open_round.name in notice.body


def test_sent_checked_empty_closed_and_inactive_are_not_reminded(
        open_round, hanako, taro, mika, officer, notices):
    sent = fill_in(open_round, hanako.user)
    checked = fill_in(open_round, taro.user, children=[
        ("麻布 太一", "アザブ タイチ", "2025-06-01", None, ("N1",))])
    online.online_application_verify(household=checked, actor=officer)
    empty = online.online_application_start(round=open_round, actor=mika.user)  # no child
    closing_in(open_round, 24)
    assert online.unsent_reminders_send() == 0 and notices == []
    # Closed: too late for a reminder.
    closing_in(open_round, -1)
    Household.objects.filter(pk=sent.pk).update(online_status=OnlineStatus.DRAFT)
    assert online.unsent_reminders_send() == 0
    # An account closed since: nobody to tell.
    closing_in(open_round, 24)
    hanako.user.is_active = False
    hanako.user.save(update_fields=["is_active"])
    assert online.unsent_reminders_send() == 0 and notices == []
    assert empty.applications.count() == 0


def test_an_extended_window_is_reminded_again(open_round, hanako, notices):
    fill_in(open_round, hanako.user, submit=False)
    closing_in(open_round, 24)
    assert online.unsent_reminders_send() == 1
    closing_in(open_round, 60)  # staff extend the window
    assert online.unsent_reminders_send() == 1
    assert len(notices) == 2 and notices[0].key != notices[1].key


def test_a_failed_delivery_is_tried_again_by_the_next_pass(
        open_round, hanako, notices, failing_sender):
    draft = fill_in(open_round, hanako.user, submit=False)
    closing_in(open_round, 24)
    with pytest.raises(ConnectionError):
        online.unsent_reminders_send()
    draft.refresh_from_db()
    assert draft.unsent_reminded_for is None  # not marked: the next pass sends it


def test_the_reminder_runs_every_hour():
    task, every_seconds = registered_periodic_tasks()[online_unsent_remind_task.module_path]
    assert task is online_unsent_remind_task and every_seconds == 3600
