"""Publishing a confirmed round's result and printing its letters (取組7 nursery admission).

- `round_publish`: a confirmed round becomes published (when, by whom; audited). After the
  commit a background task tells every online applicant that their result is ready.
- `result_notices_send` (run by that task): one notice per online application through
  `core.notify.notify_user`, in the resident's language, saying only that the result can be
  read after signing in (no result in the notice). A `ResultNotice` row with the notice's
  key is written before the notice goes out and marked sent after, under a row lock: a task
  that runs again (a retry, a worker restarted half-way) sends only what was not sent.
- `letter_batch_request` / `letter_batch_build`: the letters of a whole round as one PDF,
  printed by a background task in parts of `PART_SIZE` households. Each finished part is kept
  in private storage and counted (`done` of `total`, shown on the round page), so a task
  that stops goes on from the last finished part; the parts are joined at the end.
- `letter_batch_open`: a staff download of the round's letters (permission, audited).
"""

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..models import SELECTED_STATUSES, AdmissionRound, Application, LetterBatch, ResultNotice
from .instance import RUN_PERMISSION

logger = logging.getLogger(__name__)

LETTER_STATES = (AdmissionRound.State.CONFIRMED, AdmissionRound.State.PUBLISHED)
NOTICE_TOPIC = "childcare.admission_result"
PART_SIZE = 100  # households per printed part


def notice_key(application_id: int) -> str:
    return f"childcare.result:{application_id}"


# --- publishing -------------------------------------------------------------------------------

def round_publish(*, round: AdmissionRound, actor) -> AdmissionRound:
    """Make a confirmed round's result public: its letters can be read by the applicants,
    and the online applicants are told (after the commit, by a background task)."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    from ..tasks import result_notices_send_task

    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round.pk)
        if locked.state != AdmissionRound.State.CONFIRMED:
            raise ValidationFailed(_("Only a confirmed round can be published."),
                                   code="bad_state")
        locked.state = AdmissionRound.State.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.save(update_fields=["state", "published_at", "published_by", "updated_at"])
        online = Application.objects.filter(round=locked, resident__isnull=False,
                                            household__online_status__in=SELECTED_STATUSES).count()
        audit_record(actor=actor, action="childcare.round.publish", target=locked,
                     details={"online_applications": online})
        enqueue_on_commit(result_notices_send_task, round_id=locked.pk)
    return locked


class NoticesIncomplete(Exception):
    """Some notices could not be handed over: the task is tried again for those only."""


def result_notices_send(*, round_id: int) -> int:
    """Tell each online applicant of a published round that their result is ready; returns
    how many were told now (0 when everyone was told before)."""
    round_ = AdmissionRound.objects.filter(pk=round_id).first()
    if round_ is None:
        raise NotFoundError()
    if round_.state != AdmissionRound.State.PUBLISHED:
        return 0
    pending = list(Application.objects.filter(round=round_, resident__isnull=False,
                                          household__online_status__in=SELECTED_STATUSES)
                   .exclude(result_notice__sent_at__isnull=False)
                   .order_by("pk").values_list("pk", flat=True))
    told = failed = 0
    for application_id in pending:
        try:
            told += result_notice_send(application_id=application_id)
        except Exception:  # one bad address must not keep the others from being told
            logger.exception("Could not send the result notice of application %s",
                             application_id)
            failed += 1
    if failed:
        raise NoticesIncomplete(f"{failed} result notice(s) not sent")
    return told


def result_notice_send(*, application_id: int) -> bool:
    """Send one application's notice unless it was sent before; True when sent now."""
    key = notice_key(application_id)
    with transaction.atomic():
        ResultNotice.objects.get_or_create(application_id=application_id,
                                           defaults={"key": key})
        notice = ResultNotice.objects.select_for_update().get(application_id=application_id)
        if notice.sent_at is not None:
            return False
        application = Application.objects.select_related("resident__user", "round").get(
            pk=application_id)
        resident = application.resident
        if resident is None:  # the resident's account was closed meanwhile
            return False
        with translation.override(resident.preferred_language or "ja"):
            subject = _("Nursery admission: your result is ready")
            body = _("The result of your nursery application (application number "
                     "%(number)s, %(round)s) is ready. Please sign in to the city's portal to "
                     "read your result letter.") % {"number": application.number,
                                                    "round": application.round.name}
        url = settings.PORTAL_URL + reverse("childcare:my_application_letter",
                                            args=[application.pk])
        from cityhall.core.notify import notify_user

        notify_user(user=resident.user, topic=NOTICE_TOPIC, key=key, subject=subject,
                    body=body, url=url)
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
        audit_record(actor=None, action="childcare.result.notify", target=application,
                     details={"round": application.round_id})
    return True


