"""Pages of the open data catalogue (取組27), at CKAN's own addresses (/dataset/, ...), and
DCAT (/catalog.ttl, /dataset/<name>.ttl)."""

from django.urls import re_path

from . import dcat_views

app_name = "opendata"

urlpatterns = [
    # DCAT, at ckanext-dcat's addresses. These come before the page `dataset/<name>`: the
    # format suffix is matched here, and an unknown one gets a plain 404 from the view.
    re_path(r"^catalog\.(?P<fmt>[A-Za-z0-9]{1,10})$", dcat_views.catalog,
            name="catalog_dcat"),
    re_path(r"^dataset/(?P<name>[A-Za-z0-9_-]{1,100})\.(?P<fmt>[A-Za-z0-9]{1,10})$",
            dcat_views.dataset, name="dataset_dcat"),
]
