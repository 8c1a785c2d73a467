"""Wires the alerts subject of the disaster app to core and the engines (取組12, 17, 20, 21):
portal links, role permissions, the every-minute expiry, the banner on every portal page and,
when the notifications engine is installed, the signage override."""

from django.utils.translation import gettext_lazy as _


def page_language() -> str:
    from django.utils.translation import get_language

    from ..alerts_texts import LANGUAGES

    language = (get_language() or "ja").lower()
    if language in LANGUAGES:
        return language
    language = language.split("-")[0]
    return language if language in LANGUAGES else "en"


def alert_banners(request):
    """A banner per published alert that has not expired (read by `expires`, so it leaves at
    its expiry even before the periodic task runs)."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from cityhall.core.registry import Banner

    from ..services import active_alerts

    language = page_language()
    banners = []
    for alert in active_alerts():
        translated = alert.is_translated(language)
        banners.append(Banner(
            key=f"alert:{alert.identifier}",
            title=alert.text(language if translated else "ja", "headline"),
            url=reverse("disaster:alert_detail", args=[alert.identifier]),
            level="emergency" if alert.is_urgent else "warning",
            lang="" if translated or language == "ja" else "ja",
            note="" if translated else gettext("in Japanese only, not translated")))
    return banners


def signage_items():
    """Urgent published alerts (Immediate/Expected and Severe/Extreme) take over the signage
    feed; other alerts leave it alone."""
    from cityhall.notifications.signage import SignageItem

    from ..alerts_texts import LANGUAGES
    from ..services import active_alerts

    items = []
    for alert in active_alerts():
        if not alert.is_urgent:
            continue
        items.append(SignageItem(
            key=f"alert:{alert.identifier}",
            severity="emergency",
            texts={language: {"title": alert.text(language, "headline"),
                              "body": alert.text(language, "instruction")
                              or alert.text(language, "description")}
                   for language in LANGUAGES},
            updated_at=alert.sent))
    return items


def register() -> None:
    from django.apps import apps

    from cityhall.core.periodic import register_periodic_task
    from cityhall.core.registry import (
        PortalLink,
        register_banner_provider,
        register_portal_link,
        register_role_permissions,
    )

    register_portal_link(PortalLink(
        key="disaster.alerts", title=_("Emergency alerts"),
        description=_("Evacuation information, earthquakes, tsunami, heavy rain and shelters "
                      "opened: the city's alerts in Japanese, English, Chinese and Korean."),
        url_name="disaster:alert_list", order=10))
    register_portal_link(PortalLink(
        key="disaster.alerts_staff", title=_("Emergency alerts"),
        description=_("Compose an alert from a template, approve and publish, update or "
                      "cancel."),
        url_name="disaster:alert_staff_list", audience="staff",
        permission="disaster.compose_alert", order=10))

    # Approval needs two people: a branch manager composes and another approves. The system
    # administrator (a superuser in the demo) can do both but never for their own alert.
    alert_permissions = ["disaster.view_alert", "disaster.compose_alert",
                         "disaster.approve_alert"]
    register_role_permissions("branch_manager", alert_permissions)
    register_role_permissions("system_admin", alert_permissions)
    register_role_permissions("auditor", ["disaster.view_alert"])
    register_banner_provider("disaster.alerts", alert_banners)

    from ..alerts_tasks import alerts_housekeeping

    register_periodic_task(alerts_housekeeping, every_seconds=60)

    if apps.is_installed("cityhall.notifications"):
        from cityhall.notifications.signage import register_signage_override

        register_signage_override(signage_items)
