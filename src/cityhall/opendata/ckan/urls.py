"""The CKAN Action API v3 at /api/3/action/<name> and /api/action/<name> (取組27)."""

urlpatterns = []
