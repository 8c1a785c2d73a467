"""The notifications engine's wiring into core (取組12, 17, 20, 21)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "cityhall.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from cityhall.core.notify import register_notice_sender
        from cityhall.core.periodic import register_periodic_task
        from cityhall.core.registry import (
            PortalLink,
            register_portal_link,
            register_reference_loader,
            register_role_permissions,
        )

        from .channels import register_default_channels
        from .services import notice_deliver
        from .tasks import notifications_housekeeping

        register_default_channels()
        # Every core.notify notice (procedures, bookings) is stored and delivered by the
        # engine: the inbox and email, once per notice key.
        register_notice_sender(notice_deliver)
        register_periodic_task(notifications_housekeeping, every_seconds=60)

        register_portal_link(PortalLink(
            key="notifications.subscribe", title=_("Alerts and news by email, LINE or push"),
            description=_("Choose disaster information, childcare, events or your area; "
                          "your language, large text or easy Japanese; quiet hours."),
            url_name="notifications:subscribe", order=50))
        register_portal_link(PortalLink(
            key="notifications.inbox", title=_("My inbox"),
            description=_("Messages from the city to you: application and booking notices, "
                          "alerts you subscribed to."),
            url_name="notifications:inbox", order=51))
        register_portal_link(PortalLink(
            key="notifications.staff", title=_("Send a message to subscribers"),
            description=_("Compose in each language, preview, send, and follow the "
                          "delivery progress."),
            url_name="notifications:staff_home", audience="staff",
            permission="notifications.view_message", order=50))

        senders = ["notifications.view_message", "notifications.add_message",
                   "notifications.send_message", "notifications.view_topic"]
        register_role_permissions("branch_manager", senders)
        register_role_permissions("system_admin", [
            *senders, "notifications.add_topic", "notifications.change_topic"])
        register_role_permissions("auditor", ["notifications.view_message",
                                              "notifications.view_topic"])
        register_reference_loader("notifications", load_reference_topics)


def load_reference_topics():
    from .services import topic_ensure

    count = 0
    for key, kind, names, order in REFERENCE_TOPICS:
        topic = topic_ensure(key=key, names=names, kind=kind)
        type(topic).objects.filter(pk=topic.pk).update(sort_order=order)
        count += 1
    from cityhall.core.models import BranchOffice

    # One topic per branch office area (総合支所の地区); the main city hall has no area.
    offices = BranchOffice.objects.filter(is_main_office=False).order_by("sort_order", "code")
    for index, office in enumerate(offices):
        area = office.name.removesuffix("総合支所").removesuffix("地区") or office.name
        area_en = office.name_en.removesuffix(" Branch Office")
        topic = topic_ensure(
            key=f"area:{office.code}", kind="area", area_code=office.code,
            names={"ja": f"{area}地区のお知らせ", "en": f"{area_en} area",
                   "zh-hans": f"{area}地区通知", "ko": f"{area} 지구 소식"})
        type(topic).objects.filter(pk=topic.pk).update(sort_order=100 + index)
        count += 1
    return f"{count} notification topics"


REFERENCE_TOPICS = [
    ("disaster", "disaster", {"ja": "防災・災害情報", "en": "Disaster information",
                              "zh-hans": "防灾·灾害信息", "ko": "방재·재해 정보"}, 10),
    ("childcare", "childcare", {"ja": "子育て", "en": "Childcare", "zh-hans": "育儿",
                                "ko": "육아"}, 20),
    ("events", "events", {"ja": "イベント", "en": "Events", "zh-hans": "活动",
                          "ko": "행사"}, 30),
]
