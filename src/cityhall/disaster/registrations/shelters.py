"""Wires the shelters subject of the disaster app (取組12) to core and the engines: portal
links (the public status page, the staff page, the manager page), the role permissions,
the reference loader (notification topics, when the engine is installed) and the demo loader
(invented capacities, the demo clerk's shelters, two open shelters)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from cityhall.core.registry import (
        PortalLink,
        register_demo_loader,
        register_portal_link,
        register_reference_loader,
        register_role_permissions,
    )

    register_portal_link(PortalLink(
        key="disaster.shelters", title=_("Shelters: open now and how crowded"),
        description=_("Which shelters and evacuation sites are open, how crowded they are, "
                      "and the nearest ones to you."),
        url_name="disaster:shelter_list", order=5))
    register_portal_link(PortalLink(
        key="disaster.shelters_staff", title=_("My shelters"),
        description=_("Open or close the shelters you are assigned to and report how "
                      "crowded they are, from a phone."),
        url_name="disaster:shelter_staff_home", audience="staff",
        permission="disaster.view_shelterstatus", order=5))
    register_portal_link(PortalLink(
        key="disaster.shelters_manage", title=_("Shelter staff and thresholds"),
        description=_("Assign staff to shelters and set the crowding thresholds."),
        url_name="disaster:shelter_manage", audience="staff",
        permission="disaster.manage_shelters", order=6))

    # Every staff member may be sent to a shelter on the day, so the roles that staff
    # shelters see the staff page; whom they may update is decided by the assignment.
    for role in ("counter_clerk", "application_reviewer", "records_supervisor"):
        register_role_permissions(role, ["disaster.view_shelterstatus"])
    register_role_permissions("branch_manager", [
        "disaster.view_shelterstatus", "disaster.update_any_shelter",
        "disaster.manage_shelters", "disaster.view_shelterstatuschange",
        "disaster.view_shelterassignment"])
    register_role_permissions("system_admin", [
        "disaster.view_shelterstatus", "disaster.view_shelterstatuschange",
        "disaster.view_shelterassignment", "disaster.manage_shelters"])
    register_role_permissions("auditor", [
        "disaster.view_shelterstatus", "disaster.view_shelterstatuschange"])
    register_reference_loader("disaster.shelters", load_shelter_reference)
    register_demo_loader("disaster.shelters", load_shelter_demo)


def load_shelter_reference() -> str:
    from ..services.shelters import shelter_topics_ensure

    return f"{shelter_topics_ensure()} shelter and area notification topics"


def load_shelter_demo() -> str:
    from ..services.shelters import shelter_demo_load

    return shelter_demo_load()
