"""Every write of the FAQ app (取組6, 8, 19): entries with their revision history, publishing,
the synonym dictionary, question logs and feedback, and the learning loop's two actions
(a new draft entry from a group of questions, or a new phrasing of an existing entry).

Each service runs in one transaction, writes its audit event there, and bumps the search
index's version when what the bot answers from has changed.
"""

import datetime
import re

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department
from cityhall.core.permissions import can
from cityhall.core.privacy import mask_for_log

from .markup import clean_html
from .models import Category, Entry, EntryRevision, IndexVersion, QuestionLog, SynonymGroup

ENTRY_FIELDS = ["key", "category", "department", "contact", "status", "question_ja",
                "question_en", "answer_ja", "answer_en", "phrasings_ja", "phrasings_en",
                "related", "review_date", "is_demo"]
MAX_PHRASINGS = 50
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
RESERVED_KEYS = {"staff", "feedback", "categories"}  # addresses of the FAQ pages


def index_version_bump() -> None:
    """Tell every process that the index is stale (inside the caller's transaction)."""
    IndexVersion.objects.get_or_create(pk=1)
    IndexVersion.objects.filter(pk=1).update(version=F("version") + 1)


# --- who may edit what --------------------------------------------------------------------

def staff_department_id(user):
    profile = getattr(user, "staff_profile", None)
    return profile.department_id if profile else None


def can_edit_department(user, department_id) -> bool:
    """FAQ editors edit every entry; department editors edit their own department's."""
    if not can(user, "faq.change_entry"):
        return False
    if can(user, "faq.edit_all_departments"):
        return True
    return department_id is not None and department_id == staff_department_id(user)


def _check_edit(actor, department_id) -> None:
    if actor is not None and not can_edit_department(actor, department_id):
        raise PermissionDeniedError(_("You may edit only your own department's entries."))


# --- entries ------------------------------------------------------------------------------

def _phrasings(value) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[\n|]", value)
    seen, out = set(), []
    for item in value or []:
        text = " ".join(str(item).split())[:300]
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return out[:MAX_PHRASINGS]


def _links(value) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[\n|\s]+", value)
    out = []
    for item in value or []:
        link = str(item).strip()
        if not link:
            continue
        if not (link.startswith("/") and not link.startswith("//")) and \
                not link.startswith(("https://", "http://")):
            raise ValidationFailed(_("A related page must be an address starting with / or "
                                     "https://."), field="related")
        out.append(link[:300])
    return out[:20]


def entry_clean(data: dict) -> dict:
    """Validate and normalise the fields of an entry; raises ValidationFailed naming the
    field."""
    cleaned = {}
    key = str(data.get("key") or "").strip().lower()
    if not KEY_PATTERN.match(key) or key in RESERVED_KEYS:
        raise ValidationFailed(_("The key is made of lower-case letters, digits and hyphens "
                                 "(at most 80)."), field="key")
    cleaned["key"] = key
    category = data.get("category")
    if not isinstance(category, Category):
        category = Category.objects.filter(code=str(category or "").strip()).first()
        if category is None:
            raise ValidationFailed(_("Unknown category."), field="category")
    cleaned["category"] = category
    department = data.get("department")
    if department and not isinstance(department, Department):
        department = Department.objects.filter(code=str(department).strip()).first()
        if department is None:
            raise ValidationFailed(_("Unknown department."), field="department")
    cleaned["department"] = department or None
    status = str(data.get("status") or Entry.Status.DRAFT)
    if status not in Entry.Status.values:
        raise ValidationFailed(_("The status is draft or published."), field="status")
    cleaned["status"] = status
    for name, limit in (("question_ja", 300), ("question_en", 300), ("contact", 300)):
        cleaned[name] = " ".join(str(data.get(name) or "").split())
        if len(cleaned[name]) > limit:
            raise ValidationFailed(_("This text is too long."), field=name)
    if not cleaned["question_ja"]:
        raise ValidationFailed(_("Please write the question in Japanese."), field="question_ja")
    for name in ("answer_ja", "answer_en"):
        cleaned[name] = clean_html(str(data.get(name) or ""))
        if len(cleaned[name]) > 20000:
            raise ValidationFailed(_("This text is too long."), field=name)
    if not cleaned["answer_ja"]:
        raise ValidationFailed(_("Please write the answer in Japanese."), field="answer_ja")
    if bool(cleaned["question_en"]) != bool(cleaned["answer_en"]):
        field = "answer_en" if cleaned["question_en"] else "question_en"
        raise ValidationFailed(_("Write both the English question and its answer, or neither."),
                               field=field)
    cleaned["phrasings_ja"] = _phrasings(data.get("phrasings_ja"))
    cleaned["phrasings_en"] = _phrasings(data.get("phrasings_en"))
    cleaned["related"] = _links(data.get("related"))
    review = data.get("review_date")
    if isinstance(review, str):
        try:
            review = datetime.date.fromisoformat(review.strip()) if review.strip() else None
        except ValueError:
            raise ValidationFailed(_("The review date is written as YYYY-MM-DD."),
                                   field="review_date") from None
    cleaned["review_date"] = review or None
    cleaned["is_demo"] = bool(data.get("is_demo"))
    return cleaned


