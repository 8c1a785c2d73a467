"""Pages of childcare, mounted at /childcare/: staff pages of nursery admission (取組7), and
the guardian's and staff immunisation pages (取組23)."""

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
    # -- Immunisation records and the personal plan (取組23, imm-parents) --
    path("children/", views.child_list, name="children"),
    path("children/new/", views.child_new, name="child_new"),
    path("children/<int:child_id>/", views.child_page, name="child"),
    path("children/<int:child_id>/edit/", views.child_edit, name="child_edit"),
    path("children/<int:child_id>/delete/", views.child_delete, name="child_delete"),
    path("children/<int:child_id>/print/", views.child_print, name="child_print"),
    path("children/<int:child_id>/doses/new/", views.dose_new, name="dose_new"),
    path("children/<int:child_id>/doses/<int:dose_id>/remove/", views.dose_remove,
         name="dose_remove"),
    path("children/<int:child_id>/reschedule/<slug:series>/", views.plan_reschedule,
         name="plan_reschedule"),
    path("staff/children/<int:child_id>/", views.staff_child, name="staff_child"),
    path("staff/children/<int:child_id>/doses/new/", views.staff_dose_new,
         name="staff_dose_new"),
]
