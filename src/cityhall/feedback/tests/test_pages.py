"""The feedback pages and API (取組11): sending an opinion (anonymous and signed in), the
confirmation, "my opinions", the public Q&A; bad input, rate limits, escaping; the staff pages
for each kind of user; the audit of every read; contact details never in a public response."""

import pytest
from django.core import mail
from django.urls import reverse

from cityhall.core.models import AuditEvent
from cityhall.feedback import services
from cityhall.feedback.models import Opinion, Reply, Topic

from .factories import OpinionFactory

pytestmark = pytest.mark.django_db

CONTACT = {"contact_name": "港 次郎", "contact_email": "jiro.minato@example.com",
           "contact_phone": "090-1234-5678",
           "contact_address": "東京都港区芝公園2-3-1 みなとハイツ303"}
SECRETS = [*CONTACT.values(), "jiro.minato", "1234-5678"]


def form_data(**changes):
    data = {"topic": Topic.objects.get(code="childcare").pk, "kind": "proposal",
            "text": "保育園の送迎用の駐輪場を増やしてください。", "wants_reply": "on",
            "consent_to_publish": "on", **CONTACT}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_anonymous_resident_sends_an_opinion_and_sees_the_reference(client, minato):
    response = client.get(reverse("feedback:opinion_new"))
    assert response.status_code == 200
    assert 'name="contact_email"' in response.text
    response = client.post(reverse("feedback:opinion_new"), form_data(), follow=True)
    assert response.status_code == 200
    opinion = Opinion.objects.get()
    assert opinion.reference in response.text
    assert opinion.sender is None and opinion.contact_email == "jiro.minato@example.com"
    assert opinion.wants_reply and opinion.consent_to_publish and opinion.channel == "web"
    assert opinion.language == "ja"
    # The confirmation page shows the number, not the contact details.
    for secret in SECRETS:
        assert secret not in response.text


