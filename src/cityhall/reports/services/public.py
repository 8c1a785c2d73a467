"""Services behind the residents' report form (取組13): checking a draft before anything is
stored, keeping its photos across the "is this the same problem?" step, adding a resident's
information to a report that already exists, and the per-address limit on submissions.

Filing itself is `services.reports.report_create`; this module never writes a `Report`
another way.
"""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core import ratelimit
from cityhall.core.audit import audit_record
from cityhall.core.errors import CityhallError, ConflictError, ValidationFailed

from ..models import Report, ReportUpdate, ServiceCategory
from .reports import (
    MAX_NOTE,
    MAX_PHOTOS,
    Place,
    PreparedPhoto,
    _clean_contact,
    _clean_description,
    _follow,
    _photos_save,
    attributes_clean,
    locate,
    lock_report,
    photo_prepare,
)

logger = logging.getLogger(__name__)


# --- checking a draft -----------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """A report that passed every check of `report_create` but is not stored yet."""

    category: ServiceCategory
    description: str
    place: Place
    answers: dict
    photos: list[PreparedPhoto]
    contact_name: str
    contact_email: str
    contact_phone: str


def _prepare_all(photos, kept: list[PreparedPhoto]) -> list[PreparedPhoto]:
    uploads = [upload for upload in (photos or []) if upload]
    if len(uploads) + len(kept) > MAX_PHOTOS:
        raise ValidationFailed(_("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS},
                               code="too_many_photos", field="photos")
    return [*kept, *(photo_prepare(upload) for upload in uploads)]


def report_draft_check(*, category: ServiceCategory | None, description: str, latitude=None,
                       longitude=None, address: str = "", attributes: dict | None = None,
                       photos=(), kept_photos: list[PreparedPhoto] = (),
                       contact_name: str = "", contact_email: str = "",
                       contact_phone: str = "") -> Draft:
    """Run the checks of `report_create` without writing anything, so that possible
    duplicates can be shown before the report is filed. Photos are decoded and re-encoded
    here (EXIF dropped), once."""
    if category is None or not category.is_active:
        raise ValidationFailed(_("Choose what kind of problem it is."), code="bad_category",
                               field="category")
    text = _clean_description(description)
    place = locate(latitude=latitude, longitude=longitude, address=address)
    answers = attributes_clean(category=category, answers=attributes)
    name, email, phone = _clean_contact(name=contact_name, email=contact_email,
                                        phone=contact_phone)
    prepared = _prepare_all(photos, list(kept_photos))
    return Draft(category=category, description=text, place=place, answers=answers,
                 photos=prepared, contact_name=name, contact_email=email,
                 contact_phone=phone)


def as_uploads(photos: list[PreparedPhoto]) -> list[SimpleUploadedFile]:
    """Prepared photos as files for `report_create` (which prepares them again: decoding a
    clean JPEG of at most 2048 px costs little and keeps one door for every photo)."""
    return [SimpleUploadedFile(f"photo-{number}.jpg", photo.content, content_type="image/jpeg")
            for number, photo in enumerate(photos, start=1)]


# --- photos kept across the confirmation step ----------------------------------------------
#
# A browser does not send a file input again when a page is re-posted, and the duplicate
# check must work without JavaScript. So the photos, once re-encoded (EXIF and anything else
# dropped), are kept for an hour in the private "attachments" storage (outside MEDIA_ROOT,
# never served by the web server; S3-compatible storage past one machine, so every web node
# sees them). The page carries a signed token naming them; nobody can name another person's
# files, and a token older than an hour is refused. The files are deleted when the report is
# filed or the information added; `pending_photos_purge` (a periodic task) deletes the ones
# a resident abandoned. The cache was not chosen: without Redis each web process has its own.

PENDING_DIR = "reports-pending"
PENDING_SALT = "cityhall.reports.pending-photos"
PENDING_MAX_AGE_SECONDS = 3600


def _pending_storage():
    return storages["attachments"]


def pending_photos_keep(photos: list[PreparedPhoto]) -> str:
    """Store prepared photos for an hour; returns the signed token naming them ('' for none)."""
    if not photos:
        return ""
    storage = _pending_storage()
    entries = []
    for photo in photos:
        name = storage.save(f"{PENDING_DIR}/{secrets.token_hex(16)}.jpg",
                            ContentFile(photo.content))
        entries.append({"n": name, "w": photo.width, "h": photo.height, "s": photo.sha256})
    return signing.dumps(entries, salt=PENDING_SALT, compress=True)


def _pending_entries(token: str) -> list[dict]:
    if not token:
        return []
    expired = ValidationFailed(
        _("Your photos were kept for an hour only. Please attach them again."),
        code="photos_expired", field="photos")
    try:
        entries = signing.loads(token, salt=PENDING_SALT, max_age=PENDING_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise expired from None
    if not isinstance(entries, list) or len(entries) > MAX_PHOTOS or not all(
            isinstance(entry, dict) and str(entry.get("n", "")).startswith(f"{PENDING_DIR}/")
            for entry in entries):
        raise expired
    return entries


def pending_photos_load(token: str) -> list[PreparedPhoto]:
    """The photos a token names, as they were prepared."""
    storage = _pending_storage()
    photos = []
    for entry in _pending_entries(token):
        try:
            with storage.open(entry["n"], "rb") as handle:
                content = handle.read()
        except OSError:
            raise ValidationFailed(
                _("Your photos were kept for an hour only. Please attach them again."),
                code="photos_expired", field="photos") from None
        if hashlib.sha256(content).hexdigest() != entry.get("s"):
            raise ValidationFailed(_("Please attach your photos again."),
                                   code="photos_expired", field="photos")
        photos.append(PreparedPhoto(content=content, width=int(entry["w"]),
                                    height=int(entry["h"]), sha256=entry["s"]))
    return photos


def pending_photos_discard(token: str) -> None:
    """Delete the files of a token (after the report was filed); never raises."""
    try:
        entries = _pending_entries(token)
    except CityhallError:
        return
    storage = _pending_storage()
    for entry in entries:
        try:
            storage.delete(entry["n"])
        except OSError:  # pragma: no cover - the purge will try again
            logger.warning("Could not delete a pending report photo")


def pending_photos_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete pending photos older than a day (abandoned forms). Returns how many."""
    storage = _pending_storage()
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=PENDING_MAX_AGE_SECONDS * 24)
    try:
        _dirs, files = storage.listdir(PENDING_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    removed = 0
    for filename in files:
        name = f"{PENDING_DIR}/{filename}"
        try:
            if storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                removed += 1
        except (OSError, NotImplementedError):
            continue
    return removed


# --- adding to a report that exists ---------------------------------------------------------

def report_add_information(*, report: Report, actor, note: str, photos=(), reporter=None,
                           contact_email: str = "", language: str = "ja",
                           now: datetime.datetime | None = None) -> ReportUpdate:
    """A resident saw the same problem: record what they add to the existing report instead
    of filing a duplicate, and make them a follower.

    The text is kept as an internal note (staff publish what should be public), the photos are
    re-encoded and wait for moderation like any other."""
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(_("The note is too long (at most %(limit)d characters).")
                               % {"limit": MAX_NOTE}, code="note_too_long",
                               field="description")
    prepared = [photo if isinstance(photo, PreparedPhoto) else None for photo in photos or []]
    kept = [photo for photo in prepared if photo is not None]
    uploads = [photo for photo in photos or [] if not isinstance(photo, PreparedPhoto)]
    prepared = _prepare_all(uploads, kept)
    if not note and not prepared:
        raise ValidationFailed(_("Write what you saw or attach a photo."), code="nothing_added",
                               field="description")
    _name, email, _phone = _clean_contact(name="", email=contact_email, phone="")
    user = reporter if getattr(reporter, "pk", None) else None
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_report(report.pk)
        if not locked.is_open:
            raise ConflictError(_("This report is already closed; please file a new one."),
                                code="report_closed")
        _photos_save(locked, prepared)
        update = ReportUpdate.objects.create(
            report=locked, kind=ReportUpdate.Kind.ADDED_BY_RESIDENT,
            status_before=locked.status, status_after=locked.status, internal_note=note,
            details={"photos": len(prepared), "signed_in": user is not None},
            actor=actor if getattr(actor, "pk", None) else None, created_at=now)
        Report.objects.filter(pk=locked.pk).update(updated_at=now)
        follower = _follow(report=locked, user=user, email=email, language=(language or "ja"))
        audit_record(actor=actor, action="reports.report.add_information", target=locked,
                     details={"photos": len(prepared), "follows": follower is not None})
    return update


# --- at most N submissions per address per hour ---------------------------------------------

class TooManySubmissions(CityhallError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many reports have been sent from your connection in the last "
                        "hour. Please try again later, or call the city office.")


def _limit() -> int:
    return int(getattr(settings, "REPORTS_RATE_LIMIT_PER_HOUR", 20))


SUBMISSIONS = "reports.submissions"


def submissions_check(*, client: str | None, now: float | None = None) -> None:
    """Refuse early (before photos are decoded) when the address used its hour's quota."""
    limit = _limit()
    if limit > 0 and ratelimit.used(SUBMISSIONS, client or "unknown", seconds=3600,
                                    now=now) >= limit:
        raise TooManySubmissions()


def submission_reserve(*, client: str | None, now: float | None = None) -> None:
    """Take one submission from the address's quota for this clock hour, atomically (shared
    by every web node when the cache is Redis). Raises when the quota is used up; give it
    back with `submission_release` when the submission is refused."""
    limit = _limit()
    if limit <= 0:
        return
    if ratelimit.hit(SUBMISSIONS, client or "unknown", seconds=3600, now=now) > limit:
        ratelimit.give_back(SUBMISSIONS, client or "unknown", seconds=3600, now=now)
        raise TooManySubmissions()


def submission_release(*, client: str | None, now: float | None = None) -> None:
    if _limit() > 0:
        ratelimit.give_back(SUBMISSIONS, client or "unknown", seconds=3600, now=now)
