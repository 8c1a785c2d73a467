"""Named queries of core that other apps and pages reuse."""

import functools
import json
from pathlib import Path

from django.conf import settings

from .models import BranchOffice, Facility, Municipality, Town


def current_municipality() -> Municipality | None:
    return Municipality.objects.filter(code=settings.CITYHALL_MUNICIPALITY_CODE).first()


def branch_offices():
    return BranchOffice.objects.all()


def facilities(*, kind: str | None = None, branch_office_code: str | None = None):
    queryset = Facility.objects.select_related("branch_office", "town")
    if kind:
        queryset = queryset.filter(kind=kind)
    if branch_office_code:
        queryset = queryset.filter(branch_office__code=branch_office_code)
    return queryset


def towns():
    return Town.objects.select_related("branch_office")


def find_town_in_address(address: str) -> Town | None:
    """The town (and 丁目, when the address gives one) that an address in this municipality
    lies in, e.g. '東京都港区元麻布3-8-15' -> 元麻布3丁目."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", address)
    municipality = current_municipality()
    if municipality and municipality.name in text:
        text = text.split(municipality.name, 1)[1]
    candidates = sorted(Town.objects.select_related("branch_office"),
                        key=lambda town: len(town.name), reverse=True)
    for town in candidates:
        if not text.startswith(town.name):
            continue
        rest = text[len(town.name):]
        match = re.match(r"(\d+)(?:丁目|-|$)", rest)
        chome = int(match.group(1)) if match else None
        if town.chome is None or town.chome == chome:
            exact = [t for t in candidates if t.name == town.name and t.chome == chome]
            return exact[0] if exact else town
    return None


BOUNDARY_FILE = Path(__file__).resolve().parent / "data" / "minato" / "boundary.geojson"


@functools.cache
def municipality_boundary() -> list:
    """The municipality's area as GeoJSON MultiPolygon coordinates ([] when not shipped).

    Minato's comes from the national land information (国土数値情報 N03); another
    municipality replaces the file (`CITYHALL_BOUNDARY_FILE`)."""
    path = Path(getattr(settings, "CITYHALL_BOUNDARY_FILE", "") or BOUNDARY_FILE)
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    polygons = []
    for feature in data.get("features", []):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            polygons.append(geometry["coordinates"])
        elif geometry.get("type") == "MultiPolygon":
            polygons.extend(geometry["coordinates"])
    return polygons


def municipality_contains(lat: float, lon: float) -> bool:
    """Is the point inside the municipality? Without a boundary file, any point in Japan is
    accepted (the caller has checked `core.geo.in_japan`)."""
    from .geo import point_in_multipolygon

    polygons = municipality_boundary()
    return point_in_multipolygon(lat, lon, polygons) if polygons else True
