"""Reading Open311 GeoReport v2 arguments (取組13): the filters of `GET requests` and the form
of `POST requests`. Anything malformed becomes an `Open311Error` with the status the
specification gives it (400, or 404 for an unknown jurisdiction), never a server error.

"Optional" arguments are treated as absent when empty, as the specification says.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from ..models import Report

# The specification: a date range "may not span more than 90 days"; without one, the last
# 90 days.
MAX_SPAN = datetime.timedelta(days=90)
# At most this many requests in one answer (the specification's "first 1000").
MAX_RESULTS = 1000
MAX_IDS = 200
# FixMyStreet sends this as address_id with a pin's lat/long: "no address id known".
NOT_PINPOINTED = "#NOTPINPOINTED#"
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,60})\](\[\])?$")


class Open311Error(Exception):
    """An answer in the specification's error format: HTTP `status`, and `code` (the same
    number unless something more specific fits) with a translated description."""

    def __init__(self, status: int, description, *, code: int | None = None,
                 retry_after: int = 0):
        self.status = status
        self.code = code or status
        self.description = description
        self.retry_after = retry_after
        super().__init__(str(description))


def jurisdiction_id() -> str:
    return getattr(settings, "OPEN311_JURISDICTION_ID", "city.minato.tokyo.jp")


def check_jurisdiction(value: str | None) -> None:
    """Ours, or empty/absent (one jurisdiction per endpoint); any other one is unknown."""
    value = (value or "").strip()
    if value and value != jurisdiction_id():
        raise Open311Error(404, _("Unknown jurisdiction_id: this endpoint serves %(ours)s.")
                           % {"ours": jurisdiction_id()})


def _optional(query, name: str) -> str:
    return (query.get(name) or "").strip()


def _comma_list(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def parse_w3c_datetime(value: str, *, name: str, end: bool = False) -> datetime.datetime:
    """A W3C-DTF datetime with its zone (`2026-01-01T09:00:00+09:00`, `...Z`), or a date alone
    (`2026-01-01`, read in the city's time zone: from the start of that day, or for an end
    date, up to its end). A `+` sent unencoded in a query string arrives as a space; it is
    put back."""
    text = value.strip()
    if re.fullmatch(r"[\d\-T:.]+ \d{2}:?\d{2}", text):
        text = text.replace(" ", "+")
    bad = Open311Error(400, _("%(name)s is not a W3C date and time with a time zone, e.g. "
                              "2026-01-01T09:00:00+09:00.") % {"name": name})
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment, day = None, parse_date(text)
        else:
            moment, day = parse_datetime(text), None
    except ValueError:
        raise bad from None
    if moment is not None:
        if timezone.is_naive(moment):
            raise bad
        return moment
    if day is None:
        raise bad
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start + datetime.timedelta(days=1) if end else start


@dataclass
class RequestFilters:
    ids: list[str] | None = None
    service_codes: list[str] = field(default_factory=list)
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    statuses: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = MAX_RESULTS


def _positive_int(query, name: str, default: int, maximum: int) -> int:
    value = _optional(query, name)
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise Open311Error(400, _("%(name)s must be a whole number from 1 to %(max)d.")
                           % {"name": name, "max": maximum})
    return int(value)


def parse_request_filters(query, *, now: datetime.datetime | None = None) -> RequestFilters:
    """The filters of `GET requests.{fmt}`: `service_request_id` (a comma list that overrides
    every other filter), `service_code` (comma list), `start_date`/`end_date` (at most 90 days
    apart; the last 90 days by default), `status` (open, closed), and the common extension
    `page`/`page_size` (Extensions.md)."""
    filters = RequestFilters(
        page=_positive_int(query, "page", 1, 100_000),
        page_size=_positive_int(query, "page_size", MAX_RESULTS, MAX_RESULTS))
    ids = _comma_list(_optional(query, "service_request_id"))
    if ids:
        if len(ids) > MAX_IDS:
            raise Open311Error(400, _("Ask for at most %(count)d service_request_id at once.")
                               % {"count": MAX_IDS})
        filters.ids = ids
        return filters
    filters.service_codes = _comma_list(_optional(query, "service_code"))
    statuses = [status.lower() for status in _comma_list(_optional(query, "status"))]
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, _("status must be open, closed or both (comma separated)."))
    filters.statuses = statuses
    start_text, end_text = _optional(query, "start_date"), _optional(query, "end_date")
    start = parse_w3c_datetime(start_text, name="start_date") if start_text else None
    end = parse_w3c_datetime(end_text, name="end_date", end=True) if end_text else None
    now = now or timezone.now()
    if start is None and end is None:
        end = now
        start = now - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date and end_date may not be more than 90 days "
                                  "apart."))
    filters.start, filters.end = start, end
    return filters


def statuses_for(open311_statuses: list[str]) -> list[str]:
    """Our statuses behind Open311's open and closed."""
    ours: list[str] = []
    if "open" in open311_statuses:
        ours += list(Report.OPEN_STATUSES)
    if "closed" in open311_statuses:
        ours += list(Report.CLOSED_STATUSES)
    return ours


@dataclass
class NewRequest:
    """The arguments of `POST requests.{fmt}`, read but not yet checked against the category
    (that is `report_create`'s work, the same as for the web form)."""

    service_code: str
    latitude: str = ""
    longitude: str = ""
    address: str = ""
    description: str = ""
    media_url: str = ""
    email: str = ""
    name: str = ""
    phone: str = ""
    attributes: dict = field(default_factory=dict)


_url_validator = URLValidator(schemes=["http", "https"])


def parse_new_request(form) -> NewRequest:
    """Read the form of a POST. `attribute[CODE]=v` gives one answer and
    `attribute[CODE][]=v` (repeated) several, for a multivaluelist."""
    service_code = _optional(form, "service_code")
    if not service_code:
        raise Open311Error(400, _("service_code is required."))
    latitude, longitude = _optional(form, "lat"), _optional(form, "long")
    address = _optional(form, "address_string")
    address_id = _optional(form, "address_id")
    if address_id and address_id != NOT_PINPOINTED and not address:
        # We keep no address register of our own: an address id is read as an address.
        address = address_id
    if not (latitude or longitude or address):
        raise Open311Error(400, _("Give the location: lat and long, address_string or "
                                  "address_id."))
    media_url = _optional(form, "media_url")
    if media_url:
        try:
            _url_validator(media_url)
        except ValidationError:
            raise Open311Error(400, _("media_url is not an http or https URL.")) from None
        if len(media_url) > 500:
            raise Open311Error(400, _("media_url is too long (at most 500 characters)."))
    collected: dict[str, list[str]] = {}
    several: set[str] = set()
    for key, values in form.lists():
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        code = match.group(1)
        collected.setdefault(code, []).extend(value for value in values if value.strip())
        if match.group(2):
            several.add(code)
    attributes: dict = {}
    for code, values in collected.items():
        if code in several or len(values) > 1:
            attributes[code] = values
        elif values:
            attributes[code] = values[0]
    # Names in the Japanese order (family name first), as the city's records keep them.
    name = " ".join(part for part in (_optional(form, "last_name"),
                                      _optional(form, "first_name")) if part)
    return NewRequest(
        service_code=service_code, latitude=latitude, longitude=longitude, address=address,
        description=form.get("description") or "", media_url=media_url,
        email=_optional(form, "email"), name=name, phone=_optional(form, "phone"),
        attributes=attributes)
