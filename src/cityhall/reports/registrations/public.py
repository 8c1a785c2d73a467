"""Wires the residents' report pages (取組13) to core: the portal links on the home page and
the periodic clean-up of photos kept while a resident was deciding whether their problem
was already reported."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from cityhall.core.periodic import register_periodic_task
    from cityhall.core.registry import PortalLink, register_portal_link

    from ..tasks import reports_pending_photos_purge

    register_portal_link(PortalLink(
        key="reports.create", title=_("Report a street problem"),
        description=_("A pothole, a broken streetlight, dumped rubbish or graffiti: tell the "
                      "city where it is, with a photo if you can."),
        url_name="reports:report_create", order=20))
    register_portal_link(PortalLink(
        key="reports.list", title=_("Street problems reported"),
        description=_("What residents have reported on a map and a list, and what the city "
                      "did about it."),
        url_name="reports:report_list", order=21))
    register_periodic_task(reports_pending_photos_purge, every_seconds=3600)
