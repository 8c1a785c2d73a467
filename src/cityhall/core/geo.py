"""Small geometry shared by every app that takes a position from the public (shelters near a
place, alert areas, street-problem reports): is a point in Japan, and how far apart are two
points. Plain Python: the product runs on SQLite without spatial extensions."""

import math

# WGS84 mean Earth radius (IUGG R1 = (2a + b) / 3), in metres.
EARTH_RADIUS_M = 6_371_008.8

# Japan's territory as a few boxes (south, west, north, east in degrees): coarse, but they
# hold every inhabited island of Japan and leave out the neighbours' coasts and islands
# (Busan, Jeju, Ulleungdo, Taiwan, Shanghai, Vladivostok, Sakhalin). A plausibility check
# that catches swapped latitude/longitude and typos, not a border.
JAPAN_BOXES = [
    (41.3, 139.3, 45.6, 148.9),  # Hokkaido and the islands to its east
    (36.5, 135.5, 41.6, 142.1),  # northern and eastern Honshu, Sado
    (33.4, 130.8, 36.5, 142.1),  # western and central Honshu, Shikoku's north, Oki
    (32.6, 131.0, 33.4, 136.0),  # southern Shikoku and the Kii peninsula
    (30.9, 128.5, 34.0, 132.1),  # Kyushu, Iki, Goto
    (34.0, 129.1, 34.75, 129.55),  # Tsushima
    (24.0, 122.9, 30.9, 131.4),  # the Nansei islands: Amami, Okinawa, Sakishima, Daito
    (24.0, 138.9, 34.9, 142.3),  # the Izu and Ogasawara islands
    (20.3, 136.0, 20.5, 136.2),  # Okinotorishima
    (24.2, 153.9, 24.35, 154.0),  # Minamitorishima
]


def in_japan(lat: float, lon: float) -> bool:
    return any(south <= lat <= north and west <= lon <= east
               for south, west, north, east in JAPAN_BOXES)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (haversine on the mean
    radius; within 0.5 % of the ellipsoidal distance, well under a block in Minato)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def point_in_ring(lat: float, lon: float, ring) -> bool:
    """Even-odd ray casting: is the point inside one closed ring of [lon, lat] pairs?"""
    inside = False
    count = len(ring)
    for index in range(count):
        x1, y1 = ring[index][0], ring[index][1]
        x2, y2 = ring[index - 1][0], ring[index - 1][1]
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside


def point_in_multipolygon(lat: float, lon: float, polygons) -> bool:
    """Inside a GeoJSON MultiPolygon's coordinates: inside an outer ring and in none of that
    polygon's holes."""
    for polygon in polygons:
        if not polygon:
            continue
        if point_in_ring(lat, lon, polygon[0]) and not any(
                point_in_ring(lat, lon, hole) for hole in polygon[1:]):
            return True
    return False
