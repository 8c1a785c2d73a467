"""The content of the Open311 GeoReport v2 answers (取組13), as plain Python for `formats`.

What a report says to the public through Open311 is what the public pages say: category,
place, status, the public replies, the description only once staff have checked it
(`public_description` when `is_public`), and photos only once checked. A resident's name,
email, phone or account, the description as written, internal notes and a client's own
`media_url` (never checked by anyone) are not read here at all.
"""

import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import Report, ReportPhoto, ReportUpdate, ServiceCategory
from .parsing import MAX_RESULTS, RequestFilters, statuses_for

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's description last changed (the discovery document's changeset).
CHANGESET = "2026-11-27T00:00:00+09:00"
MIME_TYPES = ["text/xml", "application/json"]


def language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _japanese() -> bool:
    return language().startswith("ja")


def base_url() -> str:
    return settings.PORTAL_URL.rstrip("/") + "/open311/v2"


# --- discovery and services -----------------------------------------------------------------

def discovery() -> dict:
    contact = getattr(settings, "OPEN311_CONTACT", "") or _(
        "Minato City street-problem reports, through the city's contact page: %(url)s"
    ) % {"url": settings.PORTAL_URL}
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _(
            "API keys for posting reports are issued by the city's staff on request; ask "
            "through the contact above, saying which system will post and who runs it. "
            "Reading needs no key."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url(),
            "changeset": CHANGESET,
            "type": "production",
            "formats": list(MIME_TYPES),
        }],
    }


def service_notice(*, hours: int, days: int) -> str:
    """The category's service level, as the promise Open311 calls a service notice."""
    return _("We aim to acknowledge a report within %(hours)d hours and to fix the problem "
             "within %(days)d days.") % {"hours": hours, "days": days}


def _group(category: ServiceCategory) -> str:
    return category.group if _japanese() or not category.group_en else category.group_en


def services() -> list[dict]:
    lang = language()
    categories = (ServiceCategory.objects.filter(is_active=True)
                  .prefetch_related("attributes"))
    return [{
        "service_code": category.code,
        "service_name": category.name_in(lang),
        "description": category.description_in(lang),
        "metadata": bool(category.attributes.all()),
        "type": category.open311_type,
        "keywords": category.keywords,
        "group": _group(category),
    } for category in categories]


def service_definition(category: ServiceCategory) -> dict:
    english = not _japanese()
    attributes = []
    for order, attribute in enumerate(category.attributes.all(), start=1):
        item = {
            "variable": True,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description,
            "order": order,
            "description": (attribute.description_en if english and attribute.description_en
                            else attribute.description),
        }
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            item["values"] = [{
                "key": str(value.get("key", "")),
                "name": str((value.get("name_en") if english else None)
                            or value.get("name") or value.get("key", "")),
            } for value in attribute.values]
        attributes.append(item)
    return {"service_code": category.code, "attributes": attributes}


# --- service requests -----------------------------------------------------------------------

_REQUEST_COLUMNS = (
    "pk", "reference", "status", "is_public", "public_description", "latitude", "longitude",
    "address", "created_at", "updated_at", "expected_at", "category__code", "category__name",
    "category__name_en", "category__acknowledge_within_hours", "category__fix_within_days",
    "department__name", "department__name_en", "town__name", "town__name_en", "town__chome",
)


def requests_queryset():
    """Reports, newest first, as rows of the columns the public may see."""
    return Report.objects.order_by("-created_at", "-pk").values(*_REQUEST_COLUMNS)


def find_requests(filters: RequestFilters) -> list[dict]:
    rows = requests_queryset()
    if filters.ids is not None:
        rows = rows.filter(reference__in=filters.ids)
    else:
        rows = rows.filter(created_at__gte=filters.start, created_at__lte=filters.end)
        if filters.service_codes:
            rows = rows.filter(category__code__in=filters.service_codes)
        if filters.statuses:
            rows = rows.filter(status__in=statuses_for(filters.statuses))
    offset = (filters.page - 1) * filters.page_size
    limit = min(filters.page_size, MAX_RESULTS)
    return service_requests(rows[offset:offset + limit])


