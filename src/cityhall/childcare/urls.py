"""Pages of nursery admission (取組7), mounted at /childcare/: staff pages under staff/, the
residents' online application under apply/ and my/applications/."""

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
    path("staff/applications/<int:application_id>/online/verify/",
         views.online_staff.online_verify, name="online_verify"),
    path("staff/applications/<int:application_id>/online/return/",
         views.online_staff.online_return, name="online_return"),
]
