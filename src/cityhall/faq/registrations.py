"""How the FAQ app plugs into core and the engines (取組6, 8, 19): portal links, roles, the demo
loader, the chat widget on every page and the LINE text handler when notifications offers one.
"""

from django.utils.translation import gettext_lazy as _

EDITOR_PERMISSIONS = [
    "faq.view_entry", "faq.add_entry", "faq.change_entry", "faq.publish_entry",
    "faq.edit_all_departments", "faq.view_entryrevision", "faq.view_synonymgroup",
    "faq.change_synonymgroup", "faq.add_synonymgroup", "faq.delete_synonymgroup",
    "faq.view_questionlog", "faq.view_category",
]
DEPARTMENT_EDITOR_PERMISSIONS = [
    "faq.view_entry", "faq.add_entry", "faq.change_entry", "faq.view_entryrevision",
    "faq.view_questionlog", "faq.view_category",
]


def register() -> None:
    from cityhall.core.registry import (
        PortalLink,
        register_demo_loader,
        register_portal_link,
        register_role_permissions,
    )

    register_portal_link(PortalLink(
        key="faq.ask", title=_("Questions and answers"),
        description=_("Ask the city's chatbot, or browse the frequently asked questions."),
        url_name="faq:ask", order=15))
    register_portal_link(PortalLink(
        key="faq.staff", title=_("FAQ knowledge base"),
        description=_("Edit the entries, the synonym dictionary and the unanswered questions."),
        url_name="faq:staff_home", audience="staff", permission="faq.view_entry", order=60))
    register_role_permissions("faq_editor", EDITOR_PERMISSIONS)
    register_role_permissions("faq_department_editor", DEPARTMENT_EDITOR_PERMISSIONS)

    from cityhall.core.periodic import register_periodic_task

    from .loaders import load_demo_knowledge
    from .tasks import faq_housekeeping

    register_periodic_task(faq_housekeeping, every_seconds=24 * 3600)

    register_demo_loader("faq", load_demo_knowledge)

    try:
        from cityhall.core.registry import register_page_widget
    except ImportError:  # an older core without page widgets: the /faq/ page still works
        pass
    else:
        register_page_widget("faq.chat", "faq/widget.html", order=10)

    try:
        from cityhall.notifications.line import register_text_handler
    except ImportError:  # notifications not installed, or without the text handler registry
        pass
    else:
        from .line import answer_line_text

        register_text_handler(answer_line_text)
