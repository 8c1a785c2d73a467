"""The feedback app (広聴, 取組11): residents' opinions and proposals, routed to departments,
answered with replies approved by a second person, published as anonymised Q&A."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DEPARTMENT_PERMISSIONS = ["feedback.view_opinion", "feedback.draft_reply"]
OFFICER_PERMISSIONS = [
    "feedback.view_opinion", "feedback.view_all_opinions", "feedback.add_opinion",
    "feedback.route_opinion", "feedback.draft_reply", "feedback.approve_reply",
    "feedback.publish_qa", "feedback.view_feedback_stats", "feedback.view_topic",
    "feedback.add_topic", "feedback.change_topic", "feedback.view_qaentry",
]


class FeedbackConfig(AppConfig):
    name = "cityhall.feedback"
    label = "feedback"
    verbose_name = _("Residents' opinions (広聴)")

    def ready(self):
        from django.apps import apps

        from cityhall.core.registry import (
            PortalLink,
            register_demo_loader,
            register_portal_link,
            register_reference_loader,
            register_role_permissions,
        )

        from .loaders import load_demo, load_topics

        register_portal_link(PortalLink(
            key="feedback.send", title=_("Opinions and proposals to the city"),
            description=_("Send the city your opinion or proposal, and read what residents "
                          "asked and what the city answered."),
            url_name="feedback:opinion_new", order=40))
        register_portal_link(PortalLink(
            key="feedback.queue", title=_("Residents' opinions"),
            description=_("Route opinions, draft and approve replies, publish Q&A."),
            url_name="feedback:staff_queue", audience="staff",
            permission="feedback.view_opinion", order=40))

        # 広聴担当 route everything; department staff answer what is routed to their
        # department, and their managers approve the answers.
        register_role_permissions("feedback_officer", OFFICER_PERMISSIONS)
        register_role_permissions("branch_manager", [
            *DEPARTMENT_PERMISSIONS, "feedback.approve_reply", "feedback.view_feedback_stats"])
        register_role_permissions("counter_clerk", DEPARTMENT_PERMISSIONS)
        register_role_permissions("application_reviewer", DEPARTMENT_PERMISSIONS)
        register_role_permissions("system_admin", ["feedback.view_topic", "feedback.add_topic",
                                                   "feedback.change_topic"])
        register_reference_loader("feedback.topics", load_topics)
        register_demo_loader("feedback", load_demo)

        if apps.is_installed("cityhall.notifications"):
            from cityhall.notifications.line import register_text_handler

            from .line import handle_line_text

            register_text_handler(handle_line_text)
