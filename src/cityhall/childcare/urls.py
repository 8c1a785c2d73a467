"""Pages of childcare, mounted at /childcare/: staff pages of nursery admission (取組7) with the
result and its letters, residents' online applications (apply/, my/applications/) and their
result letter, and the guardian's and staff immunisation pages (取組23)."""

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
    # The override of a whole family (run-queue).
    path("staff/applications/<int:application_id>/household-override/",
         views.household_override, name="household_override"),
]

# -- Online applications (取組7): residents apply online; staff check or return --
_mine = "my/applications/round-<int:round_id>/"
urlpatterns += [
    path("apply/", views.apply.apply, name="apply"),
    path("apply/<int:round_id>/", views.apply.apply_start, name="apply_start"),
    path("my/applications/", views.apply.my_applications, name="my_applications"),
    path(_mine, views.apply.my_application, name="my_application"),
    path(_mine + "children/new/", views.apply.my_child, name="my_child_new"),
    path(_mine + "children/<int:application_id>/", views.apply.my_child, name="my_child"),
    path(_mine + "children/<int:application_id>/wishes/", views.apply.my_child_wishes,
         name="my_child_wishes"),
    path(_mine + "children/<int:application_id>/remove/", views.apply.my_child_remove,
         name="my_child_remove"),
    path(_mine + "family/", views.apply.my_family, name="my_family"),
    path(_mine + "check/", views.apply.my_application_check, name="my_application_check"),
    path(_mine + "withdraw/", views.apply.my_application_withdraw,
         name="my_application_withdraw"),
    path(_mine + "documents/", views.apply.my_documents, name="my_documents"),
    path(_mine + "documents/<uuid:document_id>/", views.apply.my_document,
         name="my_document"),
    path(_mine + "documents/<uuid:document_id>/remove/", views.apply.my_document_remove,
         name="my_document_remove"),
    path("staff/applications/<int:application_id>/online/verify/",
         views.online_staff.online_verify, name="online_verify"),
    path("staff/applications/<int:application_id>/online/return/",
         views.online_staff.online_return, name="online_return"),
    path("staff/applications/<int:application_id>/online/documents/<uuid:document_id>/",
         views.online_staff.online_document, name="online_document"),
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
    # -- immunisation coverage for staff (取組23) --
    path("staff/immunisation/coverage/", views.immunisation_coverage,
         name="immunisation_coverage"),
    path("staff/immunisation/coverage.csv", views.immunisation_coverage_csv,
         name="immunisation_coverage_csv"),
]

# -- infant health checkups of a guardian's child (取組23) --
from .views import checkups as checkup_views  # noqa: E402

urlpatterns += [
    path("children/<int:child_id>/checkups/", checkup_views.child_checkups,
         name="child_checkups"),
    path("children/<int:child_id>/checkups/<slug:code>/<int:slot_id>/",
         checkup_views.child_checkup_book, name="child_checkup_book"),
    # -- Publishing the result and the result letters (views/letters.py) --
    path("staff/rounds/<int:round_id>/publish/", views.round_publish, name="round_publish"),
    path("staff/rounds/<int:round_id>/letters/", views.letters_request,
         name="letters_request"),
    path("staff/rounds/<int:round_id>/letters/<int:batch_id>/", views.letters_batch,
         name="letters_batch"),
    path("staff/rounds/<int:round_id>/letters/<int:batch_id>/letters.pdf",
         views.letters_download, name="letters_download"),
    path("staff/applications/<int:application_id>/letter.pdf", views.application_letter,
         name="application_letter"),
    path("my/applications/<int:application_id>/letter.pdf", views.my_application_letter,
         name="my_application_letter"),
]