def _snapshot(entry: Entry) -> dict:
    return {
        "key": entry.key, "category": entry.category.code,
        "department": entry.department.code if entry.department else "",
        "contact": entry.contact, "status": entry.status,
        "question_ja": entry.question_ja, "question_en": entry.question_en,
        "answer_ja": entry.answer_ja, "answer_en": entry.answer_en,
        "phrasings_ja": entry.phrasings_ja, "phrasings_en": entry.phrasings_en,
        "related": entry.related,
        "review_date": entry.review_date.isoformat() if entry.review_date else "",
        "is_demo": entry.is_demo,
    }


def _write_revision(entry: Entry, *, action: str, changed: list[str], actor) -> None:
    entry.revision = (entry.revision or 0) + 1
    Entry.objects.filter(pk=entry.pk).update(revision=entry.revision)
    EntryRevision.objects.create(
        entry=entry, number=entry.revision, action=action, actor=actor,
        actor_label=actor.email if actor is not None else "system", changed_fields=changed,
        snapshot=_snapshot(entry))


def entry_save(*, data: dict, actor, entry: Entry | None = None,
               expected_revision: int | None = None, action: str = "") -> Entry:
    """Create (entry=None) or change an entry, keeping its history. Publishing needs
    faq.publish_entry; a stale `expected_revision` (someone saved in between) is refused."""
    from cityhall.core.errors import ConflictError

    cleaned = entry_clean(data)
    with transaction.atomic():
        if entry is not None:
            entry = Entry.objects.select_for_update(of=("self",)).select_related(
                "category", "department").get(pk=entry.pk)
            if expected_revision is not None and expected_revision != entry.revision:
                raise ConflictError()
            _check_edit(actor, entry.department_id)
        _check_edit(actor, cleaned["department"].pk if cleaned["department"] else None)
        becomes_published = cleaned["status"] == Entry.Status.PUBLISHED and (
            entry is None or entry.status != Entry.Status.PUBLISHED)
        if becomes_published and actor is not None and not can(actor, "faq.publish_entry"):
            raise PermissionDeniedError(_("You may save drafts, but not publish."))
        if entry is None:
            if Entry.objects.filter(key=cleaned["key"]).exists():
                raise ValidationFailed(_("An entry with this key exists already."), field="key")
            entry = Entry.objects.create(**cleaned)
            changed = list(ENTRY_FIELDS)
            action = action or "create"
        else:
            if cleaned["key"] != entry.key and Entry.objects.filter(key=cleaned["key"]).exists():
                raise ValidationFailed(_("An entry with this key exists already."), field="key")
            changed = [name for name in ENTRY_FIELDS if getattr(entry, name) != cleaned[name]]
            if not changed:
                return entry
            for name in changed:
                setattr(entry, name, cleaned[name])
            entry.save()
            action = action or "update"
        _write_revision(entry, action=action, changed=changed, actor=actor)
        audit_record(actor=actor, action=f"faq_entry.{action}", target=entry,
                     details={"fields": changed})
        index_version_bump()
    return entry


def entry_set_status(*, entry: Entry, status: str, actor) -> Entry:
    if actor is not None and not can(actor, "faq.publish_entry"):
        raise PermissionDeniedError()
    data = _snapshot(entry)
    data["status"] = status
    action = "publish" if status == Entry.Status.PUBLISHED else "unpublish"
    return entry_save(data=data, entry=entry, actor=actor, action=action)


# --- synonyms -----------------------------------------------------------------------------

def _terms(value) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[\n,、,~〜|]", value)
    seen, out = set(), []
    for item in value or []:
        term = " ".join(str(item).split())[:60]
        if term and term.lower() not in seen:
            seen.add(term.lower())
            out.append(term)
    return out


