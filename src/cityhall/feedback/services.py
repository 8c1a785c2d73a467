"""Every write of the feedback app (広聴, 取組11): keyword-only functions, one transaction each,
the actor explicit, the audit event and the opinion's history written in that transaction.

The life of an opinion: received → routed (to a department) → reply drafted → reply approved
(by a second person) → replied → closed; or closed without a reply at any step before the
reply is sent. A reply is stored before it is sent and delivered once, after the commit.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from cityhall.core.permissions import can
from cityhall.core.privacy import contains_personal_data
from cityhall.core.services import sequence_next

from .models import ANSWER_MAX, SUMMARY_MAX, TEXT_MAX, Opinion, OpinionEvent, QAEntry, Reply, Topic
from .permissions import may

CONTACT_LIMITS = {"contact_name": 100, "contact_phone": 20, "contact_address": 200}
PHONE_CHARACTERS = set("0123456789+-() ")
LANGUAGES = {"ja", "en", "zh-hans", "ko"}


def _clean_text(value, *, field: str, required: bool, limit: int, label) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if "\x00" in value:
        raise ValidationFailed(_("The text contains characters that cannot be stored."),
                               field=field)
    if required and not value:
        raise ValidationFailed(_("Please fill in: %(label)s.") % {"label": label}, field=field)
    if len(value) > limit:
        raise ValidationFailed(
            _("%(label)s is too long: at most %(limit)s characters.")
            % {"label": label, "limit": limit}, field=field)
    return value


def _event(opinion, action, actor, *, department=None, note=""):
    OpinionEvent.objects.create(opinion=opinion, action=action,
                                actor=actor if getattr(actor, "pk", None) else None,
                                department=department, note=note[:500])


def _locked(opinion: Opinion) -> Opinion:
    return (Opinion.objects.select_for_update(of=("self",)).select_related("sender")
            .get(pk=opinion.pk))


def _require(actor, permission: str, opinion: Opinion | None = None) -> None:
    allowed = may(actor, permission, opinion) if opinion is not None else can(actor, permission)
    if not allowed:
        raise PermissionDeniedError()


# --- topics -------------------------------------------------------------------------------

@transaction.atomic
def topic_save(*, topic: Topic, actor) -> Topic:
    """Add or change a topic of the form (from the admin)."""
    _require(actor, "feedback.change_topic" if topic.pk else "feedback.add_topic")
    topic.name = _clean_text(topic.name, field="name", required=True, limit=50,
                             label=_("name"))
    topic.name_en = _clean_text(topic.name_en, field="name_en", required=True, limit=80,
                                label=_("name (English)"))
    created = topic.pk is None
    topic.save()
    audit_record(actor=actor, action="topic.create" if created else "topic.update",
                 target=topic, details={"code": topic.code, "active": topic.active})
    return topic


# --- receiving ------------------------------------------------------------------------------

def opinion_submit(*, topic: Topic, kind: str, text: str, actor, channel: str = "web",
                   sender=None, contact_name: str = "", contact_email: str = "",
                   contact_phone: str = "", contact_address: str = "", line_user_id: str = "",
                   wants_reply: bool = False, consent_to_publish: bool = False,
                   language: str = "ja", is_demo: bool = False) -> Opinion:
    """Record an opinion. From the web and LINE anyone may send one (signed in or not); an
    opinion received at the counter or by letter is entered by staff who may add opinions."""
    if channel not in Opinion.Channel.values:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    if channel in (Opinion.Channel.COUNTER, Opinion.Channel.MAIL):
        _require(actor, "feedback.add_opinion")
    elif sender is not None and getattr(actor, "pk", None) != sender.pk:
        raise PermissionDeniedError()
    if topic is None or not topic.active:
        raise ValidationFailed(_("Choose a topic from the list."), field="topic")
    if kind not in Opinion.Kind.values:
        raise ValidationFailed(_("Choose what kind of message this is."), field="kind")
    text = _clean_text(text, field="text", required=True, limit=TEXT_MAX,
                       label=_("your opinion"))
    raw = {"contact_name": contact_name, "contact_phone": contact_phone,
           "contact_address": contact_address}
    contact = {field: _clean_text(raw[field], field=field, required=False, limit=limit,
                                  label=Opinion._meta.get_field(field).verbose_name)
               for field, limit in CONTACT_LIMITS.items()}
    email = (contact_email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(_("Enter a valid email address."),
                                   field="contact_email") from None
    if contact["contact_phone"] and not set(contact["contact_phone"]) <= PHONE_CHARACTERS:
        raise ValidationFailed(_("Enter the telephone number with digits and hyphens only."),
                               field="contact_phone")
    if wants_reply and sender is None and not email:
        raise ValidationFailed(
            _("To receive a reply, give an email address or sign in."), field="contact_email")
    if channel == Opinion.Channel.LINE and not line_user_id:
        raise ValidationFailed(_("A LINE opinion needs the LINE user."), field="line_user_id")
    with transaction.atomic():
        year = timezone.localdate().year
        opinion = Opinion.objects.create(
            year=year, number=sequence_next(sequence="feedback", year=year), topic=topic,
            kind=kind, text=text, channel=channel, sender=sender, contact_email=email,
            line_user_id=line_user_id[:64], wants_reply=bool(wants_reply),
            consent_to_publish=bool(consent_to_publish),
            language=language if language in LANGUAGES else "ja", is_demo=is_demo, **contact)
        _event(opinion, OpinionEvent.Action.RECEIVED, actor)
        audit_record(actor=actor if getattr(actor, "pk", None) else None,
                     action="opinion.create", target=opinion,
                     details={"channel": channel, "kind": kind, "topic": topic.code})
    return opinion


# --- routing and replying -------------------------------------------------------------------

@transaction.atomic
def opinion_route(*, opinion: Opinion, department, actor, note: str = "") -> Opinion:
    """Send an opinion to the department that will answer it (again, to move it on)."""
    _require(actor, "feedback.route_opinion")
    opinion = _locked(opinion)
    if department is None:
        raise ValidationFailed(_("Choose a department."), field="department")
    if opinion.status not in (Opinion.Status.RECEIVED, Opinion.Status.ROUTED):
        raise ConflictError(_("A reply is already being prepared; it can no longer be "
                              "routed."), code="not_routable")
    note = _clean_text(note, field="note", required=False, limit=500, label=_("note"))
    opinion.department = department
    opinion.status = Opinion.Status.ROUTED
    opinion.save(update_fields=["department", "status", "updated_at"])
    _event(opinion, OpinionEvent.Action.ROUTED, actor, department=department, note=note)
    audit_record(actor=actor, action="opinion.route", target=opinion,
                 details={"department": department.code})
    return opinion


@transaction.atomic
def reply_draft(*, opinion: Opinion, body: str, actor) -> Reply:
    """Write (or rewrite) the reply of the department the opinion was routed to."""
    opinion = _locked(opinion)
    _require(actor, "feedback.draft_reply", opinion)
    if opinion.status not in (Opinion.Status.ROUTED, Opinion.Status.REPLY_DRAFTED):
        raise ConflictError(_("A reply can be drafted only after the opinion was routed and "
                              "before the reply is approved."), code="not_draftable")
    if not opinion.can_be_replied:
        raise ValidationFailed(_("The sender left no email address and no account: close "
                                 "the opinion without a reply instead."), code="no_address")
    body = _clean_text(body, field="body", required=True, limit=ANSWER_MAX, label=_("reply"))
    reply = opinion.replies.exclude(status=Reply.Status.REJECTED).first()
    if reply is None:
        reply = Reply.objects.create(opinion=opinion, body=body, author=actor)
    else:
        reply.body, reply.author = body, actor
        reply.save(update_fields=["body", "author"])
    opinion.status = Opinion.Status.REPLY_DRAFTED
    opinion.save(update_fields=["status", "updated_at"])
    _event(opinion, OpinionEvent.Action.REPLY_DRAFTED, actor)
    audit_record(actor=actor, action="reply.draft", target=reply,
                 details={"opinion": opinion.reference})
    return reply


def _current_reply(opinion: Opinion, status: str) -> Reply:
    reply = opinion.replies.select_for_update().filter(status=status).first()
    if reply is None:
        raise ConflictError(_("There is no reply in this state."), code="no_reply")
    return reply


@transaction.atomic
def reply_approve(*, opinion: Opinion, actor) -> Reply:
    """Approve the drafted reply: a staff member with `feedback.approve_reply`, in scope,
    who did not draft it (the second-person rule)."""
    opinion = _locked(opinion)
    _require(actor, "feedback.approve_reply", opinion)
    reply = _current_reply(opinion, Reply.Status.DRAFT)
    if reply.author_id == actor.pk:
        raise PermissionDeniedError(_("You cannot approve a reply you drafted: another staff "
                                      "member must approve it."), code="self_approval")
    reply.status, reply.approver, reply.approved_at = (Reply.Status.APPROVED, actor,
                                                       timezone.now())
    reply.save(update_fields=["status", "approver", "approved_at"])
    opinion.status = Opinion.Status.REPLY_APPROVED
    opinion.save(update_fields=["status", "updated_at"])
    _event(opinion, OpinionEvent.Action.REPLY_APPROVED, actor)
    audit_record(actor=actor, action="reply.approve", target=reply,
                 details={"opinion": opinion.reference})
    return reply


@transaction.atomic
def reply_reject(*, opinion: Opinion, actor, note: str = "") -> Reply:
    """Send the drafted reply back to the department for changes."""
    opinion = _locked(opinion)
    _require(actor, "feedback.approve_reply", opinion)
    reply = _current_reply(opinion, Reply.Status.DRAFT)
    note = _clean_text(note, field="note", required=False, limit=500, label=_("note"))
    reply.status = Reply.Status.REJECTED
    reply.save(update_fields=["status"])
    opinion.status = Opinion.Status.ROUTED
    opinion.save(update_fields=["status", "updated_at"])
    _event(opinion, OpinionEvent.Action.REPLY_REJECTED, actor, note=note)
    audit_record(actor=actor, action="reply.reject", target=reply,
                 details={"opinion": opinion.reference})
    return reply


@transaction.atomic
def reply_send(*, opinion: Opinion, actor) -> Reply:
    """Send the approved reply: it is marked to be delivered and a task delivers it once,
    after the commit."""
    opinion = _locked(opinion)
    _require(actor, "feedback.draft_reply", opinion)
    reply = _current_reply(opinion, Reply.Status.APPROVED)
    now = timezone.now()
    reply.status, reply.sent_at, reply.delivery = (Reply.Status.SENT, now,
                                                   Reply.Delivery.PENDING)
    reply.save(update_fields=["status", "sent_at", "delivery"])
    opinion.status = Opinion.Status.REPLIED
    opinion.save(update_fields=["status", "updated_at"])
    _event(opinion, OpinionEvent.Action.REPLY_SENT, actor)
    audit_record(actor=actor, action="reply.send", target=reply,
                 details={"opinion": opinion.reference,
                          "by": "account" if opinion.sender_id else "email"})
    from .tasks import feedback_reply_deliver

    enqueue_on_commit(feedback_reply_deliver, reply_id=reply.pk)
    return reply


def _reply_texts(opinion: Opinion, reply: Reply) -> tuple[str, str]:
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(opinion.language or "ja"):
        subject = gettext("Reply to your opinion (No. %(reference)s)") % {
            "reference": opinion.reference}
        body = "\n\n".join([
            gettext("Thank you for your opinion (No. %(reference)s). The city's reply "
                    "follows.") % {"reference": opinion.reference},
            reply.body,
            gettext("This message was sent by the city's public hearing service. Please do "
                    "not answer it; send a new opinion from the portal instead."),
        ])
    return subject, body


def reply_deliver(*, reply_id: int) -> Reply:
    """Deliver a sent reply to the sender, once (run by the task; safe to run again): to an
    account holder through `core.notify` (the notifications engine when installed), to a
    contact-only sender by email. The row lock keeps two workers from sending it twice."""
    from django.core.mail import send_mail
    from django.urls import reverse

    from cityhall.core.notify import notify_user

    with transaction.atomic():
        reply = (Reply.objects.select_for_update(of=("self",))
                 .select_related("opinion__sender")
                 .filter(pk=reply_id).first())
        if reply is None:
            raise NotFoundError()
        if reply.delivery != Reply.Delivery.PENDING:
            return reply  # delivered (or given up) before: nothing to do
        opinion = reply.opinion
        subject, body = _reply_texts(opinion, reply)
        if opinion.sender_id:
            notify_user(user=opinion.sender, topic="feedback.reply",
                        key=f"feedback.reply:{reply.pk}", subject=subject, body=body,
                        url=settings.PORTAL_URL + reverse("feedback:my_opinions"))
        elif opinion.contact_email:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [opinion.contact_email])
        else:
            reply.delivery, reply.delivery_error = Reply.Delivery.FAILED, "no address"
            reply.save(update_fields=["delivery", "delivery_error"])
            audit_record(actor=None, action="reply.deliver_failed", target=reply)
            return reply
        reply.delivery, reply.delivered_at = Reply.Delivery.DELIVERED, timezone.now()
        reply.save(update_fields=["delivery", "delivered_at"])
        _event(opinion, OpinionEvent.Action.REPLY_DELIVERED, None)
        audit_record(actor=None, action="reply.deliver", target=reply,
                     details={"opinion": opinion.reference})
    return reply


@transaction.atomic
def opinion_close(*, opinion: Opinion, actor, without_reply: bool = False,
                  note: str = "") -> Opinion:
    """Close a replied opinion, or close one that needs no reply (before a reply is
    approved)."""
    opinion = _locked(opinion)
    if not (may(actor, "feedback.draft_reply", opinion)
            or can(actor, "feedback.route_opinion")):
        raise PermissionDeniedError()
    note = _clean_text(note, field="note", required=False, limit=500, label=_("note"))
    if without_reply:
        if opinion.status not in (Opinion.Status.RECEIVED, Opinion.Status.ROUTED,
                                  Opinion.Status.REPLY_DRAFTED):
            raise ConflictError(_("This opinion can no longer be closed without a reply."),
                                code="not_closable")
        opinion.replies.filter(status=Reply.Status.DRAFT).update(status=Reply.Status.REJECTED)
        opinion.status, action = Opinion.Status.NO_REPLY, OpinionEvent.Action.NO_REPLY
    else:
        if opinion.status != Opinion.Status.REPLIED:
            raise ConflictError(_("Only a replied opinion can be closed."), code="not_closable")
        opinion.status, action = Opinion.Status.CLOSED, OpinionEvent.Action.CLOSED
    opinion.save(update_fields=["status", "updated_at"])
    _event(opinion, action, actor, note=note)
    audit_record(actor=actor, action="opinion.close", target=opinion,
                 details={"status": opinion.status})
    return opinion


# --- the published Q&A ----------------------------------------------------------------------

def _known_personal_values(opinion: Opinion) -> list[str]:
    values = [opinion.contact_name, opinion.contact_email, opinion.contact_phone,
              opinion.contact_address]
    if opinion.sender_id:
        values.append(opinion.sender.email)
        profile = getattr(opinion.sender, "resident_profile", None)
        if profile is not None:
            values += [f"{profile.family_name}{profile.given_name}", profile.family_name_kana
                       + profile.given_name_kana]
    return [value for value in values if value]


@transaction.atomic
def qa_save(*, opinion: Opinion, question: str, answer: str, actor, topic=None,
            department=None, is_demo: bool = False) -> QAEntry:
    """Write or edit the public Q&A entry of an opinion: a summary in staff's own words with
    no personal data (emails, telephone numbers, postal codes and the sender's own details
    are refused), and the city's answer."""
    _require(actor, "feedback.publish_qa")
    opinion = _locked(opinion)
    question = _clean_text(question, field="question", required=True, limit=SUMMARY_MAX,
                           label=_("question (summary)"))
    answer = _clean_text(answer, field="answer", required=True, limit=ANSWER_MAX,
                         label=_("the city's answer"))
    known = _known_personal_values(opinion)
    for field, value in (("question", question), ("answer", answer)):
        if contains_personal_data(value, known=known):
            raise ValidationFailed(
                _("Remove the personal data (names, email addresses, telephone numbers, "
                  "postal codes) before saving."), field=field, code="personal_data")
    department = department or opinion.department
    if department is None:
        raise ValidationFailed(_("Route the opinion to a department first."),
                               field="department")
    entry = QAEntry.objects.select_for_update().filter(opinion=opinion).first()
    if entry is None:
        entry = QAEntry(opinion=opinion, is_demo=is_demo)
    entry.topic = topic or opinion.topic
    entry.department = department
    entry.question, entry.answer, entry.updated_by = question, answer, actor
    created = entry.pk is None
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise ConflictError() from None
    audit_record(actor=actor, action="qa.create" if created else "qa.update", target=entry,
                 details={"opinion": opinion.reference})
    return entry


