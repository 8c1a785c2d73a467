"""URLs of the feedback app (取組11), mounted at /feedback/."""

from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.opinion_new, name="opinion_new"),
    path("sent/", views.opinion_sent, name="opinion_sent"),
    path("mine/", views.my_opinions, name="my_opinions"),
    path("qa/", views.qa_list, name="qa_list"),
    path("qa/<int:pk>/", views.qa_detail, name="qa_detail"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("staff/stats/", views.staff_stats, name="staff_stats"),
    path("staff/<int:pk>/", views.staff_opinion, name="staff_opinion"),
    path("staff/<int:pk>/qa/", views.staff_qa, name="staff_qa"),
    path("staff/<int:pk>/<slug:action>/", views.staff_opinion_action,
         name="staff_opinion_action"),
]
