"""Pages under /alerts/: the public list, each alert's page and CAP 1.2 document, the Atom
feed, and the staff pages under /alerts/staff/ (取組12)."""

from django.urls import path

from ..views import alerts as views

urlpatterns = [
    path("", views.alert_list, name="alert_list"),
    path("feed.atom", views.alert_feed, name="alert_feed"),
    path("staff/", views.alert_staff_list, name="alert_staff_list"),
    path("staff/new/", views.alert_new, name="alert_new"),
    path("staff/new/<slug:template_key>/", views.alert_compose, name="alert_compose"),
    path("staff/<str:identifier>/", views.alert_staff_detail, name="alert_staff_detail"),
    path("staff/<str:identifier>/submit/", views.alert_submit, name="alert_submit"),
    path("staff/<str:identifier>/approve/", views.alert_approve, name="alert_approve"),
    path("staff/<str:identifier>/reject/", views.alert_reject, name="alert_reject"),
    path("staff/<str:identifier>/discard/", views.alert_discard, name="alert_discard"),
    path("staff/<str:identifier>/update/", views.alert_update, name="alert_update"),
    path("staff/<str:identifier>/cancel/", views.alert_cancel, name="alert_cancel"),
    path("<str:identifier>.xml", views.alert_cap, name="alert_cap"),
    path("<str:identifier>/", views.alert_detail, name="alert_detail"),
]
