"""The services of the feedback app (取組11): receiving, routing, the second-person rule on
replies, delivering a reply once, closing, and the Q&A that never carries personal data."""

import pytest
from django.core import mail

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.privacy import contains_personal_data, mask_contact_details
from cityhall.feedback import services
from cityhall.feedback.models import Opinion, OpinionEvent, QAEntry, Reply, Topic

from .factories import OpinionFactory

pytestmark = pytest.mark.django_db


def test_an_opinion_gets_a_yearly_reference_history_and_audit(minato):
    from django.utils import timezone

    first, second = OpinionFactory(), OpinionFactory(contact_email="", wants_reply=False)
    year = timezone.localdate().year
    assert (first.year, first.number, second.number) == (year, 1, 2)
    assert first.reference == f"{year}-00001"
    assert first.status == Opinion.Status.RECEIVED and first.channel == "web"
    assert list(first.events.values_list("action", flat=True)) == ["received"]
    event = AuditEvent.objects.get(action="opinion.create", target_id=str(first.pk))
    assert event.actor_label == "system" and event.details["channel"] == "web"
    # No personal value goes into the audit details.
    assert "jiro" not in str(event.details) and "港 次郎" not in str(event.details)


@pytest.mark.parametrize(("changes", "field"), [
    ({"text": "   "}, "text"),
    ({"text": "あ" * 2001}, "text"),
    ({"text": "abc\x00def"}, "text"),
    ({"contact_email": "not-an-email"}, "contact_email"),
    ({"contact_email": "", "wants_reply": True}, "contact_email"),
    ({"contact_phone": "03-1234-567８<script>"}, "contact_phone"),
    ({"contact_name": "名" * 101}, "contact_name"),
    ({"kind": "spam"}, "kind"),
    ({"topic": None}, "topic"),
])
def test_bad_input_is_refused_and_changes_nothing(minato, changes, field):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        OpinionFactory(**changes)
    assert refused.value.field == field
    assert Opinion.objects.count() == 0 and OpinionEvent.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_an_inactive_topic_is_refused(minato):
    topic = Topic.objects.get(code="culture")
    topic.active = False
    topic.save()
    with pytest.raises(ValidationFailed):
        OpinionFactory(topic=topic)
    assert not Opinion.objects.exists()


def test_nobody_sends_in_someone_elses_name(hanako, taro):
    with pytest.raises(PermissionDeniedError):
        OpinionFactory(sender=hanako.user, actor=taro.user)
    assert not Opinion.objects.exists()


def test_counter_opinions_are_entered_by_staff_with_the_permission(minato, officer, hanako):
    with pytest.raises(PermissionDeniedError):
        OpinionFactory(channel="counter", actor=hanako.user)
    opinion = OpinionFactory(channel="counter", actor=officer)
    assert opinion.channel == "counter"


