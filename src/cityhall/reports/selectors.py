"""Queries behind the public pages of street-problem reports (取組13).

What the public may see of a report is decided here, once: the category, the place (the pin
and the town), the status, the public history and, only after staff moderation
(`is_public`), the description, the answers and the photos. Contact details and the reporter
never leave these functions for a public page.

`nearby_open_reports` finds possible duplicates before a resident files a new report: a
bounding box on latitude/longitude in SQL (served by the `reports_nearby_idx` index on
category, status, latitude, longitude), then the exact distance in Python.
"""

import dataclasses
import datetime
import math
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityhall.core.geo import haversine_m

from .models import Report, ReportFollower, ReportPhoto, ReportUpdate, ServiceCategory

# Metres per degree of latitude (mean); a degree of longitude is this times cos(latitude).
METRES_PER_DEGREE = 111_320.0
MAP_FEATURE_LIMIT = 1000


@dataclasses.dataclass(frozen=True)
class Nearby:
    report: Report
    distance_m: float


def _box(latitude: float, longitude: float, radius_m: float):
    # A little wider than the circle (1 %), so that rounding never drops a report on its edge.
    dlat = radius_m * 1.01 / METRES_PER_DEGREE
    dlon = radius_m * 1.01 / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    quant = Decimal("0.000001")
    return ((Decimal(latitude - dlat).quantize(quant), Decimal(latitude + dlat).quantize(quant)),
            (Decimal(longitude - dlon).quantize(quant), Decimal(longitude + dlon).quantize(quant)))


def nearby_open_reports(*, category: ServiceCategory, latitude, longitude,
                        radius_m: float = 100, limit: int = 5) -> list[Nearby]:
    """Open reports of `category` within `radius_m` metres, nearest first.

    The SQL is an equality on category, an IN on the three open statuses and a range on
    latitude (then longitude), which is the shape of `reports_nearby_idx`: the database
    reads only the index entries in the box, however many reports there are."""
    latitude, longitude = float(latitude), float(longitude)
    (lat_low, lat_high), (lon_low, lon_high) = _box(latitude, longitude, radius_m)
    rows = (Report.objects
            .filter(category=category, status__in=Report.OPEN_STATUSES,
                    latitude__gte=lat_low, latitude__lte=lat_high,
                    longitude__gte=lon_low, longitude__lte=lon_high)
            .select_related("category", "town")
            .only("reference", "status", "latitude", "longitude", "created_at", "is_public",
                  "public_description", "category", "town"))
    found = []
    for report in rows:
        distance = haversine_m(latitude, longitude, float(report.latitude),
                               float(report.longitude))
        if distance <= radius_m:
            found.append(Nearby(report=report, distance_m=distance))
    found.sort(key=lambda item: (item.distance_m, item.report.reference))
    return found[:limit]


def same_town_open_reports(*, category: ServiceCategory, town, limit: int = 5) -> list[Nearby]:
    """Open reports of `category` in one town (丁目): the duplicate check for a place given
    as a typed address only, which has no position to measure from."""
    if town is None:
        return []
    rows = (Report.objects.filter(category=category, status__in=Report.OPEN_STATUSES,
                                  town=town)
            .select_related("category", "town").order_by("-created_at")[:limit])
    return [Nearby(report=report, distance_m=math.nan) for report in rows]


# --- the public list and map ----------------------------------------------------------------

def public_reports(*, category: ServiceCategory | None = None, state: str = "",
                   branch_office=None, town=None) -> QuerySet:
    """Every report, newest first, with what its public row needs (never the contacts)."""
    queryset = (Report.objects.select_related("category", "town", "branch_office")
                .defer("description", "contact_name", "contact_email", "contact_phone",
                       "reporter", "attributes", "media_url", "open311_token"))
    if category is not None:
        queryset = queryset.filter(category=category)
    if state == "open":
        queryset = queryset.filter(status__in=Report.OPEN_STATUSES)
    elif state == "closed":
        queryset = queryset.filter(status__in=Report.CLOSED_STATUSES)
    if branch_office is not None:
        queryset = queryset.filter(branch_office=branch_office)
    if town is not None:
        queryset = queryset.filter(town=town)
    return queryset.order_by("-created_at", "-pk")


