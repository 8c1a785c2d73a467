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
# -- Online applications (取組7): 保育課 checks the documents of residents' applications --
ADMISSIONS_OFFICER_PERMISSIONS += ["childcare.verify_online_application"]

# -- Immunisation records (取組23, imm-parents) --
# みなと保健所 健康推進課 (予防接種担当): every child's record, the coverage figures, and doses
# from the 予防接種台帳.
IMMUNISATION_OFFICER_PERMISSIONS = [
    "childcare.view_childprofile", "childcare.view_all_children", "childcare.view_coverage",
    "childcare.view_doserecord", "childcare.add_doserecord",
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

        # Matching runs whose worker died get their task again (run-queue).
        from cityhall.core.periodic import register_periodic_task

        from .tasks import matching_runs_recover_task

        register_periodic_task(matching_runs_recover_task, every_seconds=300)

        # -- Online applications (取組7) --
        register_portal_link(PortalLink(
            key="childcare.apply", title=_("Apply for a nursery place (保育園の入園申込)"),
            description=_("Apply online for a licensed nursery, follow your application and "
                          "see the result."),
            url_name="childcare:apply", order=52))
        from .tasks import online_unsent_remind_task

        # Unsent applications are reminded before the close (services.online).
        register_periodic_task(online_unsent_remind_task, every_seconds=3600)

        # -- Immunisation records and the personal plan (取組23, imm-parents) --
        from .demo import immunisation_demo_load

        register_role_permissions("immunisation_officer", IMMUNISATION_OFFICER_PERMISSIONS)
        register_portal_link(PortalLink(
            key="childcare.immunisation", title=_("My children's immunisations (予防接種)"),
            description=_("Keep the vaccinations from the maternal and child health handbook "
                          "and see each child's plan: what is due, until when it is free, "
                          "and what to do after a missed dose."),
            url_name="childcare:children", audience="resident", order=60))
        register_demo_loader("childcare.immunisation", immunisation_demo_load)

        # -- immunisation reminders and coverage (取組23) --
        from .tasks import immunisation_daily

        # Ticks every hour; the pass over the children runs once a day (services.reminders).
        register_periodic_task(immunisation_daily, every_seconds=3600)
        # 支所長 see the coverage of their own branch office; the health centre's officers
        # (role `immunisation_officer`, with view_all_children) see every branch office.
        register_role_permissions("branch_manager", ["childcare.view_coverage"])
        register_role_permissions("immunisation_officer", ["childcare.view_coverage"])
        register_portal_link(PortalLink(
            key="childcare.immunisation_coverage",
            title=_("Immunisation coverage (予防接種の接種状況)"),
            description=_("Coverage by birth cohort, branch office and vaccine, with small "
                          "numbers hidden; CSV for Excel."),
            url_name="childcare:immunisation_coverage", audience="staff",
            permission="childcare.view_coverage", order=52))

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
