from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "cityhall.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from cityhall.core.registry import (
            PortalLink,
            register_portal_link,
            register_reference_loader,
            register_role_permissions,
        )

        register_portal_link(PortalLink(
            key="payments.counter", title=_("Take a payment"),
            description=_("Cash, electronic money or QR payments at the counter, with a "
                          "receipt."),
            url_name="payments:counter", audience="staff",
            permission="payments.take_counter_payment", order=30))
        register_portal_link(PortalLink(
            key="payments.reconciliation", title=_("Payments and reconciliation"),
            description=_("Payments of the day by department and provider; refunds to "
                          "approve."),
            url_name="payments:reconciliation", audience="staff",
            permission="payments.view_reconciliation", order=35))
        register_role_permissions("counter_clerk", [
            "payments.take_counter_payment", "payments.view_payment", "payments.view_fee",
            "payments.add_refund"])
        register_role_permissions("branch_manager", [
            "payments.view_payment", "payments.view_reconciliation", "payments.approve_refund",
            "payments.view_refund"])
        register_role_permissions("system_admin", [
            "payments.view_fee", "payments.add_fee", "payments.change_fee"])
        register_role_permissions("auditor", [
            "payments.view_payment", "payments.view_refund", "payments.view_reconciliation"])
        register_reference_loader("payments", load_minato_fees)


def load_minato_fees():
    import json
    from pathlib import Path

    from .services import fee_catalogue_import

    data = json.loads((Path(__file__).parent / "data" / "minato_fees.json").read_text(
        encoding="utf-8"))
    return fee_catalogue_import(data=data)
