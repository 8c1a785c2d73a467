"""Pages of the open data catalogue (取組27), at CKAN's own addresses (/dataset/, ...), DCAT
(/catalog.ttl, /dataset/<name>.ttl) and the staff back office (/opendata/staff/)."""

from django.urls import path, re_path, register_converter

from .views import base_stations, downloads, public, staff
from .views import dcat as dcat_views

app_name = "opendata"


class CatalogueName:
    """A dataset, organization or group name: never a dot (CKAN's rule, NAME_PATTERN), so the
    page patterns leave /dataset/<name>.ttl and the like to DCAT."""

    regex = "[A-Za-z0-9_-]{1,100}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CatalogueName, "catalogue_name")

urlpatterns = [
    # DCAT, at ckanext-dcat's addresses; an unknown format gets a plain 404 from the view.
    re_path(r"^catalog\.(?P<fmt>[A-Za-z0-9]{1,10})$", dcat_views.catalog,
            name="catalog_dcat"),
    re_path(r"^dataset/(?P<name>[A-Za-z0-9_-]{1,100})\.(?P<fmt>[A-Za-z0-9]{1,10})$",
            dcat_views.dataset, name="dataset_dcat"),
    # The public catalogue.
    path("dataset/", public.dataset_list, name="dataset_list"),
    path("dataset/<catalogue_name:name>", public.dataset_detail, name="dataset_detail"),
    path("dataset/<catalogue_name:name>/resource/<uuid:resource_id>", public.resource_detail,
         name="resource_detail"),
    path("dataset/<catalogue_name:name>/resource/<uuid:resource_id>/download/<str:filename>",
         downloads.resource_download, name="resource_download"),
    path("organization/", public.organization_list, name="organization_list"),
    path("organization/<catalogue_name:name>", public.organization_detail,
         name="organization_detail"),
    path("group/", public.group_list, name="group_list"),
    path("group/<catalogue_name:name>", public.group_detail, name="group_detail"),
    # The back office.
    path("opendata/staff/", staff.dataset_list, name="staff_datasets"),
    path("opendata/staff/new", staff.dataset_new, name="staff_dataset_new"),
    path("opendata/staff/tokens", staff.tokens, name="staff_tokens"),
    path("opendata/staff/base-stations", base_stations.base_stations,
         name="staff_base_stations"),
    path("opendata/staff/dataset/<catalogue_name:name>", staff.dataset_edit,
         name="staff_dataset"),
    path("opendata/staff/dataset/<catalogue_name:name>/delete", staff.dataset_delete,
         name="staff_dataset_delete"),
    path("opendata/staff/dataset/<catalogue_name:name>/resource/new", staff.resource_new,
         name="staff_resource_new"),
    path("opendata/staff/dataset/<catalogue_name:name>/resource/<uuid:resource_id>",
         staff.resource_edit, name="staff_resource"),
    path("opendata/staff/dataset/<catalogue_name:name>/resource/<uuid:resource_id>/delete",
         staff.resource_delete, name="staff_resource_delete"),
]
