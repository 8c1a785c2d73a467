"""URL map of the disaster app: /shelters/ and /alerts/ (mounted at the portal's root)."""

from django.urls import include, path

app_name = "disaster"

urlpatterns = [
    path("shelters/", include("cityhall.disaster.urls.shelters")),
    path("alerts/", include("cityhall.disaster.urls.alerts")),
]
