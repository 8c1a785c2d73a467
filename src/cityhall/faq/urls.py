"""URLs of the FAQ pages (取組6, 8, 19), mounted at /faq/ when the app is installed."""

from django.urls import path

from . import staff_views, views

app_name = "faq"
urlpatterns = [
    path("", views.ask, name="ask"),
    path("feedback/", views.feedback, name="feedback"),
    path("categories/<slug:code>/", views.category_detail, name="category_detail"),
    path("staff/", staff_views.staff_home, name="staff_home"),
    path("staff/entries/new/", staff_views.entry_create, name="staff_entry_create"),
    path("staff/entries/<slug:key>/", staff_views.entry_edit, name="staff_entry_edit"),
    path("staff/entries/<slug:key>/status/", staff_views.entry_status, name="staff_entry_status"),
    path("staff/export.csv", staff_views.entries_export, name="staff_export"),
    path("staff/import/", staff_views.entries_import, name="staff_import"),
    path("staff/synonyms/", staff_views.synonyms, name="staff_synonyms"),
    path("staff/synonyms/<int:pk>/", staff_views.synonym_edit, name="staff_synonym_edit"),
    path("staff/synonyms/<int:pk>/delete/", staff_views.synonym_delete,
         name="staff_synonym_delete"),
    path("staff/questions/", staff_views.questions, name="staff_questions"),
    path("staff/questions/new-entry/", staff_views.questions_new_entry,
         name="staff_questions_new_entry"),
    path("staff/questions/add-phrasing/", staff_views.questions_add_phrasing,
         name="staff_questions_add_phrasing"),
    path("staff/questions/dismiss/", staff_views.questions_dismiss,
         name="staff_questions_dismiss"),
    path("<slug:key>/", views.entry_detail, name="entry_detail"),
]
