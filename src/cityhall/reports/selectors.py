"""Named queries of street-problem reports (取組13).

`nearby_open_reports` finds the open reports of one category near a point, so that a resident
about to report a pothole sees that it has been reported already (and can follow that report
instead). It asks the database for a small latitude/longitude box first, which the
(category, status, latitude, longitude) index answers without reading other rows, and then
measures the great-circle distance of the few rows inside the box.
"""

import math

from cityhall.core.geo import haversine_m

from .models import Report, ServiceCategory

# Metres in one degree of latitude (and of longitude at the equator), on the mean sphere.
METRES_PER_DEGREE = 111_320.0


def bounding_box(latitude: float, longitude: float, radius_m: float
                 ) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box holding every point within `radius_m`."""
    d_lat = radius_m / METRES_PER_DEGREE
    d_lon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 1e-6))
    return latitude - d_lat, latitude + d_lat, longitude - d_lon, longitude + d_lon


def nearby_open_reports(*, category: ServiceCategory, latitude: float, longitude: float,
                        radius_m: float = 100, limit: int = 20) -> list[Report]:
    """The open reports of `category` within `radius_m` metres, the nearest first; each has a
    `distance_m` attribute."""
    latitude, longitude = float(latitude), float(longitude)
    south, north, west, east = bounding_box(latitude, longitude, radius_m)
    candidates = (Report.objects
                  .filter(category=category, status__in=Report.OPEN_STATUSES,
                          latitude__gte=south, latitude__lte=north,
                          longitude__gte=west, longitude__lte=east)
                  .select_related("category"))
    found = []
    for report in candidates:
        distance = haversine_m(latitude, longitude, float(report.latitude),
                               float(report.longitude))
        if distance <= radius_m:
            report.distance_m = distance
            found.append(report)
    found.sort(key=lambda report: report.distance_m)
    return found[:limit]
