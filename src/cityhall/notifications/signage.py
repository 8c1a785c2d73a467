"""The signage feed for screens at the branch offices (取組12, 17: 庁舎のデジタルサイネージ).

Normally the feed shows the latest messages published to the public topics. A domain app may
register a provider with `register_signage_override(provider)`: `provider()` returns a list of
`SignageItem` or an empty list, and when any provider returns items the feed shows only those
(a published emergency alert replaces the normal content on every screen).
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.utils import timezone

logger = logging.getLogger(__name__)

SEVERITIES = ("emergency", "warning", "info")


@dataclass(frozen=True)
class SignageItem:
    key: str
    severity: str  # "emergency" | "warning" | "info"
    texts: dict = field(default_factory=dict)  # {lang: {"title": ..., "body": ...}}
    updated_at: datetime.datetime | None = None

    def text_in(self, language: str) -> dict:
        return self.texts.get(language) or self.texts.get("ja") or {"title": "", "body": ""}


_overrides: list = []


def register_signage_override(provider) -> None:
    """Register `provider()` -> list[SignageItem]; registering the same one twice is a no-op."""
    if provider not in _overrides:
        _overrides.append(provider)


def unregister_signage_override(provider) -> None:
    if provider in _overrides:
        _overrides.remove(provider)


def override_items() -> list[SignageItem]:
    items = []
    for provider in list(_overrides):
        try:
            items.extend(provider() or [])
        except Exception:
            # A broken provider must not blank every screen in the city.
            logger.exception("Signage override provider failed")
    return items


PUBLIC_KINDS = ("disaster", "events", "childcare", "general", "area", "shelter")


def normal_items(*, area: str = "", limit: int = 8, days: int = 7) -> list[SignageItem]:
    from .models import Message

    since = timezone.now() - datetime.timedelta(days=days)
    messages = (Message.objects.filter(created_at__gte=since, recipient__isnull=True,
                                       topics__kind__in=PUBLIC_KINDS)
                .distinct().order_by("-created_at"))
    items = []
    for message in messages.prefetch_related("topics")[: limit * 4]:
        areas = {topic.area_code for topic in message.topics.all() if topic.area_code}
        # A screen shows city-wide messages and those of its own area only.
        if area and areas and area not in areas:
            continue
        texts = {lang: {"title": text.get("subject", ""), "body": text.get("body", "")}
                 for lang, text in message.texts.items()}
        items.append(SignageItem(key=f"message:{message.pk}",
                                 severity="warning" if message.urgent else "info",
                                 texts=texts, updated_at=message.created_at))
        if len(items) >= limit:
            break
    return items


def signage_items(*, area: str = "") -> tuple[list[SignageItem], bool]:
    """(items, overridden): the override items when any provider has some, else the
    normal content; emergencies first."""
    overridden = override_items()
    items = overridden or normal_items(area=area)
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    items.sort(key=lambda item: (order.get(item.severity, 9),
                                 -(item.updated_at.timestamp() if item.updated_at else 0)))
    return items, bool(overridden)
