"""The open data catalogue (取組27 オープンデータの推進, 取組30 5G基地局設置への公共施設の開放,
取組16): a CKAN-compatible catalogue with DCAT output, publishing the platform's own live
data in the national standard formats. An engine (layer 3): it imports only core; apps
publish their data through `registry.register_live_dataset`."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

EDITOR_PERMISSIONS = [
    "opendata.view_dataset", "opendata.add_dataset", "opendata.change_dataset",
    "opendata.delete_dataset", "opendata.view_resource", "opendata.add_resource",
    "opendata.change_resource", "opendata.delete_resource", "opendata.view_organization",
    "opendata.view_group",
]


class OpendataConfig(AppConfig):
    name = "cityhall.opendata"
    label = "opendata"
    verbose_name = _("Open data catalogue")

    def ready(self):
        from cityhall.core.periodic import register_periodic_task
        from cityhall.core.registry import register_role_permissions

        from .tasks import opendata_live_refresh

        # オープンデータ担当 (情報政策課) publish for every organization and keep the themes;
        # a department's own editors publish that department's data.
        register_role_permissions("opendata_editor", [
            *EDITOR_PERMISSIONS, "opendata.publish_any_dataset", "opendata.add_organization",
            "opendata.change_organization", "opendata.add_group", "opendata.change_group"])
        register_role_permissions("opendata_department_editor", EDITOR_PERMISSIONS)
        register_periodic_task(opendata_live_refresh, every_seconds=300)
        # Live datasets from core data (public facilities, the 5G list of 取組30); the
        # domain apps register their own. The 5G offers are a facility attribute that the
        # open data officers keep.
        from cityhall.core.registry import register_demo_loader, register_reference_loader

        from . import providers
        from .demo import load_opendata_demo

        providers.register()
        register_role_permissions("opendata_editor", ["core.view_facility",
                                                      "core.change_facility"])
        register_reference_loader("opendata.live", providers.reference_load)
        register_demo_loader("opendata", load_opendata_demo)
        _register_portal_links()


def _register_portal_links() -> None:
    from cityhall.core.registry import PortalLink, register_portal_link

    register_portal_link(PortalLink(
        key="opendata.catalogue", title=_("Open data"),
        description=_("The city's data to download and reuse: facilities, shelters, "
                      "statistics and more, in CSV, GeoJSON and other formats, free under "
                      "CC BY 4.0."),
        url_name="opendata:dataset_list", order=60))
    register_portal_link(PortalLink(
        key="opendata.staff_datasets", title=_("Open data catalogue"),
        description=_("Publish and update your organization's datasets and files, and issue "
                      "API tokens for publishing scripts."),
        url_name="opendata:staff_datasets", audience="staff",
        permission="opendata.view_dataset", order=60))
    register_portal_link(PortalLink(
        key="opendata.base_stations", title=_("Facilities offered for 5G base stations"),
        description=_("Mark the ward facilities offered to mobile carriers for 5G base "
                      "stations; the list is published as open data."),
        url_name="opendata:staff_base_stations", audience="staff",
        permission="core.change_facility", order=61))
