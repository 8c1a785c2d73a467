"""Wires the back office of street-problem reports (取組13) to core: the staff links on the
back-office home page, the permissions of the street-reports roles (and of the roles that
already exist); it also registers the demo loader (`registrations/demo.py`)."""

from django.utils.translation import gettext_lazy as _

OFFICER = ["reports.view_report", "reports.triage_report", "reports.moderate_report",
           "reports.view_servicecategory"]
MANAGER = [*OFFICER, "reports.view_all_reports", "reports.manage_open311_clients",
           "reports.view_open311client", "reports.add_servicecategory",
           "reports.change_servicecategory", "reports.view_branchrouting",
           "reports.add_branchrouting", "reports.change_branchrouting",
           "reports.delete_branchrouting", "reports.view_serviceattribute",
           "reports.add_serviceattribute", "reports.change_serviceattribute",
           "reports.delete_serviceattribute"]


def register() -> None:
    from cityhall.core.registry import (
        PortalLink,
        register_portal_link,
        register_role_permissions,
    )

    register_portal_link(PortalLink(
        key="reports.staff_queue", title=_("Street-problem reports"),
        description=_("The queue of your department and branch office: acknowledge, assign, "
                      "reply, hand off, merge duplicates and publish reports, from a phone "
                      "in the field too."),
        url_name="reports:staff_queue", audience="staff", permission="reports.view_report",
        order=20))
    register_portal_link(PortalLink(
        key="reports.staff_summary", title=_("Street-problem reports: monthly summary"),
        description=_("Reports received, acknowledged in time, fixed and overdue, per "
                      "department, branch office and category; CSV for Excel."),
        url_name="reports:staff_summary", audience="staff", permission="reports.view_report",
        order=21))
    register_portal_link(PortalLink(
        key="reports.staff_open311", title=_("Open311 API keys"),
        description=_("Issue and revoke the keys of outside systems that file street-problem "
                      "reports through Open311."),
        url_name="reports:staff_open311_clients", audience="staff",
        permission="reports.manage_open311_clients", order=22))

    register_role_permissions("street_reports_officer", OFFICER)
    register_role_permissions("street_reports_manager", MANAGER)
    register_role_permissions("auditor", ["reports.view_servicecategory"])

    from . import demo

    demo.register()
