"""Childcare (取組7 保育園入園AIマッチング, 取組23 母子手帳アプリ): nursery admission matching and
the immunisation schedule. A domain app (layer 4)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# 保育課 入所担当: every round and application, imports, runs, and the configuration.
ADMISSIONS_OFFICER_PERMISSIONS = [
    "childcare.view_admissionround", "childcare.add_admissionround",
    "childcare.change_admissionround", "childcare.import_round", "childcare.run_matching",
    "childcare.view_application", "childcare.view_all_applications",
    "childcare.view_nursery", "childcare.add_nursery", "childcare.change_nursery",
    "childcare.view_pointstable", "childcare.add_pointstable", "childcare.change_pointstable",
    "childcare.view_pointsitem", "childcare.add_pointsitem", "childcare.change_pointsitem",
    "childcare.view_tiebreakrule", "childcare.add_tiebreakrule",
    "childcare.change_tiebreakrule",
]


class ChildcareConfig(AppConfig):
    name = "cityhall.childcare"
    label = "childcare"
    verbose_name = _("Childcare")

    def ready(self):
        from cityhall.core.registry import (
            PortalLink,
            register_demo_loader,
            register_portal_link,
            register_reference_loader,
            register_role_permissions,
        )

        from .demo import admissions_demo_load

        register_role_permissions("nursery_admissions_officer", ADMISSIONS_OFFICER_PERMISSIONS)
        register_portal_link(PortalLink(
            key="childcare.admissions", title=_("Nursery admission (保育所入所選考)"),
            description=_("Admission rounds: import the seats and applications, run the "
                          "matching, review and change placements."),
            url_name="childcare:rounds", audience="staff",
            permission="childcare.run_matching", order=50))
        register_demo_loader("childcare.admissions", admissions_demo_load)

        # -- infant health checkups (取組23) --
        from django.apps import apps

        from .services.checkups import load_checkup_kinds, register_with_bookings

        register_reference_loader("childcare.checkups", load_checkup_kinds)
        register_role_permissions("immunisation_officer", [
            "childcare.view_checkupkind", "childcare.add_checkupkind",
            "childcare.change_checkupkind"])
        if apps.is_installed("cityhall.bookings"):
            # A booking of a checkup session is made for a child: the engine asks childcare.
            register_with_bookings()
            # The health centre's staff run the sessions: who is booked (with the child's
            # name and age, which also needs `childcare.view_all_children`) and check-in.
            register_role_permissions("immunisation_officer", [
                "bookings.view_booking", "bookings.view_resource", "bookings.view_slot",
                "bookings.check_in_booking", "bookings.change_booking"])