def service_requests(rows) -> list[dict]:
    """Reports as Open311 requests, from rows of `requests_queryset`. The latest public reply
    and the first public photo of all of them come from one query each."""
    rows = list(rows)
    ids = [row["pk"] for row in rows]
    notes: dict[int, str] = {}
    photos: dict[int, int] = {}
    if ids:
        # Ordered so that the one wanted for each report comes last.
        notes = dict(ReportUpdate.objects.filter(report_id__in=ids).exclude(public_note="")
                     .order_by("report_id", "created_at", "pk")
                     .values_list("report_id", "public_note"))
        photos = dict(ReportPhoto.objects.filter(report_id__in=ids, is_public=True)
                      .order_by("report_id", "-uploaded_at", "-pk")
                      .values_list("report_id", "pk"))
    writer = _RequestWriter()
    return [writer.document(row, status_notes=notes.get(row["pk"], ""),
                            photo_id=photos.get(row["pk"])) for row in rows]


def photo_url(reference: str, photo_id: int | None) -> str | None:
    """The address of a checked photo on the public pages (`reports:report_photo`, which
    itself refuses a photo staff have not published)."""
    if photo_id is None:
        return None
    try:
        path = reverse("reports:report_photo",
                       kwargs={"reference": reference, "photo_id": photo_id})
    except NoReverseMatch:  # the portal's pages are not mounted (an API-only deployment)
        return None
    return settings.PORTAL_URL.rstrip("/") + path


class _RequestWriter:
    """Writes rows as requests in the current language; what is the same for every row of a
    listing (language, time zone, the service notices) is worked out once."""

    def __init__(self):
        self.japanese = _japanese()
        self.zone = timezone.get_current_timezone()
        self.notices: dict[tuple[int, int], str] = {}

    def w3c(self, moment: datetime.datetime | None) -> str | None:
        """W3C-DTF in the city's time zone, with the zone: 2026-01-05T09:30:00+09:00."""
        return None if moment is None else moment.astimezone(self.zone).isoformat(
            timespec="seconds")

    def notice(self, hours: int, days: int) -> str:
        if (hours, days) not in self.notices:
            self.notices[hours, days] = service_notice(hours=hours, days=days)
        return self.notices[hours, days]

    def address(self, row: dict) -> str:
        if row["address"]:
            return row["address"]
        if not row["town__name"]:
            return ""
        # The town (丁目) the place lies in: jurisdiction_id already says which city.
        if self.japanese:
            chome = f"{row['town__chome']}丁目" if row["town__chome"] else ""
            return f"{row['town__name']}{chome}"
        chome = f" {row['town__chome']}-chome" if row["town__chome"] else ""
        return f"{row['town__name_en'] or row['town__name']}{chome}"

    def document(self, row: dict, *, status_notes: str, photo_id: int | None) -> dict:
        japanese = self.japanese
        is_open = row["status"] in Report.OPEN_STATUSES
        expected = row["expected_at"]
        if expected is None and is_open:
            # The service level is the promise until staff give a date.
            expected = row["created_at"] + datetime.timedelta(
                days=row["category__fix_within_days"])
        service_name = (row["category__name"] if japanese or not row["category__name_en"]
                        else row["category__name_en"])
        agency = (row["department__name"] if japanese or not row["department__name_en"]
                  else row["department__name_en"])
        return {
            "service_request_id": row["reference"],
            "status": "open" if is_open else "closed",
            "status_notes": status_notes,
            "service_name": service_name,
            "service_code": row["category__code"],
            "description": row["public_description"] if row["is_public"] else "",
            "agency_responsible": agency,
            "service_notice": self.notice(row["category__acknowledge_within_hours"],
                                          row["category__fix_within_days"]) if is_open else "",
            "requested_datetime": self.w3c(row["created_at"]),
            "updated_datetime": self.w3c(row["updated_at"]),
            "expected_datetime": self.w3c(expected),
            "address": self.address(row),
            "address_id": "",
            "zipcode": "",
            "lat": float(row["latitude"]) if row["latitude"] is not None else None,
            "long": float(row["longitude"]) if row["longitude"] is not None else None,
            "media_url": photo_url(row["reference"], photo_id),
        }
