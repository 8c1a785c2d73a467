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
    path("my-applications/", views.my_applications, name="my_applications"),
    path("applications/<int:application_id>/", views.application_detail,
         name="application_detail"),
    path("applications/<int:application_id>/edit/", views.application_edit,
         name="application_edit"),
    path("applications/<int:application_id>/confirm/", views.application_confirm,
         name="application_confirm"),
    path("applications/<int:application_id>/attachments/<uuid:attachment_id>/",
         views.application_attachment, name="application_attachment"),
    path("applications/<int:application_id>/receipt.pdf", views.application_receipt,
         name="application_receipt"),
    path("counter/", views.counter_home, name="counter_home"),
    path("counter/start/", views.counter_start, name="counter_start"),
    path("counter/<uuid:visit_id>/", views.counter_visit, name="counter_visit"),
    path("counter/<uuid:visit_id>/forms/", views.counter_forms, name="counter_forms"),
    path("counter/<uuid:visit_id>/forms.pdf", views.counter_forms_pdf,
         name="counter_forms_pdf"),
    path("review/<int:application_id>/receipt.pdf", views.review_receipt,
         name="review_receipt"),
    path("review/<int:application_id>/payment/", views.review_payment,
         name="review_payment"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:application_id>/", views.review_detail, name="review_detail"),
    path("review/<int:application_id>/attachments/<uuid:attachment_id>/",
         views.review_attachment, name="review_attachment"),
    path("review/export/<slug:code>/", views.review_export, name="review_export"),
    path("<slug:code>/apply/", views.application_start, name="application_start"),
    path("<slug:code>/", views.procedure_detail, name="procedure_detail"),
]
