"""The CKAN Action API v3 at /api/3/action/<name> and /api/action/<name> (取組27).

Both of CKAN's prefixes: ckanapi uses /api/action/, harvesters /api/3/action/. No trailing
slash, as in CKAN; nothing here redirects."""

from django.urls import path

from . import views

app_name = "ckan"

urlpatterns = [
    path("action/<str:name>", views.action, name="action"),
    path("3/action/<str:name>", views.action, name="action_3"),
]
