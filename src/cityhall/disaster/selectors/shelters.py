"""Named queries of the shelters subject (取組12): the public list with live status, the
hazards each place serves, the nearest open shelters to a point or a typed Minato address,
and the great-circle distance they are sorted by."""

import math
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cityhall.core.errors import ValidationFailed
from cityhall.core.geo import haversine_m, in_japan
from cityhall.core.models import Facility, Town
from cityhall.core.selectors import find_town_in_address
from cityhall.core.templatetags.cityhall import HAZARD_LABELS

from ..models.shelters import SHELTER_KINDS, Crowding

# The hazard codes of Facility.hazards, with their labels (core's single list).
HAZARDS = HAZARD_LABELS
# Open places first, then by how much room they have.
CROWDING_ORDER = {Crowding.AVAILABLE: 0, Crowding.SOMEWHAT_CROWDED: 1, Crowding.CROWDED: 2,
                  Crowding.FULL: 3, "": 4}


def parse_point(text: str) -> tuple[float, float]:
    """'lat,lon' -> (lat, lon), refusing anything that is not a point in Japan."""
    parts = str(text or "").replace(" ", "").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError
    except ValueError:
        raise ValidationFailed(
            _("Give the position as latitude,longitude in decimal degrees, e.g. "
              "35.6581,139.7516."), code="invalid_point", field="near") from None
    return check_in_japan(lat, lon)


def check_in_japan(lat: float, lon: float) -> tuple[float, float]:
    if not in_japan(lat, lon):
        raise ValidationFailed(_("This position is outside Japan: shelters can only be "
                                 "searched from a position in Japan."),
                               code="outside_japan", field="near")
    return lat, lon


def check_hazard(hazard: str | None) -> str:
    if not hazard:
        return ""
    if hazard not in HAZARDS:
        raise ValidationFailed(_("Unknown hazard."), code="unknown_hazard", field="hazard")
    return hazard


@dataclass
class ShelterRow:
    """One shelter or evacuation site as the public sees it."""

    facility: Facility
    status: object  # ShelterStatus or None
    hazards: list[str]
    distance_m: float | None = None

    @property
    def is_open(self) -> bool:
        return bool(self.status and self.status.is_open)

    @property
    def crowding(self) -> str:
        return self.status.crowding if self.is_open else ""

    @property
    def is_welfare(self) -> bool:
        return "welfare_shelter" in (self.facility.accessibility or [])

    @property
    def updated_at(self):
        return self.status.updated_at if self.status else None

    @property
    def lat(self) -> float | None:
        return float(self.facility.latitude) if self.facility.latitude is not None else None

    @property
    def lon(self) -> float | None:
        return float(self.facility.longitude) if self.facility.longitude is not None else None


def _facilities():
    return (Facility.objects.filter(kind__in=SHELTER_KINDS)
            .select_related("branch_office", "town", "shelter_status")
            .order_by("name_kana", "name", "kind"))


def _hazards_by_address(facilities) -> dict[str, list[str]]:
    # The GSI data gives hazards only for emergency evacuation sites; a designated shelter
    # at the same address (指定緊急避難場所との住所同一) is that site's building, so it serves the
    # same hazards.
    by_address: dict[str, set[str]] = {}
    for facility in facilities:
        if facility.kind == Facility.Kind.EVACUATION_SITE:
            by_address.setdefault(facility.address, set()).update(facility.hazards or [])
    return {address: sorted(hazards) for address, hazards in by_address.items()}


def status_of(facility):
    try:
        return facility.shelter_status
    except Facility.shelter_status.RelatedObjectDoesNotExist:
        return None


def shelter_rows(*, open_only: bool = False, hazard: str = "", kind: str = "",
                 near: tuple[float, float] | None = None,
                 welfare_only: bool = False) -> list[ShelterRow]:
    """The public list: open places first (the least crowded first), then the others; by
    distance instead when `near` is given."""
    facilities = list(_facilities())
    hazards = _hazards_by_address(facilities)
    rows = []
    for facility in facilities:
        own = list(facility.hazards or [])
        served = own or hazards.get(facility.address, [])
        row = ShelterRow(facility=facility, status=status_of(facility), hazards=served)
        if open_only and not row.is_open:
            continue
        if hazard and hazard not in served:
            continue
        if kind and facility.kind != kind:
            continue
        if welfare_only and not row.is_welfare:
            continue
        if near and row.lat is not None:
            row.distance_m = haversine_m(near[0], near[1], row.lat, row.lon)
        rows.append(row)
    if near:
        rows.sort(key=lambda r: (not r.is_open, r.distance_m if r.distance_m is not None
                                 else math.inf))
    else:
        rows.sort(key=lambda r: (not r.is_open, CROWDING_ORDER.get(r.crowding, 4)))
    return rows


def shelter_row(facility: Facility) -> ShelterRow:
    siblings = Facility.objects.filter(kind=Facility.Kind.EVACUATION_SITE,
                                       address=facility.address)
    hazards = facility.hazards or sorted({h for site in siblings for h in (site.hazards or [])})
    facility = _facilities().get(pk=facility.pk)
    return ShelterRow(facility=facility, status=status_of(facility), hazards=hazards)


@dataclass
class AddressPoint:
    """Where a typed address lies, as well as the data allows: the centre of the GSI places
    in the same 丁目 (else the same town) stands in for the address itself."""

    query: str
    town: object  # core Town
    lat: float
    lon: float
    approximate_to: str  # the label of the area whose centre is used


def resolve_address(text: str) -> AddressPoint | None:
    """The point to measure from for a typed Minato address or town name; None when the
    address is not in Minato (or names no town of it)."""
    query = unicodedata.normalize("NFKC", str(text or "")).strip()[:200]
    if not query:
        return None
    # "東京都" and "港区" may be typed or left out; a town of another ward is not in Minato.
    bare = query.removeprefix("東京都")
    if "区" in bare[:4] and not bare.startswith("港区"):
        return None
    bare = bare.removeprefix("港区")
    town = find_town_in_address(bare)
    if town is None:
        # A town typed without its 丁目 ("元麻布"): the whole town.
        names = sorted({t.name for t in Town.objects.all() if bare.startswith(t.name)},
                       key=len, reverse=True)
        town = Town.objects.filter(name=names[0]).first() if names else None
        if town is None:
            return None
        town_label = town.name
    else:
        town_label = town.label
    places = Facility.objects.filter(kind__in=SHELTER_KINDS, latitude__isnull=False)
    same = list(places.filter(town=town)) if town_label == town.label else []
    label = town_label
    if not same:
        same = list(places.filter(town__name=town.name))
        label = town.name
    if not same:
        same = list(places.filter(branch_office=town.branch_office))
        label = town.branch_office.name
    if not same:
        return None
    lat = sum(float(f.latitude) for f in same) / len(same)
    lon = sum(float(f.longitude) for f in same) / len(same)
    return AddressPoint(query=query, town=town, lat=lat, lon=lon, approximate_to=label)
