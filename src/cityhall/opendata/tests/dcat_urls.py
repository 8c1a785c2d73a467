"""The site's URLs plus a stand-in for the catalogue's download page, for the DCAT tests while
the pages (`opendata:resource_download`) are not in this branch. The DCAT tests use it only
when that name cannot be reversed, so once the pages are merged it is no longer used."""

from django.http import HttpResponse
from django.urls import include, path

from cityhall import urls as site_urls
from cityhall.opendata import urls as opendata_urls


def _download_stand_in(request, **kwargs):
    return HttpResponse(b"", content_type="text/plain")


_opendata = [
    *opendata_urls.urlpatterns,
    path("dataset/<str:name>/resource/<uuid:resource_id>/download/<str:filename>",
         _download_stand_in, name="resource_download"),
]

urlpatterns = [
    path("", include((_opendata, "opendata"))),
    *[pattern for pattern in site_urls.urlpatterns
      if getattr(pattern, "namespace", None) != "opendata"],
]
