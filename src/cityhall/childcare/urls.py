"""Staff pages of nursery admission (取組7), mounted at /childcare/."""

from django.urls import path

from . import views

app_name = "childcare"
urlpatterns = [
    path("staff/rounds/", views.round_list, name="rounds"),
    path("staff/rounds/<int:round_id>/", views.round_page, name="round"),
    path("staff/rounds/<int:round_id>/import/<str:kind>/", views.round_import,
         name="round_import"),
    path("staff/rounds/<int:round_id>/run/", views.round_run, name="round_run"),
    path("staff/rounds/<int:round_id>/confirm/", views.round_confirm, name="round_confirm"),
    path("staff/templates/<str:kind>.csv", views.template_csv, name="template_csv"),
    path("staff/applications/<int:application_id>/", views.application_page,
         name="application"),
    path("staff/applications/<int:application_id>/override/", views.placement_override,
         name="placement_override"),
]

# -- infant health checkups of a guardian's child (取組23) --
from .views import checkups as checkup_views  # noqa: E402

urlpatterns += [
    path("children/<int:child_id>/checkups/", checkup_views.child_checkups,
         name="child_checkups"),
    path("children/<int:child_id>/checkups/<slug:code>/<int:slot_id>/",
         checkup_views.child_checkup_book, name="child_checkup_book"),
]
