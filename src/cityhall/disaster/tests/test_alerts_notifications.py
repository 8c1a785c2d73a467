"""Alerts through the notifications engine (取組12, 20, 21), against the contract of issue 5:
a published alert is handed once (dedupe key = identifier and msgType) to the subscribers of
"disaster" and "area:<BranchOffice.code>", in every language, urgent for Immediate/Expected
Severe/Extreme alerts, after the commit; urgent alerts override the signage feed. These
tests skip where the engine is not installed."""

import pytest

pytest.importorskip("cityhall.notifications")

from django.apps import apps

from cityhall.disaster import services
from cityhall.disaster.alerts_tasks import message_texts, send_alert, topic_keys
from cityhall.disaster.registrations.alerts import signage_items

from .alerts_helpers import (  # noqa: F401 - fixtures
    approver_fixture,
    composer_fixture,
    level4,
    publish,
    published_level4,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not apps.is_installed("cityhall.notifications"),
                       reason="cityhall.notifications is not in INSTALLED_APPS"),
]


@pytest.fixture(autouse=True)
def _tasks_at_once(settings):
    # Every queue the project declares (the engine sends on its own "notifications" queue).
    queues = list(getattr(settings, "TASK_QUEUES", None) or ["default"])
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": queues}}


def stored_message(dedupe_key):
    """The message stored under `dedupe_key`: the contract returns the existing one for the
    same key (and sends nothing again)."""
    from cityhall.notifications.services import message_publish

    return message_publish(topic_keys=["disaster"], texts={"ja": {"subject": "x", "body": "x"}},
                           dedupe_key=dedupe_key)


def test_publishing_hands_the_alert_over_once_after_commit(
        composer, approver, django_capture_on_commit_callbacks):
    alert = level4(composer)
    services.alert_submit(alert=alert, actor=composer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.alert_approve(alert=alert, actor=approver)
    from cityhall.notifications.models import Message

    assert not Message.objects.filter(dedupe_key__startswith=alert.identifier).exists()
    for callback in callbacks:
        callback()
    message = stored_message(f"{alert.identifier}:Alert")
    assert message.urgent is True
    assert message.texts["ja"]["subject"] == alert.texts["ja"]["headline"]
    assert message.texts["ko"]["subject"] == alert.texts["ko"]["headline"]
    assert set(message.texts) == {"ja", "en", "zh-hans", "ko"}
    assert alert.identifier in message.url
    if hasattr(message, "topics"):
        assert set(message.topics.values_list("key", flat=True)) == {
            "disaster", "area:shiba", "area:azabu"}
    # Running the task again (a retry after a crash) stores and sends nothing new.
    count = Message.objects.count()
    send_alert.call(alert.pk)
    assert Message.objects.count() == count


def test_topics_are_the_disaster_topic_and_the_affected_areas(composer, approver):
    alert = level4(composer, area_codes=["takanawa", "main"])
    assert topic_keys(alert) == ["disaster", "area:main", "area:takanawa"]


def test_a_minor_alert_is_not_urgent_and_a_cancel_is_sent_too(
        composer, approver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alert = publish(services.alert_create(
            actor=composer, template_key="evacuation_level_1",
            parameters={"hazard": "heavy_rain"}, area_codes=["shiba"]), composer, approver)
    assert stored_message(f"{alert.identifier}:Alert").urgent is False
    with django_capture_on_commit_callbacks(execute=True):
        cancel = publish(services.alert_cancel_create(original=alert, actor=composer),
                         composer, approver)
    message = stored_message(f"{cancel.identifier}:Cancel")
    assert message.texts["en"]["subject"].startswith("[Cancelled]")


def test_free_text_reaches_other_languages_with_the_japanese_original(composer):
    import datetime

    from django.utils import timezone

    alert = services.alert_create(
        actor=composer, free_text={"headline": "給水所の案内", "description": "芝公園で給水",
                                   "instruction": ""},
        cap={"categories": ["Infra"], "response_types": [], "urgency": "Expected",
             "severity": "Moderate", "certainty": "Observed"},
        area_codes=["shiba"], expires=timezone.now() + datetime.timedelta(hours=2))
    texts = message_texts(alert)
    assert texts["ja"]["body"].startswith("芝公園で給水")
    assert "not been translated" in texts["en"]["body"]
    assert "芝公園で給水" in texts["en"]["body"]


def test_urgent_alerts_override_the_signage(composer, approver):
    assert signage_items() == []
    alert = published_level4(composer, approver)
    [item] = signage_items()
    assert item.severity == "emergency" and item.key == f"alert:{alert.identifier}"
    assert item.texts["en"]["title"] == alert.texts["en"]["headline"]
    from cityhall.notifications import signage

    if hasattr(signage, "signage_items"):
        items, overridden = signage.signage_items()
        assert overridden and items[0].key == item.key
    publish(services.alert_cancel_create(original=alert, actor=composer), composer, approver)
    assert signage_items() == []