@pytest.mark.parametrize(("changes", "message"), [
    ({"text": ""}, "This field is required."),
    ({"text": "あ" * 2001}, "Ensure this value has at most 2000 characters"),
    ({"contact_email": "jiro@"}, "Enter a valid email address."),
    ({"contact_email": "", "wants_reply": "on"},
     "To receive a reply, give an email address or sign in."),
    ({"topic": "999999"}, "Select a valid choice."),
    ({"kind": "spam"}, "Select a valid choice."),
    ({"text": "abc\x00"}, "Null characters are not allowed."),
])
def test_bad_input_gets_a_translated_error_and_stores_nothing(client, minato, changes,
                                                               message):
    events = AuditEvent.objects.count()
    response = client.post(reverse("feedback:opinion_new"), form_data(**changes),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert not Opinion.objects.exists() and AuditEvent.objects.count() == events


def test_the_error_is_in_japanese_by_default(client, minato):
    response = client.post(reverse("feedback:opinion_new"),
                           form_data(contact_email="", wants_reply="on"))
    assert response.status_code == 400
    assert "回答を希望する場合は" in response.text


def test_html_is_shown_as_text(client, hanako):
    client.force_login(hanako.user)
    client.post(reverse("feedback:opinion_new"), form_data(
        text='<script>alert("x")</script><b>太字</b>'))
    response = client.get(reverse("feedback:my_opinions"))
    assert "<script>alert" not in response.text and "<b>太字" not in response.text
    assert "&lt;script&gt;alert" in response.text


def test_a_signed_in_resident_gives_no_contact_and_reads_the_reply(client, hanako, officer,
                                                                   officer2, hoiku,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(hanako.user)
    response = client.get(reverse("feedback:opinion_new"))
    assert 'name="contact_email"' not in response.text
    response = client.post(reverse("feedback:opinion_new"), form_data(), follow=True)
    opinion = Opinion.objects.get()
    assert opinion.sender == hanako.user and opinion.contact_email == ""
    assert reverse("feedback:my_opinions") in response.text
    services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
    services.reply_draft(opinion=opinion, body="駐輪場を増設します。", actor=officer)
    services.reply_approve(opinion=opinion, actor=officer2)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_send(opinion=opinion, actor=officer)
    response = client.get(reverse("feedback:my_opinions"))
    assert opinion.reference in response.text and "駐輪場を増設します。" in response.text
    assert "Replied" in client.get(reverse("feedback:my_opinions"),
                                   HTTP_ACCEPT_LANGUAGE="en").text
    # Another resident sees none of it.
    client.logout()
    assert client.get(reverse("feedback:my_opinions")).status_code == 302


def test_the_rate_limit_stops_a_flood_and_stores_nothing_more(client, minato, settings):
    settings.FEEDBACK_RATE_LIMIT_PER_HOUR = 2
    for _ in range(2):
        assert client.post(reverse("feedback:opinion_new"), form_data()).status_code == 302
    response = client.post(reverse("feedback:opinion_new"), form_data(),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "You have sent many opinions in a short time" in response.text
    assert Opinion.objects.count() == 2
    # A new session from the same address is still limited (by address).
    client.cookies.clear()
    assert client.post(reverse("feedback:opinion_new"), form_data()).status_code == 429
    assert Opinion.objects.count() == 2


def test_the_confirmation_page_needs_a_sent_opinion(client, minato):
    response = client.get(reverse("feedback:opinion_sent"))
    assert response.status_code == 302 and response.url == reverse("feedback:opinion_new")


def _published(officer, hoiku, **changes):
    opinion = OpinionFactory(**{**CONTACT, **changes})
    services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
    entry = services.qa_save(opinion=opinion, question="保育園の駐輪場を増やしてほしい。",
                             answer="来年度に増設を予定しています。", actor=officer)
    return opinion, services.qa_publish(entry=entry, actor=officer)


def test_contact_details_are_in_no_public_page_or_api_response(client, officer, hoiku):
    opinion, entry = _published(officer, hoiku)
    draft = OpinionFactory(contact_name="芝 三郎", contact_email="saburo@example.com")
    services.opinion_route(opinion=draft, department=hoiku, actor=officer)
    services.qa_save(opinion=draft, question="未公開の質問", answer="未公開の回答",
                     actor=officer)
    urls = [reverse("feedback:qa_list"), reverse("feedback:qa_list") + "?q=駐輪場",
            reverse("feedback:qa_detail", args=[entry.pk]), reverse("feedback:opinion_new"),
            reverse("core:home"), "/api/v1/feedback/qa", f"/api/v1/feedback/qa/{entry.pk}",
            "/api/v1/feedback/topics", "/api/v1/openapi.json"]
    for language in ("ja", "en"):
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            body = response.content.decode()
            for secret in [*SECRETS, "芝 三郎", "saburo@example.com", opinion.text]:
                assert secret not in body, (url, secret)
    listed = client.get("/api/v1/feedback/qa").json()
    assert listed["count"] == 1  # the draft entry is not public
    item = listed["items"][0]
    assert set(item) == {"id", "topic", "department", "question", "answer", "published_on"}
    assert item["department"]["code"] == "hoiku" and item["topic"]["code"] == "town-planning"
    assert "保育園の駐輪場を増やしてほしい。" in client.get(reverse("feedback:qa_list")).text


def test_the_qa_list_filters_and_refuses_junk_without_a_500(client, officer, hoiku):
    _opinion, entry = _published(officer, hoiku)
    url = reverse("feedback:qa_list")
    assert "駐輪場" in client.get(url + "?topic=town-planning&department=hoiku").text
    assert "駐輪場" not in client.get(url + "?topic=welfare").text
    assert "駐輪場" not in client.get(url + "?q=図書館").text
    for query in ("?topic=<script>", "?department=%00", "?page=abc", "?q=" + "x" * 500):
        assert client.get(url + query).status_code in (200, 400)
    assert client.get(reverse("feedback:qa_detail", args=[entry.pk + 1])).status_code == 404
    assert client.get(reverse("feedback:qa_detail", args=[2**63])).status_code == 404
    assert client.get(f"/api/v1/feedback/qa/{entry.pk + 1}").status_code == 404
    assert client.get("/api/v1/feedback/qa?topic=welfare").json()["count"] == 0


def test_withdrawn_and_draft_entries_are_not_public(client, officer, hoiku):
    _opinion, entry = _published(officer, hoiku)
    services.qa_withdraw(entry=entry, actor=officer)
    assert client.get(reverse("feedback:qa_detail", args=[entry.pk])).status_code == 404
    assert client.get("/api/v1/feedback/qa").json()["count"] == 0


# --- staff ------------------------------------------------------------------------------------

def test_staff_pages_for_anonymous_resident_and_staff(client, routed, hanako, other_clerk,
                                                      hoiku_clerk, officer):
    queue = reverse("feedback:staff_queue")
    detail = reverse("feedback:staff_opinion", args=[routed.pk])
    response = client.get(detail)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(hanako.user)
    assert client.get(queue).status_code == 403
    assert client.get(detail).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="opinion.read").exists()

    # Staff of another department: an empty queue, and a refused, audited read.
    client.force_login(other_clerk)
    response = client.get(queue)
    assert response.status_code == 200 and routed.reference not in response.text
    assert client.get(detail).status_code == 403
    denied = AuditEvent.objects.get(action="opinion.read_denied")
    assert denied.actor == other_clerk and denied.target_id == str(routed.pk)
    for secret in SECRETS:
        assert secret not in response.text

    # Staff of the department the opinion was routed to: the queue, and an audited read.
    client.force_login(hoiku_clerk)
    assert routed.reference in client.get(queue).text
    response = client.get(detail)
    assert response.status_code == 200
    assert "jiro.minato@example.com" in response.text  # the handling department sees it
    read = AuditEvent.objects.get(action="opinion.read", actor=hoiku_clerk)
    assert read.target_id == str(routed.pk) and read.purpose
    assert read.details == {"personal_data": True}
    client.get(detail)
    assert AuditEvent.objects.filter(action="opinion.read", actor=hoiku_clerk).count() == 2

    # The 広聴担当 sees every opinion, routed or not.
    fresh = OpinionFactory()
    client.force_login(officer)
    response = client.get(queue)
    assert routed.reference in response.text and fresh.reference in response.text
    assert fresh.reference in client.get(queue + "?department=none").text
    assert routed.reference not in client.get(queue + "?department=none").text
    assert routed.reference not in client.get(queue + "?status=received").text


def test_unrouted_opinions_are_only_for_the_officer(client, opinion, hoiku_clerk):
    client.force_login(hoiku_clerk)
    assert opinion.reference not in client.get(reverse("feedback:staff_queue")).text
    assert client.get(reverse("feedback:staff_opinion", args=[opinion.pk])).status_code == 403


def _act(client, opinion, action, **data):
    return client.post(reverse("feedback:staff_opinion_action", args=[opinion.pk, action]),
                       data)


def test_the_reply_workflow_through_the_pages(client, opinion, officer, hoiku, hoiku_clerk,
                                              hoiku_manager, django_capture_on_commit_callbacks):
    client.force_login(officer)
    assert _act(client, opinion, "route", department=hoiku.pk).status_code == 302
    client.force_login(hoiku_clerk)
    response = _act(client, opinion, "draft", body="")
    assert response.status_code == 400 and not Reply.objects.exists()
    assert _act(client, opinion, "draft", body="増設を検討します。").status_code == 302
    assert _act(client, opinion, "approve").status_code == 400  # no approve permission
    client.force_login(hoiku_manager)
    assert _act(client, opinion, "approve").status_code == 302
    client.force_login(hoiku_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        assert _act(client, opinion, "send").status_code == 302
    assert len(mail.outbox) == 1
    assert _act(client, opinion, "close").status_code == 302
    opinion.refresh_from_db()
    assert opinion.status == Opinion.Status.CLOSED
    response = client.get(reverse("feedback:staff_opinion", args=[opinion.pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    for step in ("Routed to a department", "Reply drafted", "Reply approved", "Reply sent",
                 "Reply delivered", "Closed"):
        assert step in response.text
    assert _act(client, opinion, "nonsense").status_code == 404


def test_self_approval_is_refused_on_the_page(client, routed, officer):
    client.force_login(officer)
    _act(client, routed, "draft", body="回答案です。")
    response = client.post(reverse("feedback:staff_opinion_action", args=[routed.pk, "approve"]),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "another staff member must approve it" in response.text
    assert Reply.objects.get().status == Reply.Status.DRAFT


def test_the_qa_page_shows_a_masked_preview_and_refuses_personal_data(client, officer, hoiku):
    opinion = OpinionFactory(
        text="ベンチがほしい。連絡は jiro.minato@example.com か 090-1234-5678 へ。")
    services.opinion_route(opinion=opinion, department=hoiku, actor=officer)
    client.force_login(officer)
    url = reverse("feedback:staff_qa", args=[opinion.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "ベンチがほしい。連絡は ＊＊＊ か ＊＊＊ へ。" in response.text
    response = client.post(url, {"question": "090-1234-5678 の人の質問", "answer": "回答",
                                 "action": "publish"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "Remove the personal data" in response.text
    response = client.post(url, {"question": "ベンチを増やしてほしい。", "answer": "検討します。",
                                 "action": "publish"})
    assert response.status_code == 302
    assert "ベンチを増やしてほしい。" in client.get(reverse("feedback:qa_list")).text


def test_monthly_counts_and_csv(client, officer, hoiku, other_clerk):
    from django.utils import timezone

    first = OpinionFactory()
    OpinionFactory(wants_reply=False, contact_email="")
    services.opinion_route(opinion=first, department=hoiku, actor=officer)
    month = timezone.localdate().strftime("%Y-%m")
    url = reverse("feedback:staff_stats")
    client.force_login(other_clerk)
    assert client.get(url).status_code == 403
    client.force_login(officer)
    response = client.get(url + f"?month={month}")
    assert response.status_code == 200 and "保育課" in response.text
    response = client.get(url + f"?month={month}&format=csv&encoding=utf-8")
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "対象月,区分,項目,件数" in text and f"{month},合計,,2" in text
    assert f"{month},担当課,子ども家庭支援部 保育課,1" in text or "保育課,1" in text
    assert f"{month},受付方法,ウェブ,2" in text
    response = client.get(url + f"?month={month}&format=csv&encoding=shift_jis")
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    assert "まちづくり" in response.content.decode("cp932")
    for bad in ("?month=2026-13", "?month=9999-12", "?month=abc", "?encoding=ebcdic"):
        assert client.get(url + bad).status_code == 400
    assert "jiro" not in text
