from django.urls import path

from . import views

app_name = "procedures"

urlpatterns = [
    path("", views.procedure_list, name="procedure_list"),
    path("navigator/", views.navigator_index, name="navigator_index"),
    path("navigator/<slug:event_code>/", views.navigator, name="navigator"),
    path("navigator/<slug:event_code>/save/", views.checklist_save, name="checklist_save"),
    path("my-checklists/", views.my_checklists, name="my_checklists"),
    path("my-checklists/<int:saved_id>/", views.my_checklist, name="my_checklist"),
    path("my-checklists/<int:saved_id>/delete/", views.my_checklist_delete,
         name="my_checklist_delete"),
    path("<slug:code>/", views.procedure_detail, name="procedure_detail"),
]