def test_the_whole_workflow_ends_with_one_email(routed, hoiku_clerk, hoiku_manager,
                                               django_capture_on_commit_callbacks):
    reply = services.reply_draft(opinion=routed, body="ベンチを増設します。", actor=hoiku_clerk)
    services.reply_approve(opinion=routed, actor=hoiku_manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_send(opinion=routed, actor=hoiku_clerk)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.SENT and reply.delivery == Reply.Delivery.DELIVERED
    assert reply.approver == hoiku_manager and reply.author == hoiku_clerk
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jiro.minato@example.com"]
    assert routed.reference in message.subject and "ベンチを増設します。" in message.body
    # Running the delivery again sends nothing more.
    services.reply_deliver(reply_id=reply.pk)
    assert len(mail.outbox) == 1
    routed.refresh_from_db()
    assert routed.status == Opinion.Status.REPLIED
    assert list(routed.events.values_list("action", flat=True)) == [
        "received", "routed", "reply_drafted", "reply_approved", "reply_sent",
        "reply_delivered"]
    services.opinion_close(opinion=routed, actor=hoiku_clerk)
    routed.refresh_from_db()
    assert routed.status == Opinion.Status.CLOSED
    actions = set(AuditEvent.objects.filter(target_type__startswith="feedback.")
                  .values_list("action", flat=True))
    assert {"opinion.create", "opinion.route", "reply.draft", "reply.approve", "reply.send",
            "reply.deliver", "opinion.close"} <= actions


def test_an_account_holder_gets_the_reply_as_a_notice_once(hanako, officer, officer2, hoiku,
                                                          django_capture_on_commit_callbacks):
    from cityhall.notifications.models import Message

    opinion = OpinionFactory(sender=hanako.user, actor=hanako.user, contact_name="",
                             contact_email="", contact_phone="", contact_address="")
    services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
    services.reply_draft(opinion=opinion, body="ご意見ありがとうございます。", actor=officer)
    services.reply_approve(opinion=opinion, actor=officer2)
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(opinion=opinion, actor=officer)
    services.reply_deliver(reply_id=reply.pk)
    messages = Message.objects.filter(recipient=hanako.user)
    assert messages.count() == 1
    assert "ご意見ありがとうございます。" in messages.get().texts["ja"]["body"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [hanako.user.email]


def test_the_author_cannot_approve_their_own_reply(routed, officer, hoiku_manager):
    reply = services.reply_draft(opinion=routed, body="回答案", actor=officer)
    with pytest.raises(PermissionDeniedError) as refused:
        services.reply_approve(opinion=routed, actor=officer)
    assert refused.value.code == "self_approval"
    reply.refresh_from_db()
    assert reply.status == Reply.Status.DRAFT and reply.approver is None
    routed.refresh_from_db()
    assert routed.status == Opinion.Status.REPLY_DRAFTED


def test_the_database_refuses_an_author_approving_too(routed, officer):
    from django.db import IntegrityError, transaction

    reply = services.reply_draft(opinion=routed, body="回答案", actor=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(approver=officer)


def test_staff_without_the_approve_permission_cannot_approve(routed, hoiku_clerk, officer):
    services.reply_draft(opinion=routed, body="回答案", actor=officer)
    with pytest.raises(PermissionDeniedError):
        services.reply_approve(opinion=routed, actor=hoiku_clerk)


def test_staff_of_another_department_can_do_nothing(routed, other_clerk):
    for call in (lambda: services.reply_draft(opinion=routed, body="x", actor=other_clerk),
                 lambda: services.opinion_close(opinion=routed, actor=other_clerk,
                                                without_reply=True),
                 lambda: services.opinion_route(opinion=routed, actor=other_clerk,
                                                department=routed.department)):
        with pytest.raises(PermissionDeniedError):
            call()
    routed.refresh_from_db()
    assert routed.status == Opinion.Status.ROUTED and not routed.replies.exists()


def test_a_rejected_reply_goes_back_and_a_new_draft_can_follow(routed, hoiku_clerk,
                                                               hoiku_manager):
    services.reply_draft(opinion=routed, body="初案", actor=hoiku_clerk)
    services.reply_reject(opinion=routed, actor=hoiku_manager, note="根拠を追記してください")
    routed.refresh_from_db()
    assert routed.status == Opinion.Status.ROUTED
    services.reply_draft(opinion=routed, body="第二案", actor=hoiku_clerk)
    assert list(routed.replies.values_list("status", flat=True)) == ["draft", "rejected"]


def test_an_opinion_without_address_cannot_be_replied_but_closed(minato, officer, hoiku):
    opinion = OpinionFactory(contact_email="", wants_reply=False)
    services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
    with pytest.raises(ValidationFailed):
        services.reply_draft(opinion=opinion, body="回答", actor=officer)
    services.opinion_close(opinion=opinion, actor=officer, without_reply=True)
    opinion.refresh_from_db()
    assert opinion.status == Opinion.Status.NO_REPLY
    with pytest.raises(ConflictError):
        services.opinion_close(opinion=opinion, actor=officer)


def test_sending_needs_an_approved_reply(routed, hoiku_clerk):
    services.reply_draft(opinion=routed, body="回答", actor=hoiku_clerk)
    with pytest.raises(ConflictError):
        services.reply_send(opinion=routed, actor=hoiku_clerk)
    assert len(mail.outbox) == 0


def test_masking_hides_emails_phones_and_postal_codes():
    text = "連絡先は jiro@example.com、０３－３５７８－２１１１、090 1234 5678、〒105-8511 です。"
    masked = mask_contact_details(text)
    for secret in ("jiro@example.com", "3578", "1234", "105-8511"):
        assert secret not in masked
    assert masked.count("＊＊＊") == 4
    assert mask_contact_details("令和8年4月1日に20件") == "令和8年4月1日に20件"
    assert contains_personal_data("港次郎さんの件", known=["港 次郎"])
    assert not contains_personal_data("公園のベンチ", known=["港 次郎"])


@pytest.mark.parametrize("question", [
    "jiro.minato@example.com さんからの質問", "090-1234-5678 に電話がほしい",
    "港 次郎です。ベンチを増やして", "東京都港区芝公園2-3-1 みなとハイツ303 の前の道"])
def test_a_qa_entry_with_personal_data_is_refused(routed, officer, question):
    with pytest.raises(ValidationFailed) as refused:
        services.qa_save(opinion=routed, question=question, answer="回答", actor=officer)
    assert refused.value.code == "personal_data"
    assert not QAEntry.objects.exists()


def test_qa_is_published_only_with_consent(minato, officer, hoiku):
    opinion = OpinionFactory(consent_to_publish=False)
    services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
    entry = services.qa_save(opinion=opinion, question="ベンチを増やしてほしい",
                             answer="検討します。", actor=officer)
    with pytest.raises(ValidationFailed):
        services.qa_publish(entry=entry, actor=officer)
    entry.refresh_from_db()
    assert entry.status == QAEntry.Status.DRAFT and entry.published_on is None


def test_qa_publish_and_withdraw(routed, officer, hoiku_clerk):
    with pytest.raises(PermissionDeniedError):
        services.qa_save(opinion=routed, question="q", answer="a", actor=hoiku_clerk)
    entry = services.qa_save(opinion=routed, question="ベンチを増やしてほしい",
                             answer="検討します。", actor=officer)
    services.qa_publish(entry=entry, actor=officer)
    entry.refresh_from_db()
    assert entry.status == QAEntry.Status.PUBLISHED and entry.department == routed.department
    services.qa_withdraw(entry=entry, actor=officer)
    entry.refresh_from_db()
    assert entry.status == QAEntry.Status.WITHDRAWN


def test_the_demo_loader_is_idempotent_and_marks_its_data(staff_persona):
    from cityhall.feedback.loaders import load_demo

    staff_persona("kouchou")
    staff_persona("kouchou_2")

    load_demo()
    load_demo()
    assert Opinion.objects.filter(is_demo=True).count() == 5
    assert not Opinion.objects.filter(is_demo=False).exists()
    assert QAEntry.objects.filter(status="published", is_demo=True).count() == 3
