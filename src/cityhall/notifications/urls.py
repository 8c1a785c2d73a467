from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:delivery_id>/", views.inbox_item, name="inbox_item"),
    path("s/<str:token>/", views.manage, name="manage"),
    path("s/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("s/<str:token>/confirm/", views.confirm, name="confirm"),
    path("signage/", views.signage_page, name="signage"),
    path("signage.json", views.signage_json, name="signage_json"),
    path("line/webhook/", views.line_webhook, name="line_webhook"),
    path("push/vapid-public-key", views.vapid_public_key, name="vapid_public_key"),
    path("push/subscriptions", views.push_subscription, name="push_subscription"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/compose/", views.staff_compose, name="staff_compose"),
    path("staff/messages/<int:message_id>/", views.staff_message, name="staff_message"),
]