def public_map_features(queryset, *, language: str, url_for) -> dict:
    """A GeoJSON FeatureCollection of the reports in `queryset` that have a position, with
    public fields only (reference, category, status, date, link)."""
    features = []
    rows = queryset.filter(latitude__isnull=False).select_related(None).select_related(
        "category").only(
        "reference", "status", "latitude", "longitude", "created_at", "category")
    for report in rows[:MAP_FEATURE_LIMIT]:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point",
                         "coordinates": [float(report.longitude), float(report.latitude)]},
            "properties": {
                "reference": report.reference,
                "category": report.category.name_in(language),
                "status": report.status,
                "status_label": str(Report.Status(report.status).label),
                "is_open": report.is_open,
                "reported_on": timezone.localdate(report.created_at).isoformat(),
                "url": url_for(report),
            },
        })
    return {"type": "FeatureCollection", "features": features}


def public_report(reference: str) -> Report | None:
    return (Report.objects.select_related("category", "town", "branch_office", "duplicate_of")
            .filter(reference=reference).first())


def public_photos(report: Report) -> QuerySet:
    return ReportPhoto.objects.filter(report=report, is_public=True).order_by("uploaded_at",
                                                                              "pk")


def public_photo(report: Report, photo_id: int) -> ReportPhoto | None:
    return public_photos(report).filter(pk=photo_id).first()


PUBLIC_UPDATE = (~Q(public_note="") | Q(kind__in=[ReportUpdate.Kind.CREATED,
                                                  ReportUpdate.Kind.STATUS,
                                                  ReportUpdate.Kind.MERGED]))


def public_history(report: Report) -> list[dict]:
    """The updates the public sees (the same rule as `ReportUpdate.is_public`), as plain
    dicts that carry no actor and no internal note."""
    rows = (ReportUpdate.objects.filter(report=report).filter(PUBLIC_UPDATE)
            .order_by("created_at", "pk")
            .only("kind", "status_before", "status_after", "public_note", "created_at"))
    history = []
    for update in rows:
        history.append({
            "kind": update.kind,
            "kind_label": ReportUpdate.Kind(update.kind).label,
            "status_label": (Report.Status(update.status_after).label
                             if update.status_after in Report.Status.values
                             and update.status_after != update.status_before else ""),
            "public_note": update.public_note,
            "created_at": update.created_at,
        })
    return history


@dataclasses.dataclass(frozen=True)
class ServiceLevel:
    acknowledge_within_hours: int
    fix_within_days: int
    acknowledged_after_hours: float | None
    acknowledge_due_at: datetime.datetime
    acknowledge_overdue: bool
    closed_after_days: float | None
    fix_due_at: datetime.datetime
    fix_overdue: bool


def service_level(report: Report, *, now: datetime.datetime | None = None) -> ServiceLevel:
    """How the city is doing against the category's targets, for the report's page."""
    now = now or timezone.now()
    category = report.category
    ack_due = report.created_at + datetime.timedelta(hours=category.acknowledge_within_hours)
    fix_due = report.created_at + datetime.timedelta(days=category.fix_within_days)
    acked = ((report.acknowledged_at - report.created_at).total_seconds() / 3600
             if report.acknowledged_at else None)
    closed = ((report.closed_at - report.created_at).total_seconds() / 86400
              if report.closed_at else None)
    return ServiceLevel(
        acknowledge_within_hours=category.acknowledge_within_hours,
        fix_within_days=category.fix_within_days,
        acknowledged_after_hours=acked, acknowledge_due_at=ack_due,
        acknowledge_overdue=acked is None and now > ack_due,
        closed_after_days=closed, fix_due_at=fix_due,
        fix_overdue=closed is None and now > fix_due)


# --- a resident's own -----------------------------------------------------------------------

def my_reports(user) -> QuerySet:
    """The reports a signed-in resident filed, and those they follow, newest first."""
    followed = ReportFollower.objects.filter(user=user).values("report_id")
    return (Report.objects.filter(Q(reporter=user) | Q(pk__in=followed))
            .select_related("category", "town").order_by("-created_at", "-pk").distinct())


def follower_of(report: Report, user) -> ReportFollower | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return ReportFollower.objects.filter(report=report, user=user).first()


def follower_by_token(token: str) -> ReportFollower | None:
    if not token or len(token) > 40:
        return None
    return (ReportFollower.objects.select_related("report__category")
            .filter(token=token).first())
