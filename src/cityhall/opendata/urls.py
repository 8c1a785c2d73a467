"""Pages of the open data catalogue (取組27), at CKAN's own addresses (/dataset/, ...), and
DCAT (/catalog.ttl, /dataset/<name>.ttl)."""

from django.urls import path

app_name = "opendata"

urlpatterns = []

# --- helper D: the 5G base-station page (取組30) ------------------------------------------------
from . import views_base_stations  # noqa: E402

urlpatterns += [
    path("opendata/staff/base-stations", views_base_stations.base_stations,
         name="staff_base_stations"),
]
# --- end helper D ------------------------------------------------------------------------------
