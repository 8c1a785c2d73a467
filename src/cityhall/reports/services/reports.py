"""Filing a street-problem report and moving it through its life (取組13).

Reports from the web portal, from staff taking a call and from Open311 clients all come in
through `report_create`, so they are checked the same way: a category that is open, a place
inside the municipality, a description, the category's required questions, at most three
photos that really are images. Each status change goes through `report_transition`. Both
write the report's history (`ReportUpdate`) and the audit event in one transaction, and tell
the followers after commit.
"""

import datetime
import hashlib
import io
import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import ConflictError, ValidationFailed
from cityhall.core.geo import in_japan
from cityhall.core.models import BranchOffice, Department, Facility, Town
from cityhall.core.selectors import find_town_in_address, municipality_contains
from cityhall.core.services import sequence_next

from ..models import (
    BranchRouting,
    Report,
    ReportFollower,
    ReportPhoto,
    ReportUpdate,
    ServiceAttribute,
    ServiceCategory,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

MAX_DESCRIPTION = 4000
MAX_PHOTOS = 3
# The largest photo we re-encode is kept at this many pixels on its long edge: enough to see
# a crack or read a pole number, small enough for old phones to load.
PHOTO_LONG_EDGE = 2048
# A decoded image this large is refused before decoding (a "decompression bomb").
PHOTO_MAX_PIXELS = 50_000_000
ACCEPTED_IMAGE_FORMATS = {"JPEG", "PNG", "HEIF", "WEBP", "MPO"}


# --- place ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    latitude: Decimal | None
    longitude: Decimal | None
    address: str
    town: Town | None
    town_source: str


def _coordinate(value, *, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("The %(name)s is not a number.") % {"name": name},
                               code="bad_coordinates", field=name) from None
    if not number.is_finite():
        raise ValidationFailed(_("The %(name)s is not a number.") % {"name": name},
                               code="bad_coordinates", field=name)
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def nearest_town(latitude: float, longitude: float) -> Town | None:
    """The town of the nearest known place (a facility with a town and a position).

    Without a street-level address index this is an approximation; staff correct the town
    in triage when it is wrong (`report_relocate`)."""
    from cityhall.core.geo import haversine_m

    best, best_distance = None, math.inf
    rows = (Facility.objects.filter(town__isnull=False, latitude__isnull=False,
                                    longitude__isnull=False)
            .select_related("town__branch_office").only("latitude", "longitude", "town"))
    for facility in rows:
        distance = haversine_m(latitude, longitude, float(facility.latitude),
                               float(facility.longitude))
        if distance < best_distance:
            best, best_distance = facility.town, distance
    return best


def locate(*, latitude=None, longitude=None, address: str = "") -> Place:
    """Check that a place is given and lies in the municipality, and find its town."""
    address = (address or "").strip()[:200]
    lat = _coordinate(latitude, name="latitude")
    lon = _coordinate(longitude, name="longitude")
    if (lat is None) != (lon is None):
        raise ValidationFailed(_("Give both the latitude and the longitude, or neither."),
                               code="bad_coordinates", field="latitude")
    if lat is None and not address:
        raise ValidationFailed(
            _("Say where the problem is: put a pin on the map, use your location or type "
              "the address."), code="no_place", field="address")
    town, town_source = None, Report.TownSource.NONE
    if address:
        town = find_town_in_address(address)
        if town is not None:
            town_source = Report.TownSource.ADDRESS
    if lat is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not in_japan(float(lat), float(lon)):
            raise ValidationFailed(
                _("This position is not in Japan. Check that the latitude and longitude are "
                  "not swapped."), code="outside_area", field="latitude")
        if not municipality_contains(float(lat), float(lon)):
            raise ValidationFailed(
                _("This place is outside Minato City. Please report it to the city or ward "
                  "it lies in."), code="outside_area", field="latitude")
        if town is None:
            town = nearest_town(float(lat), float(lon))
            town_source = Report.TownSource.NEAREST if town else Report.TownSource.NONE
    elif town is None:
        raise ValidationFailed(
            _("We could not find this address in Minato City. Type the town and block, e.g. "
              "芝公園4-2-8, or put a pin on the map."), code="unknown_address", field="address")
    return Place(latitude=lat, longitude=lon, address=address, town=town,
                 town_source=town_source)


def route(*, category: ServiceCategory, branch_office: BranchOffice | None) -> Department:
    """The department whose queue a report of this category at this branch office goes to."""
    if branch_office is not None:
        routing = (BranchRouting.objects.filter(category=category, branch_office=branch_office)
                   .select_related("department").first())
        if routing is not None:
            return routing.department
    return category.department


# --- photos ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    width: int
    height: int
    sha256: str


def _max_photo_bytes() -> int:
    return int(getattr(settings, "REPORTS_MAX_PHOTO_BYTES", 10 * 1024 * 1024))


def photo_prepare(upload) -> PreparedPhoto:
    """Decode an uploaded photo and encode it again as a plain JPEG.

    Whatever the file carried besides the pixels (EXIF with the phone's GPS position and
    owner, comments, a script appended after the image) is left behind. HEIC from iPhones is
    read with pillow-heif."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - HEIC is then refused like any unreadable file
        pass

    name = getattr(upload, "name", "") or "photo"
    size = getattr(upload, "size", None)
    limit = _max_photo_bytes()
    if size is not None and size > limit:
        raise ValidationFailed(
            _("The photo %(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": limit // (1024 * 1024)}, code="photo_too_large",
            field="photos")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(
            _("The photo %(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": limit // (1024 * 1024)}, code="photo_too_large",
            field="photos")
    if not data:
        raise ValidationFailed(_("The file %(name)s is empty.") % {"name": name},
                               code="photo_empty", field="photos")
    not_an_image = ValidationFailed(
        _("The file %(name)s is not a photo we can read. Send a JPEG, PNG or HEIC picture.")
        % {"name": name}, code="not_an_image", field="photos")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_IMAGE_FORMATS:
                raise not_an_image
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise ValidationFailed(
                    _("The photo %(name)s has too many pixels.") % {"name": name},
                    code="photo_too_large", field="photos")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((PHOTO_LONG_EDGE, PHOTO_LONG_EDGE))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise not_an_image from None
    content = out.getvalue()
    with Image.open(io.BytesIO(content)) as final:
        width, height = final.size
    return PreparedPhoto(content=content, width=width, height=height,
                         sha256=hashlib.sha256(content).hexdigest())


def photos_prepare(uploads) -> list[PreparedPhoto]:
    uploads = [upload for upload in (uploads or []) if upload]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(_("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS},
                               code="too_many_photos", field="photos")
    return [photo_prepare(upload) for upload in uploads]


def _photos_save(report: Report, photos: list[PreparedPhoto]) -> None:
    for number, photo in enumerate(photos, start=1):
        record = ReportPhoto(report=report, width=photo.width, height=photo.height,
                             size=len(photo.content), sha256=photo.sha256)
        record.image.save(f"{report.reference}-{photo.sha256[:12]}-{number}.jpg",
                          ContentFile(photo.content), save=False)
        record.save()


# --- answers to the category's questions ----------------------------------------------------

def attributes_clean(*, category: ServiceCategory, answers: dict | None) -> dict:
    """Check the answers against the category's questions (Open311 attributes).

    Values arrive as strings or lists of strings (a multivaluelist); unknown codes are
    dropped, required ones must be present."""
    answers = answers or {}
    cleaned: dict = {}
    for attribute in category.attributes.all():
        value = answers.get(attribute.code)
        if isinstance(value, list | tuple):
            values = [str(v).strip() for v in value if str(v).strip()]
        else:
            values = [str(value).strip()] if value not in (None, "") else []
        label = attribute.description
        if not values:
            if attribute.required:
                raise ValidationFailed(_("Please answer: %(question)s") % {"question": label},
                                       code="attribute_required", field=attribute.code)
            continue
        keys = {choice.get("key") for choice in attribute.values}
        kind = ServiceAttribute.Datatype
        if attribute.datatype == kind.MULTI:
            if any(v not in keys for v in values):
                raise ValidationFailed(_("Choose from the list: %(question)s")
                                       % {"question": label}, code="attribute_invalid",
                                       field=attribute.code)
            cleaned[attribute.code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            raise ValidationFailed(_("Give one answer only: %(question)s")
                                   % {"question": label}, code="attribute_invalid",
                                   field=attribute.code)
        value = values[0]
        if attribute.datatype == kind.SINGLE and value not in keys:
            raise ValidationFailed(_("Choose from the list: %(question)s")
                                   % {"question": label}, code="attribute_invalid",
                                   field=attribute.code)
        if attribute.datatype == kind.NUMBER:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise ValidationFailed(_("Give a number: %(question)s") % {"question": label},
                                       code="attribute_invalid", field=attribute.code)
        if attribute.datatype == kind.DATETIME and parse_datetime(value) is None:
            raise ValidationFailed(_("Give a date and time: %(question)s")
                                   % {"question": label}, code="attribute_invalid",
                                   field=attribute.code)
        max_length = 2000 if attribute.datatype == kind.TEXT else 200
        cleaned[attribute.code] = value[:max_length]
    return cleaned


# --- filing a report ------------------------------------------------------------------------

def _clean_description(description: str) -> str:
    text = (description or "").replace("\x00", "").strip()
    if not text:
        raise ValidationFailed(_("Describe the problem."), code="no_description",
                               field="description")
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            _("The description is too long (at most %(limit)d characters).")
            % {"limit": MAX_DESCRIPTION}, code="description_too_long", field="description")
    return text


def _clean_contact(*, name: str, email: str, phone: str) -> tuple[str, str, str]:
    name, email, phone = (name or "").strip(), (email or "").strip(), (phone or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(_("Enter a valid email address."), code="bad_email",
                                   field="email") from None
    if len(name) > 100:
        raise ValidationFailed(_("The name is too long."), code="bad_name", field="name")
    digits = phone.replace("-", "").replace(" ", "").removeprefix("+")
    if phone and (not digits.isdigit() or not 9 <= len(digits) <= 15):
        raise ValidationFailed(_("Enter a phone number with digits only, e.g. 03-3578-2111."),
                               code="bad_phone", field="phone")
    return name, email[:254], phone


def report_create(*, category: ServiceCategory, description: str, actor,
                  latitude=None, longitude=None, address: str = "",
                  attributes: dict | None = None, photos=(), reporter=None,
                  contact_name: str = "", contact_email: str = "", contact_phone: str = "",
                  language: str = "ja", source: str = Report.Source.WEB,
                  open311_client=None, media_url: str = "", follow: bool = True,
                  is_demo: bool = False, now: datetime.datetime | None = None) -> Report:
    """File a report. Everything is checked before anything is written; photos are decoded
    and re-encoded before the transaction opens (it is the slow part)."""
    if category is None or not category.is_active:
        raise ValidationFailed(_("Choose what kind of problem it is."), code="bad_category",
                               field="category")
    text = _clean_description(description)
    place = locate(latitude=latitude, longitude=longitude, address=address)
    answers = attributes_clean(category=category, answers=attributes)
    name, email, phone = _clean_contact(name=contact_name, email=contact_email,
                                        phone=contact_phone)
    prepared = photos_prepare(photos)
    now = now or timezone.now()
    branch_office = place.town.branch_office if place.town else None
    with transaction.atomic():
        number = sequence_next(sequence="reports", year=timezone.localdate(now).year)
        report = Report.objects.create(
            reference=f"{timezone.localdate(now).year}-{number:06d}", category=category,
            description=text, attributes=answers, latitude=place.latitude,
            longitude=place.longitude, address=place.address, town=place.town,
            town_source=place.town_source, branch_office=branch_office,
            department=route(category=category, branch_office=branch_office),
            reporter=reporter if getattr(reporter, "pk", None) else None,
            contact_name=name, contact_email=email, contact_phone=phone,
            language=(language or "ja")[:10], source=source, open311_client=open311_client,
            media_url=(media_url or "")[:500], created_at=now, updated_at=now,
            is_demo=is_demo)
        _photos_save(report, prepared)
        ReportUpdate.objects.create(report=report, kind=ReportUpdate.Kind.CREATED,
                                    status_after=report.status, actor=actor if getattr(
                                        actor, "pk", None) else None,
                                    created_at=now, notified_at=now)
        if follow:
            _follow(report=report, user=report.reporter, email=email, language=report.language)
        audit_record(actor=actor, action="reports.report.create", target=report,
                     details={"category": category.code, "source": source,
                              "photos": len(prepared),
                              "branch_office": branch_office.code if branch_office else ""})
    return report


def _follow(*, report: Report, user=None, email: str = "", language: str = "ja"):
    if user is not None and getattr(user, "pk", None):
        follower, _created = ReportFollower.objects.get_or_create(
            report=report, user=user, defaults={"language": language})
        return follower
    if email:
        follower, _created = ReportFollower.objects.get_or_create(
            report=report, email=email.lower(), user=None, defaults={"language": language})
        return follower
    return None


# --- status ---------------------------------------------------------------------------------

# Where a report may go from each status by `report_transition`. DUPLICATE is reached only by
# merging (`triage.report_merge`), which records what it duplicates.
TRANSITIONS = {
    Report.Status.NEW: {Report.Status.ACKNOWLEDGED, Report.Status.IN_PROGRESS,
                        Report.Status.FIXED, Report.Status.NOT_RESPONSIBLE},
    Report.Status.ACKNOWLEDGED: {Report.Status.IN_PROGRESS, Report.Status.FIXED,
                                 Report.Status.NOT_RESPONSIBLE},
    Report.Status.IN_PROGRESS: {Report.Status.ACKNOWLEDGED, Report.Status.FIXED,
                                Report.Status.NOT_RESPONSIBLE},
    # Reopening: the fix did not hold, or it was the city's after all.
    Report.Status.FIXED: {Report.Status.ACKNOWLEDGED, Report.Status.IN_PROGRESS},
    Report.Status.NOT_RESPONSIBLE: {Report.Status.ACKNOWLEDGED, Report.Status.IN_PROGRESS},
    Report.Status.DUPLICATE: set(),
}

MAX_NOTE = 2000


def _clean_note(note: str, *, field: str) -> str:
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(_("The note is too long (at most %(limit)d characters).")
                               % {"limit": MAX_NOTE}, code="note_too_long", field=field)
    return note


def lock_report(report_id: int) -> Report:
    """The report, locked for the rest of the transaction (two staff members acting on one
    report at once are serialised by the database, not by luck)."""
    return Report.objects.select_for_update().get(pk=report_id)


def report_transition(*, report: Report, status: str, actor, public_note: str = "",
                      internal_note: str = "", expected_at: datetime.datetime | None = None,
                      now: datetime.datetime | None = None) -> ReportUpdate:
    """Change a report's status (or, with the same status, add a reply or a note)."""
    public_note = _clean_note(public_note, field="public_note")
    internal_note = _clean_note(internal_note, field="internal_note")
    if status not in Report.Status.values:
        raise ValidationFailed(_("Choose a status."), code="bad_status", field="status")
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_report(report.pk)
        before = locked.status
        if status == before:
            if not (public_note or internal_note or expected_at):
                raise ValidationFailed(_("Nothing to record: change the status or write a "
                                         "note."), code="nothing_changed", field="status")
            if before == Report.Status.DUPLICATE and public_note:
                raise ConflictError(_("This report is a duplicate; reply on the report it "
                                      "duplicates."), code="is_duplicate")
        elif status not in TRANSITIONS[before]:
            raise ConflictError(
                _("A report that is “%(before)s” cannot become “%(after)s”.")
                % {"before": Report.Status(before).label, "after": Report.Status(status).label},
                code="bad_transition")
        changes = {"status": status, "updated_at": now}
        if status != Report.Status.NEW and locked.acknowledged_at is None:
            changes["acknowledged_at"] = now
        if status in Report.CLOSED_STATUSES and before not in Report.CLOSED_STATUSES:
            changes["closed_at"] = now
        if status in Report.OPEN_STATUSES:
            changes["closed_at"] = None
        if expected_at is not None:
            changes["expected_at"] = expected_at
        Report.objects.filter(pk=locked.pk).update(**changes)
        kind = ReportUpdate.Kind.STATUS if status != before else ReportUpdate.Kind.NOTE
        update = ReportUpdate.objects.create(
            report=locked, kind=kind, status_before=before, status_after=status,
            public_note=public_note, internal_note=internal_note, actor=actor,
            created_at=now)
        audit_record(actor=actor, action="reports.report.status", target=locked,
                     details={"before": before, "after": status,
                              "public_note": bool(public_note)})
        followers_tell_on_commit(update)
    report.refresh_from_db()
    return update


def followers_tell_on_commit(update: ReportUpdate) -> None:
    """Tell the report's followers after commit, when the update is one the public sees."""
    if update.is_public and update.notified_at is None:
        from ..tasks import tell_followers

        enqueue_on_commit(tell_followers, update.pk)


# --- reference data -------------------------------------------------------------------------

def categories_load_reference() -> int:
    """Create or update the categories shipped in `data/categories.json` (idempotent; a
    category staff changed keeps its department and service levels)."""
    data = json.loads((DATA_DIR / "categories.json").read_text(encoding="utf-8"))
    departments = {d.code: d for d in Department.objects.all()}
    offices = {o.code: o for o in BranchOffice.objects.all()}
    created_count = 0
    with transaction.atomic():
        for order, row in enumerate(data["categories"], start=1):
            department = departments.get(row["department"])
            if department is None:
                continue
            texts = {key: row[key] for key in ("name", "name_en", "description",
                                               "description_en", "group", "group_en",
                                               "keywords")}
            category, created = ServiceCategory.objects.get_or_create(
                code=row["code"], defaults={
                    **texts, "department": department, "open311_type": row["open311_type"],
                    "acknowledge_within_hours": row["acknowledge_within_hours"],
                    "fix_within_days": row["fix_within_days"], "sort_order": order * 10})
            if not created:
                ServiceCategory.objects.filter(pk=category.pk).update(**texts)
                continue
            created_count += 1
            for office_code, department_code in row["branch_routings"].items():
                if office_code in offices and department_code in departments:
                    BranchRouting.objects.get_or_create(
                        category=category, branch_office=offices[office_code],
                        defaults={"department": departments[department_code]})
            for attribute in row["attributes"]:
                ServiceAttribute.objects.get_or_create(
                    category=category, code=attribute["code"], defaults={
                        "datatype": attribute["datatype"], "required": attribute["required"],
                        "description": attribute["description"],
                        "description_en": attribute.get("description_en", ""),
                        "datatype_description": attribute.get("datatype_description", ""),
                        "values": attribute.get("values", []),
                        "order": attribute.get("order", 0)})
    return created_count
