"""Background work of the alerts (取組12, 20, 21): sending a published alert to the
subscribers of the affected topics through the notifications engine, and marking expired
alerts every minute (core.periodic)."""

from cityhall.core.background import PermanentTaskError, durable_task

DISASTER_TOPIC = "disaster"
DISASTER_TOPIC_NAMES = {"ja": "防災情報", "en": "Disaster information",
                        "zh-hans": "防灾信息", "ko": "방재 정보"}


def area_topic_key(code: str) -> str:
    return f"area:{code}"


def topic_keys(alert) -> list[str]:
    return [DISASTER_TOPIC, *(area_topic_key(office.code)
                              for office in alert.branch_offices.order_by("sort_order", "code"))]


def message_texts(alert) -> dict[str, dict[str, str]]:
    """Subject and body per language. Free text reaches other languages as their own
    sentence saying it is not translated, followed by the Japanese original."""
    from .alerts_texts import LANGUAGES

    texts = {}
    for language in LANGUAGES:
        subject = alert.text(language, "headline") or alert.text("ja", "headline")
        body = [alert.text(language, "description"), alert.text(language, "instruction")]
        if not alert.is_translated(language):
            body += ["", "(日本語)", alert.text("ja", "headline"),
                     alert.text("ja", "description"), alert.text("ja", "instruction")]
        texts[language] = {"subject": subject,
                           "body": "\n".join(line for line in body if line is not None)
                           .strip()}
    return texts


def ensure_topics(alert) -> None:
    from cityhall.notifications.services import topic_ensure

    from .alerts_texts import LANGUAGES, area_name

    topic_ensure(key=DISASTER_TOPIC, names=DISASTER_TOPIC_NAMES, kind="disaster")
    for office in alert.branch_offices.all():
        topic_ensure(key=area_topic_key(office.code), kind="area", area_code=office.code,
                     names={language: area_name(office.code, language, fallback=office.name)
                            for language in LANGUAGES})


@durable_task(max_attempts=8, backoff_seconds=10)
def send_alert(alert_id: int) -> str:
    """Hand a published alert to the notifications engine. Idempotent: the engine returns
    the stored message for the same dedupe key (identifier and msgType) and sends nothing
    twice."""
    from django.apps import apps
    from django.conf import settings
    from django.urls import reverse

    from .models import Alert

    if not apps.is_installed("cityhall.notifications"):
        return "notifications not installed"
    from cityhall.notifications.services import message_publish

    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise PermanentTaskError("the alert no longer exists")
    if alert.sent is None:
        return "not published"
    ensure_topics(alert)
    message_publish(
        topic_keys=topic_keys(alert), texts=message_texts(alert), urgent=alert.is_urgent,
        dedupe_key=f"{alert.identifier}:{alert.msg_type}",
        url=settings.PORTAL_URL + reverse("disaster:alert_detail", args=[alert.identifier]),
        actor=alert.approved_by, source="disaster.alert")
    return "sent"


@durable_task(max_attempts=3, backoff_seconds=20)
def alerts_housekeeping() -> dict:
    """Every minute: mark published alerts past their expiry as expired. (The banner and the
    feeds already hide them by their expiry time; this keeps the state honest.)"""
    from .services import alerts_expire

    return {"expired": alerts_expire()}
