"""Back-office URLs of street-problem reports (取組13), under /reports/staff/."""

from django.urls import path

from ..views import staff as views

urlpatterns = [
    path("staff/", views.queue, name="staff_queue"),
    path("staff/new/", views.report_new, name="staff_report_new"),
    path("staff/summary/", views.summary, name="staff_summary"),
    path("staff/categories/", views.categories, name="staff_categories"),
    path("staff/open311/", views.open311_clients, name="staff_open311_clients"),
    path("staff/<str:reference>/", views.report_page, name="staff_report"),
    path("staff/<str:reference>/photos/<int:photo_id>/", views.report_photo,
         name="staff_report_photo"),
]
