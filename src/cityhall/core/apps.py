from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "cityhall.core"
    label = "core"
    verbose_name = _("Municipality and people")

    def ready(self):
        from .registry import PortalLink, register_portal_link

        register_portal_link(PortalLink(
            key="core.facilities", title=_("Facilities and shelters"),
            description=_("Find city facilities, evacuation sites and shelters near you."),
            url_name="core:facility_list", order=90))
        register_portal_link(PortalLink(
            key="core.my_profile", title=_("My details"),
            description=_("See, correct and download what the city holds about you."),
            url_name="core:my_profile", order=95))
        register_portal_link(PortalLink(
            key="core.staff_residents", title=_("Resident records"),
            description=_("Look up residents served by your branch office."),
            url_name="core:staff_resident_list", audience="staff",
            permission="core.view_residentprofile", order=10))
        register_portal_link(PortalLink(
            key="core.audit_log", title=_("Audit log"),
            description=_("Search who read or changed what, and when."),
            url_name="admin:core_auditevent_changelist", audience="staff",
            permission="core.view_auditevent", order=80))
        register_portal_link(PortalLink(
            key="core.task_failures", title=_("Failed background tasks"),
            description=_("See background work that failed and run it again."),
            url_name="admin:core_taskfailure_changelist", audience="staff",
            permission="core.view_taskfailure", order=85))