# --- letters of a whole round -----------------------------------------------------------------

def letter_batch_request(*, round: AdmissionRound, actor) -> LetterBatch:
    """Start printing the letters of every household of a confirmed round (a background
    task); a batch that is still printing is returned instead of starting another."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    from ..tasks import letter_batch_build_task

    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round.pk)
        if locked.state not in LETTER_STATES:
            raise ValidationFailed(_("Letters can be printed once the round is confirmed."),
                                   code="bad_state")
        running = (LetterBatch.objects.filter(round=locked).exclude(
            state__in=(LetterBatch.State.DONE, LetterBatch.State.FAILED)).first())
        if running is not None and not running.error:
            return running
        if running is not None:  # it stumbled: start again from scratch
            letter_batch_failed(batch_id=running.pk, error=running.error)
        batch = LetterBatch.objects.create(round=locked, requested_by=actor,
                                           part_size=PART_SIZE)
        audit_record(actor=actor, action="childcare.letters.request", target=locked,
                     details={"batch": batch.pk})
        enqueue_on_commit(letter_batch_build_task, batch_id=batch.pk)
    return batch


def letter_batch_build(*, batch_id: int) -> LetterBatch:
    """Print the batch's letters part by part, then join the parts (run by the task; safe to
    run again: finished parts are kept and skipped, a finished batch is left alone)."""
    from ..letters import RoundLetters

    batch = LetterBatch.objects.select_related("round").filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundError()
    if batch.finished:
        return batch
    letters = RoundLetters(batch.round)
    households = letters.household_ids()
    part_size = batch.part_size or PART_SIZE
    chunks = [households[start:start + part_size]
              for start in range(0, len(households), part_size)]
    parts = list(batch.parts)
    LetterBatch.objects.filter(pk=batch.pk).update(
        state=LetterBatch.State.RUNNING, total=len(households), error="",
        done=sum(len(chunk) for chunk in chunks[:len(parts)]))
    storage = batch.file.storage
    for index, chunk in enumerate(chunks):
        if index < len(parts):
            continue
        pdf = letters.pdf(letters.letters(chunk))
        parts.append(storage.save(f"childcare/letters/parts/{batch.pk}-{index:05d}.pdf",
                                  ContentFile(pdf)))
        LetterBatch.objects.filter(pk=batch.pk).update(parts=parts,
                                                       done=F("done") + len(chunk))
    joined = _join(storage, parts)
    batch.refresh_from_db()
    batch.file.save(f"round-{batch.round_id}-{batch.pk}.pdf", ContentFile(joined), save=False)
    batch.state, batch.size, batch.finished_at = (LetterBatch.State.DONE, len(joined),
                                                  timezone.now())
    batch.parts = []
    batch.save(update_fields=["file", "state", "size", "finished_at", "parts"])
    for name in parts:
        storage.delete(name)
    return batch


def _join(storage, names: list[str]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for name in names:
        with storage.open(name, "rb") as part:
            writer.append(io.BytesIO(part.read()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def letter_batch_failed(*, batch_id: int, error: str) -> None:
    """Mark a batch failed for good (the task gave up) and remove its parts; staff can
    start another."""
    batch = LetterBatch.objects.filter(pk=batch_id).exclude(
        state=LetterBatch.State.DONE).first()
    if batch is None:
        return
    for name in batch.parts:
        batch.file.storage.delete(name)
    batch.state, batch.error, batch.finished_at = (LetterBatch.State.FAILED, error[:2000],
                                                   timezone.now())
    batch.parts = []
    batch.save(update_fields=["state", "error", "finished_at", "parts"])


def letter_batch_open(*, batch_id, round: AdmissionRound, actor) -> LetterBatch:
    """The finished batch for a staff download, with the download in the audit log."""
    if not can(actor, RUN_PERMISSION):
        raise PermissionDeniedError()
    try:
        batch = LetterBatch.objects.get(pk=int(batch_id), round=round,
                                        state=LetterBatch.State.DONE)
    except (LetterBatch.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None
    with transaction.atomic():
        audit_record(actor=actor, action="childcare.letters.download", target=round,
                     details={"batch": batch.pk, "households": batch.total})
    return batch
