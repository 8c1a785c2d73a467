from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "cityhall.procedures"
    label = "procedures"
    verbose_name = _("Procedures")

    def ready(self):
        from cityhall.core.registry import (
            PortalLink,
            register_portal_link,
            register_reference_loader,
            register_role_permissions,
        )

        register_portal_link(PortalLink(
            key="procedures.navigator", title=_("Procedure navigator"),
            description=_("Moving, a birth, a marriage, a death in the family: see every "
                          "procedure you need, with deadlines."),
            url_name="procedures:navigator_index", order=10))
        register_portal_link(PortalLink(
            key="procedures.catalogue", title=_("Procedures"),
            description=_("Search the procedures of the city: what to bring, fees, where to "
                          "go, what you can do online."),
            url_name="procedures:procedure_list", order=20))
        register_portal_link(PortalLink(
            key="procedures.my_applications", title=_("My applications"),
            description=_("Continue a draft and follow the status of what you applied for."),
            url_name="procedures:my_applications", order=30))
        register_portal_link(PortalLink(
            key="procedures.edit", title=_("Procedure catalogue"),
            description=_("Edit procedures, life events and the navigator's rules."),
            url_name="admin:procedures_procedure_changelist", audience="staff",
            permission="procedures.change_procedure", order=40))
        register_role_permissions("system_admin", [
            f"procedures.{action}_{model}" for action in ("view", "add", "change")
            for model in ("procedure", "lifeevent", "eventrule")
        ] + ["procedures.view_procedurerevision"])
        register_role_permissions("branch_manager", [
            "procedures.view_procedure", "procedures.view_lifeevent", "procedures.view_eventrule",
            "procedures.view_procedurerevision"])
        register_role_permissions("application_reviewer", [
            "procedures.view_application", "procedures.change_application",
            "procedures.view_procedure"])
        register_portal_link(PortalLink(
            key="procedures.review", title=_("Application review"),
            description=_("Online applications to your department: assign, comment, decide."),
            url_name="procedures:review_queue", audience="staff",
            permission="procedures.view_application", order=20))
        register_portal_link(PortalLink(
            key="procedures.counter", title=_("Write-less counter"),
            description=_("Go through a life event with a resident at the counter and print "
                          "every form they need, already filled in."),
            url_name="procedures:counter_home", audience="staff",
            permission="procedures.add_countersession", order=10))
        register_role_permissions("counter_clerk", [
            "procedures.add_countersession", "procedures.change_countersession",
            "procedures.view_countersession"])
        register_role_permissions("branch_manager", ["procedures.view_countersession"])
        register_reference_loader("procedures", load_minato_catalogue)

        from .integration import on_status_change
        from .services import notify_applicant_of_change, register_status_listener
        from .services.applications import _status_listeners

        for listener in (on_status_change, notify_applicant_of_change):
            if listener not in _status_listeners:
                register_status_listener(listener)

        # Fees go through the payments engine when it is installed and can take payments
        # online; otherwise they are paid at the counter.
        from django.apps import apps

        if apps.is_installed("cityhall.payments"):
            from cityhall.payments.providers import online_providers
            from cityhall.payments.services import register_payment_listener

            from .fees import PaymentsEngineGateway, on_payment_change, register_fee_gateway

            register_payment_listener(on_payment_change)
            if online_providers():
                register_fee_gateway(PaymentsEngineGateway())


def load_minato_catalogue():
    import json
    from pathlib import Path

    from .services import catalogue_import

    folder = Path(__file__).parent / "data"
    data = json.loads((folder / "minato_procedures.json").read_text(encoding="utf-8"))
    data["forms"] = json.loads((folder / "minato_forms.json").read_text(encoding="utf-8"))[
        "forms"]
    return catalogue_import(data=data)
