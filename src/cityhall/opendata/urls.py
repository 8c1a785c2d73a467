"""Pages of the open data catalogue (取組27), at CKAN's own addresses (/dataset/, ...), and
DCAT (/catalog.ttl, /dataset/<name>.ttl)."""

app_name = "opendata"

urlpatterns = []
