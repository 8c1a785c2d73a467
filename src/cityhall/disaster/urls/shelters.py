"""Pages under /shelters/ (取組12): the public list and detail pages, the staff pages."""

from django.urls import path

from ..views import shelters as views

urlpatterns = [
    path("", views.shelter_list, name="shelter_list"),
    path("staff/", views.shelter_staff_home, name="shelter_staff_home"),
    path("staff/manage/", views.shelter_manage, name="shelter_manage"),
    path("staff/<str:code>/", views.shelter_staff_update, name="shelter_staff_update"),
    path("<str:code>/", views.shelter_detail, name="shelter_detail"),
]
