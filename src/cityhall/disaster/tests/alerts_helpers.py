"""Helpers shared by the alert tests (test_alerts_*.py): who composes and who approves, and
a published alert made through the services as staff would make it."""

import datetime

import pytest
from django.utils import timezone

from cityhall.disaster import services
from cityhall.disaster.models import Alert

CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
NOW = timezone.now


@pytest.fixture(name="composer")
def composer_fixture(staff_persona):
    """芝 支所長 (branch manager): composes alerts (and may approve other people's)."""
    return staff_persona("shiba_manager")


@pytest.fixture(name="approver")
def approver_fixture(staff_persona):
    """The system administrator: the second person who approves."""
    return staff_persona("admin")


def level4(actor, **overrides) -> Alert:
    """A draft 避難指示 (alert level 4) for the Shiba and Azabu areas."""
    fields = dict(actor=actor, template_key="evacuation_level_4",
                  parameters={"hazard": "flood", "time": "2031-06-02T14:30+09:00"},
                  area_codes=["shiba", "azabu"])
    fields.update(overrides)
    return services.alert_create(**fields)


def publish(alert: Alert, composer, approver, now=None) -> Alert:
    services.alert_submit(alert=alert, actor=composer, now=now)
    return services.alert_approve(alert=alert, actor=approver, now=now)


def published_level4(composer, approver, **overrides) -> Alert:
    return publish(level4(composer, **overrides), composer, approver)


def snapshot():
    """What a refused request must leave as it was."""
    from cityhall.core.models import AuditEvent

    return (list(Alert.objects.order_by("pk").values_list(
                "identifier", "state", "sent", "approved_by", "msg_type")),
            list(AuditEvent.objects.filter(action__startswith="alert.")
                 .order_by("sequence").values_list("action", flat=True)))


def parse_xml(document):
    """Parse a CAP or Atom document this app produced (never outside input)."""
    import xml.etree.ElementTree as ET

    return ET.fromstring(document)  # noqa: S314 - our own output


def later(hours=1) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)
