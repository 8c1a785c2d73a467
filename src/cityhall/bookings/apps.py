from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "cityhall.bookings"
    label = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        from cityhall.core.periodic import register_periodic_task
        from cityhall.core.registry import (
            PortalLink,
            register_portal_link,
            register_reference_loader,
            register_role_permissions,
        )

        register_portal_link(PortalLink(
            key="bookings.resources", title=_("Book a facility or service"),
            description=_("Library seats, temporary childcare, infant checkups, bulky waste "
                          "collection, rooms and sports facilities: see free places and "
                          "book."),
            url_name="bookings:resource_list", order=40))
        register_portal_link(PortalLink(
            key="bookings.my_bookings", title=_("My bookings"),
            description=_("Your bookings and waitlist places: calendar file, check-in code, "
                          "cancel."),
            url_name="bookings:my_bookings", order=41))
        register_portal_link(PortalLink(
            key="bookings.staff", title=_("Bookings calendar"),
            description=_("Slots and bookings by day; book for a resident at the counter, "
                          "close slots, check in, export."),
            url_name="bookings:staff_home", audience="staff",
            permission="bookings.view_booking", order=40))

        counter = ["bookings.view_booking", "bookings.view_resource", "bookings.view_slot",
                   "bookings.book_on_behalf", "bookings.check_in_booking",
                   "bookings.change_booking"]
        register_role_permissions("counter_clerk", counter)
        register_role_permissions("branch_manager", [
            *counter, "bookings.manage_slots", "bookings.view_closure", "bookings.add_closure"])
        register_role_permissions("system_admin", [
            f"bookings.{action}_{model}" for action in ("view", "add", "change")
            for model in ("resource", "openinghours", "closure", "priceditem")])
        register_role_permissions("auditor", ["bookings.view_booking", "bookings.view_resource"])
        register_reference_loader("bookings", load_minato_resources)

        from .tasks import bookings_housekeeping

        register_periodic_task(bookings_housekeeping, every_seconds=60)

        from django.apps import apps

        if apps.is_installed("cityhall.payments"):
            from cityhall.payments.services import register_payment_listener

            from .services import on_payment_change

            register_payment_listener(on_payment_change)


def load_minato_resources():
    import json
    from pathlib import Path

    from .services import resources_import

    data = json.loads((Path(__file__).parent / "data" / "minato_resources.json").read_text(
        encoding="utf-8"))
    counts = resources_import(data=data)
    return (f"{counts['resources']} bookable resources, {counts['items']} priced items, "
            f"{counts['facilities']} facilities")
