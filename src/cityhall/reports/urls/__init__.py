"""URLs of the reports pages (mounted at /reports/): the public pages and the back office."""

from .public import urlpatterns as public_urlpatterns
from .staff import urlpatterns as staff_urlpatterns

app_name = "reports"
urlpatterns = [*public_urlpatterns, *staff_urlpatterns]
