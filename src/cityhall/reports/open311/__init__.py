"""Open311 GeoReport v2 server for street-problem reports (取組13)."""
