"""Open311 GeoReport v2 server for street-problem reports (取組13), mounted at /open311/v2/.

Every endpoint answers in XML (the required format) and JSON, chosen by the suffix; any other
path or suffix gets the specification's 404 error document (views.not_found).
"""

from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[-\w]{1,40})" + FMT, views.service_definition,
            name="service_definition"),
    re_path(r"^requests" + FMT, views.service_requests, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[-\w]{1,20})" + FMT, views.service_request,
            name="request"),
    re_path(r"^tokens/(?P<token>[-\w]{1,64})" + FMT, views.token, name="token"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
