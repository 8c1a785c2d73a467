"""Residents' pages of street-problem reports (取組13), mounted at /reports/.

A report's reference is `<year>-<number>` (e.g. 2026-000123), so its pages never shadow the
fixed paths here or the back office's."""

from django.urls import path, re_path

from ..views import public as views

REFERENCE = r"(?P<reference>[0-9]{4}-[0-9]{6,12})"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("map.geojson", views.report_map, name="report_map"),
    path("new/", views.report_create, name="report_create"),
    path("mine/", views.my_reports, name="my_reports"),
    path("unfollow/<str:token>/", views.unfollow, name="unfollow"),
    re_path(rf"^{REFERENCE}/$", views.report_detail, name="report_detail"),
    re_path(rf"^{REFERENCE}/sent/$", views.report_sent, name="report_sent"),
    re_path(rf"^{REFERENCE}/add/$", views.report_add, name="report_add"),
    re_path(rf"^{REFERENCE}/follow/$", views.report_follow, name="report_follow"),
    re_path(rf"^{REFERENCE}/unfollow/$", views.report_unfollow, name="report_unfollow"),
    re_path(rf"^{REFERENCE}/photos/(?P<photo_id>[0-9]{{1,12}})\.jpg$", views.report_photo,
            name="report_photo"),
]