@transaction.atomic
def qa_publish(*, entry: QAEntry, actor, on: datetime.date | None = None) -> QAEntry:
    """Publish a Q&A entry: only when the sender agreed to publication."""
    _require(actor, "feedback.publish_qa")
    entry = (QAEntry.objects.select_for_update(of=("self",))
             .select_related("opinion__sender").get(pk=entry.pk))
    opinion = entry.opinion
    if not opinion.consent_to_publish:
        raise ValidationFailed(_("The sender did not agree to publication: this entry cannot "
                                 "be published."), code="no_consent")
    known = _known_personal_values(opinion)
    if any(contains_personal_data(value, known=known)
           for value in (entry.question, entry.answer)):
        raise ValidationFailed(_("Remove the personal data (names, email addresses, telephone "
                                 "numbers, postal codes) before saving."), code="personal_data")
    entry.status = QAEntry.Status.PUBLISHED
    entry.published_on = on or entry.published_on or timezone.localdate()
    entry.updated_by = actor
    entry.save(update_fields=["status", "published_on", "updated_by", "updated_at"])
    _event(opinion, OpinionEvent.Action.QA_PUBLISHED, actor)
    audit_record(actor=actor, action="qa.publish", target=entry,
                 details={"opinion": opinion.reference})
    return entry


@transaction.atomic
def qa_withdraw(*, entry: QAEntry, actor) -> QAEntry:
    _require(actor, "feedback.publish_qa")
    entry = QAEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != QAEntry.Status.PUBLISHED:
        raise ConflictError(_("This entry is not published."), code="not_published")
    entry.status, entry.updated_by = QAEntry.Status.WITHDRAWN, actor
    entry.save(update_fields=["status", "updated_by", "updated_at"])
    _event(entry.opinion, OpinionEvent.Action.QA_WITHDRAWN, actor)
    audit_record(actor=actor, action="qa.withdraw", target=entry)
    return entry
