"""Alert services (取組12): compose, submit, approve by a second person, publish, update,
cancel and expire; every refusal changes nothing, and each step is in the audit trail."""

import datetime

import pytest
from django.utils import timezone, translation

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.disaster import services
from cityhall.disaster.alerts_tasks import alerts_housekeeping
from cityhall.disaster.models import Alert

from .alerts_helpers import (  # noqa: F401 - fixtures
    approver_fixture,
    composer_fixture,
    level4,
    publish,
    published_level4,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_a_template_draft_has_every_language_and_the_cap_mapping(composer):
    alert = level4(composer)
    assert alert.state == Alert.State.DRAFT
    assert alert.msg_type == "Alert" and alert.scope == "Public" and alert.status == "Actual"
    assert alert.sent is None
    assert alert.texts["ja"]["headline"] == "【警戒レベル4】芝地区、麻布地区に避難指示を発令"
    assert alert.texts["en"]["headline"] == \
        "[Alert level 4] Evacuation order for the Shiba area, the Azabu area"
    assert "14時30分" in alert.texts["ja"]["description"]
    assert "14:30 on 2 June" in alert.texts["en"]["description"]
    assert set(alert.texts) == {"ja", "en", "zh-hans", "ko"}
    assert (alert.categories, alert.response_types, alert.urgency, alert.severity,
            alert.certainty) == (["Safety", "Met"], ["Evacuate"], "Immediate", "Severe", "Likely")
    assert alert.is_urgent
    # The template's usual duration (24 hours) when no expiry is given.
    assert alert.expires - alert.created_at > datetime.timedelta(hours=23)
    assert " " not in alert.identifier and "," not in alert.identifier
    assert AuditEvent.objects.filter(action="alert.create", target_id=str(alert.pk)).exists()


def test_publishing_needs_a_second_person(composer, approver):
    alert = level4(composer)
    services.alert_submit(alert=alert, actor=composer)
    before = snapshot()
    with pytest.raises(PermissionDeniedError) as refused:
        services.alert_approve(alert=alert, actor=composer)
    assert refused.value.code == "self_approval"
    assert snapshot() == before
    alert = services.alert_approve(alert=alert, actor=approver)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PUBLISHED
    assert alert.approved_by == approver and alert.created_by == composer
    assert alert.sent is not None and alert.sent.microsecond == 0
    assert list(AuditEvent.objects.filter(target_id=str(alert.pk), action__startswith="alert.")
                .order_by("sequence").values_list("action", flat=True)) == [
        "alert.create", "alert.submit", "alert.publish"]


def test_a_superuser_cannot_approve_their_own_alert_either(approver):
    alert = level4(approver)
    services.alert_submit(alert=alert, actor=approver)
    with pytest.raises(PermissionDeniedError):
        services.alert_approve(alert=alert, actor=approver)
    alert.refresh_from_db()
    assert alert.state == Alert.State.AWAITING_APPROVAL


@pytest.mark.parametrize("who", ["shiba_clerk", "auditor"])
def test_staff_without_the_permissions_can_do_nothing(staff_persona, composer, who):
    other = staff_persona(who)
    with pytest.raises(PermissionDeniedError):
        level4(other)
    alert = level4(composer)
    services.alert_submit(alert=alert, actor=composer)
    before = snapshot()
    for attempt in (lambda: services.alert_approve(alert=alert, actor=other),
                    lambda: services.alert_reject(alert=alert, actor=other),
                    lambda: services.alert_discard(alert=alert, actor=other)):
        with pytest.raises(PermissionDeniedError):
            attempt()
    assert snapshot() == before


def test_a_resident_cannot_compose(hanako):
    with pytest.raises(PermissionDeniedError):
        level4(hanako.user)
    assert not Alert.objects.exists()


def test_an_alert_without_an_area_cannot_be_submitted_or_published(composer, approver):
    alert = level4(composer, area_codes=[])
    with pytest.raises(ValidationFailed) as refused, translation.override("en"):
        services.alert_submit(alert=alert, actor=composer)
    assert refused.value.code == "incomplete"
    assert "area" in str(refused.value.message)
    # Even if it reached the queue, approval checks again.
    Alert.objects.filter(pk=alert.pk).update(state=Alert.State.AWAITING_APPROVAL)
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.alert_approve(alert=alert, actor=approver)
    assert snapshot() == before


def test_missing_text_expiry_or_cap_fields_block_publishing(composer):
    alert = level4(composer)
    Alert.objects.filter(pk=alert.pk).update(expires=None, urgency="",
                                             texts={"ja": {"headline": ""}})
    alert.refresh_from_db()
    with translation.override("en"):
        problems = [str(problem) for problem in services.alert_problems(alert)]
    assert any("headline" in problem for problem in problems)
    assert any("expires" in problem for problem in problems)
    assert any("urgency" in problem for problem in problems)


def test_an_alert_whose_cap_would_be_invalid_is_not_published(composer, approver):
    alert = level4(composer)
    services.alert_submit(alert=alert, actor=composer)
    # A category the XSD does not know (only reachable by editing the row behind the
    # services' back): the XSD check before publishing catches it.
    Alert.objects.filter(pk=alert.pk).update(categories=["Weather"])
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.alert_approve(alert=alert, actor=approver)
    assert "CAP" in str(refused.value.message)
    assert snapshot() == before


@pytest.mark.parametrize(("field", "value", "code"), [
    ("template_key", "no-such-template", "not_found"),
    ("parameters", {"hazard": "volcano", "time": "2031-06-02T14:30"}, "bad_parameter"),
    ("parameters", {"hazard": "flood", "time": "yesterday"}, "bad_parameter"),
    ("parameters", {"hazard": "flood"}, "bad_parameter"),
    ("area_codes", ["atlantis"], "unknown_area"),
    ("polygon", "35.65,139.74 35.66,139.75 35.64,139.76", "polygon_too_few_points"),
    ("polygon", "40.7,-74.0 40.8,-74.0 40.8,-73.9 40.7,-74.0", "polygon_outside_japan"),
    ("circle", "139.75,35.65 2", "circle_format"),
    ("circle", "-35.65,139.75 2", "circle_outside_japan"),
    ("circle", "35.65,139.75 0", "circle_radius"),
    ("status", "Real", "bad_status"),
])
def test_bad_input_is_refused_and_nothing_is_made(composer, field, value, code):
    with pytest.raises((ValidationFailed, Exception)) as refused:
        level4(composer, **{field: value})
    assert getattr(refused.value, "code", "") == code
    assert not Alert.objects.exists()


def test_times_must_be_in_order(composer):
    onset = timezone.now() + datetime.timedelta(hours=2)
    with pytest.raises(ValidationFailed) as refused:
        level4(composer, onset=onset, expires=onset - datetime.timedelta(minutes=1))
    assert refused.value.code == "expires_before_onset"
    with pytest.raises(ValidationFailed):
        level4(composer, effective=onset, onset=onset - datetime.timedelta(hours=1))
    assert not Alert.objects.exists()


def test_an_onset_already_past_at_publication_is_refused(composer, approver):
    past = timezone.now() - datetime.timedelta(minutes=5)
    alert = level4(composer, onset=past, expires=past + datetime.timedelta(hours=3))
    assert services.alert_problems(alert)
    with pytest.raises(ValidationFailed):
        services.alert_submit(alert=alert, actor=composer)


def test_update_replaces_and_cancel_cancels_the_original(composer, approver):
    original = published_level4(composer, approver)
    update = level4(composer, parameters={"hazard": "landslide",
                                          "time": "2031-06-02T15:00+09:00"},
                    original=original)
    assert update.msg_type == "Update"
    publish(update, composer, approver)
    original.refresh_from_db()
    assert original.state == Alert.State.SUPERSEDED and original.closed_at is not None
    assert update.references == (
        f"{original.sender},{original.identifier},"
        f"{timezone.localtime(original.sent).isoformat()}")
    cancel = services.alert_cancel_create(original=update, actor=composer)
    assert cancel.msg_type == "Cancel"
    assert cancel.texts["ja"]["headline"].startswith("【取消】")
    assert cancel.texts["en"]["headline"].startswith("[Cancelled]")
    publish(cancel, composer, approver)
    update.refresh_from_db()
    assert update.state == Alert.State.CANCELLED
    # The cancel refers to the whole chain, oldest first.
    assert [ref.split(",")[1] for ref in cancel.references.split()] == [
        original.identifier, update.identifier]
    assert not services.active_alerts().exists()


def test_only_a_published_alert_can_be_updated_or_cancelled(composer):
    draft = level4(composer)
    before = snapshot()
    with pytest.raises(ConflictError):
        services.alert_cancel_create(original=draft, actor=composer)
    with pytest.raises(ConflictError):
        level4(composer, original=draft)
    assert snapshot() == before


def test_reject_and_discard(composer, approver):
    alert = level4(composer)
    services.alert_submit(alert=alert, actor=composer)
    services.alert_reject(alert=alert, actor=approver, reason="地区が違う")
    alert.refresh_from_db()
    assert alert.state == Alert.State.DRAFT
    services.alert_discard(alert=alert, actor=composer)
    alert.refresh_from_db()
    assert alert.state == Alert.State.DISCARDED
    with pytest.raises(ConflictError):
        services.alert_submit(alert=alert, actor=composer)


def test_expiry_hides_at_once_and_the_task_marks_it(composer, approver):
    alert = published_level4(composer, approver)
    assert list(services.active_alerts()) == [alert]
    after = alert.expires + datetime.timedelta(seconds=1)
    assert not services.active_alerts(after).exists()
    assert services.alerts_expire(now=after) == 1
    alert.refresh_from_db()
    assert alert.state == Alert.State.EXPIRED
    assert services.alerts_expire(now=after) == 0  # idempotent
    assert alerts_housekeeping.call() == {"expired": 0}