def synonym_group_save(*, terms, note: str = "", actor, group: SynonymGroup | None = None
                       ) -> SynonymGroup:
    terms = _terms(terms)
    if len(terms) < 2:
        raise ValidationFailed(_("A synonym group needs at least two words."), field="terms")
    if len(terms) > 30:
        raise ValidationFailed(_("A synonym group has at most 30 words."), field="terms")
    with transaction.atomic():
        if group is None:
            group = SynonymGroup.objects.create(terms=terms, note=note[:200])
            action = "synonyms.create"
        else:
            group.terms, group.note = terms, note[:200]
            group.save()
            action = "synonyms.update"
        audit_record(actor=actor, action=action, target=group)
        index_version_bump()
    return group


def synonym_group_delete(*, group: SynonymGroup, actor) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="synonyms.delete", target=group)
        group.delete()
        index_version_bump()


# --- questions, feedback and the learning loop --------------------------------------------

def question_log_record(*, text: str, language: str, channel: str, top_entry_id, score: float,
                        answered: bool) -> QuestionLog:
    """Keep a question, masked (no audit event: residents' questions are not staff actions
    and hold nothing personal once masked)."""
    return QuestionLog.objects.create(
        text=mask_for_log(text), language=language[:10], channel=channel,
        top_entry_id=top_entry_id, score=score, answered=answered)


def question_feedback(*, log_id: int, helpful: bool) -> QuestionLog:
    updated = QuestionLog.objects.filter(pk=log_id).update(helpful=helpful)
    if not updated:
        raise NotFoundError()
    return QuestionLog.objects.get(pk=log_id)


def _unique_key(base: str) -> str:
    base = (slugify(base)[:60] or "entry").strip("-") or "entry"
    key, number = base, 1
    while Entry.objects.filter(key=key).exists():
        number += 1
        key = f"{base}-{number}"
    return key


def _resolve(log_ids: list[int], entry: Entry | None) -> None:
    QuestionLog.objects.filter(pk__in=log_ids, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_entry=entry)


def entry_create_from_questions(*, log_ids: list[int], category: Category, actor) -> Entry:
    """Learning loop, first action: a draft entry whose question and phrasings are the
    group's (masked) questions; staff write the answer and publish it."""
    logs = list(QuestionLog.objects.filter(pk__in=log_ids).order_by("created_at"))
    if not logs:
        raise ValidationFailed(_("These questions have been handled already."))
    japanese = [log.text for log in logs if log.language != "en"]
    english = [log.text for log in logs if log.language == "en"]
    texts = japanese or english
    department = Department.objects.filter(pk=staff_department_id(actor)).first() \
        if actor is not None else None
    data = {
        "key": _unique_key(f"new-{timezone.now():%Y%m%d}"),
        "category": category, "department": department, "status": Entry.Status.DRAFT,
        "question_ja": texts[0][:300],
        "answer_ja": "<p>" + str(_("(Write the answer here.)")) + "</p>",
        "phrasings_ja": japanese[1:] if japanese else [],
        "phrasings_en": english if japanese else [],
    }
    with transaction.atomic():
        entry = entry_save(data=data, actor=actor, action="create_from_questions")
        _resolve([log.pk for log in logs], entry)
    return entry


def phrasing_add_from_questions(*, log_ids: list[int], entry: Entry, actor) -> Entry:
    """Learning loop, second action: the group's questions become phrasings of `entry`."""
    logs = list(QuestionLog.objects.filter(pk__in=log_ids).order_by("created_at"))
    if not logs:
        raise ValidationFailed(_("These questions have been handled already."))
    data = _snapshot(entry)
    for log in logs:
        name = "phrasings_en" if log.language == "en" else "phrasings_ja"
        if log.text not in data[name]:
            data[name] = [*data[name], log.text]
    with transaction.atomic():
        entry = entry_save(data=data, entry=entry, actor=actor, action="add_phrasing")
        _resolve([log.pk for log in logs], entry)
    return entry


def question_logs_dismiss(*, log_ids: list[int], actor) -> int:
    with transaction.atomic():
        count = QuestionLog.objects.filter(pk__in=log_ids, resolved_at__isnull=True).update(
            resolved_at=timezone.now())
        audit_record(actor=actor, action="faq_questions.dismiss", target_type="faq.questionlog",
                     details={"count": count})
    return count


def question_logs_purge(*, older_than_days: int = 180) -> int:
    """Housekeeping: questions are kept for a limited time."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    deleted, _details = QuestionLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
