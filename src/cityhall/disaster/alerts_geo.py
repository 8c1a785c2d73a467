"""Areas of an alert as CAP 1.2 draws them (取組12): a polygon of "lat,lon" pairs and a
circle "lat,lon radius_km", checked by the rules the CAP XSD cannot express (google/
cap-library CapException): a polygon has at least four pairs, is closed (first == last) and
does not cross itself; every point lies in Japan, so that a swapped lat/lon or a typo far
away is refused rather than published."""

import re
from itertools import pairwise

from cityhall.core.geo import in_japan

MAX_RADIUS_KM = 100.0

_NUMBER = r"-?\d+(?:\.\d+)?"
_PAIR = re.compile(rf"^({_NUMBER}),({_NUMBER})$")
_CIRCLE = re.compile(rf"^({_NUMBER}),({_NUMBER}) (\d+(?:\.\d+)?)$")


class AreaError(ValueError):
    """Why an area was refused: `code` is one of "format", "too_few_points", "not_closed",
    "self_intersecting", "outside_japan", "radius"."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def _point(text: str) -> tuple[float, float]:
    match = _PAIR.match(text)
    if not match:
        raise AreaError("format")
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise AreaError("format")
    if not in_japan(lat, lon):
        raise AreaError("outside_japan")
    return lat, lon


def _orientation(p, q, r) -> int:
    value = (q[1] - p[1]) * (r[0] - q[0]) - (q[0] - p[0]) * (r[1] - q[1])
    return 0 if value == 0 else (1 if value > 0 else 2)


def _on_segment(p, q, r) -> bool:
    return (min(p[0], r[0]) <= q[0] <= max(p[0], r[0])
            and min(p[1], r[1]) <= q[1] <= max(p[1], r[1]))


def _segments_cross(p1, q1, p2, q2) -> bool:
    o1, o2 = _orientation(p1, q1, p2), _orientation(p1, q1, q2)
    o3, o4 = _orientation(p2, q2, p1), _orientation(p2, q2, q1)
    if o1 != o2 and o3 != o4:
        return True
    return ((o1 == 0 and _on_segment(p1, p2, q1)) or (o2 == 0 and _on_segment(p1, q2, q1))
            or (o3 == 0 and _on_segment(p2, p1, q2)) or (o4 == 0 and _on_segment(p2, q1, q2)))


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """The points of a CAP polygon ("lat,lon lat,lon ..."); raises AreaError."""
    parts = (text or "").split()
    if not parts:
        raise AreaError("format")
    points = [_point(part) for part in parts]
    if len(points) < 4:
        raise AreaError("too_few_points")
    if points[0] != points[-1]:
        raise AreaError("not_closed")
    edges = list(pairwise(points))
    if len(set(points[:-1])) < 3:
        raise AreaError("self_intersecting")
    for i, (a1, b1) in enumerate(edges):
        for j in range(i + 1, len(edges)):
            # Neighbouring edges share a vertex (and the last meets the first): not a crossing.
            if j == i + 1 or (i == 0 and j == len(edges) - 1):
                continue
            if _segments_cross(a1, b1, *edges[j]):
                raise AreaError("self_intersecting")
    return points


def normalise_polygon(text: str) -> str:
    """The polygon as it is stored and published: single spaces, no leading newline (some
    validators trip on one, google/cap-library#43)."""
    parse_polygon(text)
    return " ".join((text or "").split())


def parse_circle(text: str) -> tuple[float, float, float]:
    match = _CIRCLE.match((text or "").strip())
    if not match:
        raise AreaError("format")
    lat, lon = _point(f"{match.group(1)},{match.group(2)}")
    radius = float(match.group(3))
    if not 0 < radius <= MAX_RADIUS_KM:
        raise AreaError("radius")
    return lat, lon, radius


def normalise_circle(text: str) -> str:
    parse_circle(text)
    return (text or "").strip()
