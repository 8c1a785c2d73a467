"""A URL map for the Open311 tests: the portal's with a stand-in for the public photo view
(`reports:photo`, built by the public pages), so that `media_url` can be checked."""

from django.http import HttpResponse
from django.urls import include, path

from cityhall.urls import urlpatterns as portal_urlpatterns

reports_patterns = ([path("photos/<int:pk>/", lambda request, pk: HttpResponse(),
                          name="photo")], "reports")

urlpatterns = [path("reports/", include(reports_patterns)),
               *[p for p in portal_urlpatterns if "reports" not in str(p.pattern)]]
