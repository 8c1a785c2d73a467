from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/<str:code>/", views.facility_detail, name="facility_detail"),
    path("my/", views.my_profile, name="my_profile"),
    path("my/edit/", views.my_profile_edit, name="my_profile_edit"),
    path("my/consents/", views.my_consents, name="my_consents"),
    path("my/download/", views.my_data_download, name="my_data_download"),
    path("my/delete/", views.my_account_delete, name="my_account_delete"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/residents/", views.staff_resident_list, name="staff_resident_list"),
    path("staff/residents/<int:resident_id>/", views.staff_resident_detail,
         name="staff_resident_detail"),
]
