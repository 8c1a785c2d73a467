"""Pages of nursery admission (取組7), mounted at /childcare/: the staff back office and the
resident's own result letter."""

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
