"""URL map of the whole portal."""

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cityhall.api import api
from cityhall.core import views as core_views

# Staff sign in through allauth, where the second factor is enforced; the admin's own login
# form would bypass it.
admin_login_redirect = RedirectView.as_view(pattern_name="account_login", query_string=True)

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", admin_login_redirect),
    path("admin/", admin.site.urls),
    path("", include("cityhall.core.urls")),
]

# Each optional app's pages are mounted only when the app is installed.
if apps.is_installed("cityhall.payments"):
    urlpatterns.insert(-1, path("payments/", include("cityhall.payments.urls")))
if apps.is_installed("cityhall.notifications"):
    urlpatterns.insert(-1, path("notifications/", include("cityhall.notifications.urls")))
if apps.is_installed("cityhall.procedures"):
    urlpatterns.insert(-1, path("procedures/", include("cityhall.procedures.urls")))

if apps.is_installed("cityhall.bookings"):
    urlpatterns.insert(-1, path("bookings/", include("cityhall.bookings.urls")))

if apps.is_installed("cityhall.opendata"):
    # CKAN's Action API at both of CKAN's prefixes (ckanapi uses /api/action/, harvesters
    # /api/3/action/), and the catalogue pages and DCAT at CKAN's own addresses.
    urlpatterns.insert(0, path("api/", include("cityhall.opendata.ckan.urls")))
    urlpatterns.insert(-1, path("", include("cityhall.opendata.urls")))

if apps.is_installed("cityhall.disaster"):
    urlpatterns.insert(-1, path("", include("cityhall.disaster.urls")))

if apps.is_installed("cityhall.reports"):
    urlpatterns.insert(-1, path("reports/", include("cityhall.reports.urls")))
    # Open311 GeoReport v2 lives at its conventional address, outside the app's pages.
    urlpatterns.insert(-1, path("open311/v2/", include("cityhall.reports.open311.urls")))

if apps.is_installed("cityhall.feedback"):
    urlpatterns.insert(-1, path("feedback/", include("cityhall.feedback.urls")))

if apps.is_installed("cityhall.childcare"):
    urlpatterns.insert(-1, path("childcare/", include("cityhall.childcare.urls")))

if apps.is_installed("cityhall.faq"):
    urlpatterns.insert(-1, path("faq/", include("cityhall.faq.urls")))

if "django_rq" in settings.INSTALLED_APPS:
    urlpatterns.insert(0, path("admin/rq/", include("django_rq.urls")))

handler400 = "cityhall.core.views.bad_request"
handler403 = "cityhall.core.views.permission_denied"
handler404 = "cityhall.core.views.page_not_found"
handler500 = "cityhall.core.views.server_error"
