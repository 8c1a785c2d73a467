"""The residents' pages and the staff back office: the chat with and without htmx, feedback,
entry and category pages, the widget on every portal page, bad input, and permissions for
anonymous visitors, residents, staff without and with the FAQ roles."""

import pytest
from django.urls import reverse

from cityhall.faq.models import Entry, QuestionLog

pytestmark = pytest.mark.django_db

ASK = "/faq/"


def test_the_widget_is_on_portal_pages_but_not_on_the_faq_page(client, knowledge):
    home = client.get("/").content.decode()
    assert 'class="faq-widget"' in home
    assert 'action="/faq/"' in home
    assert 'class="faq-widget"' not in client.get(ASK).content.decode()


def test_asking_without_javascript_renders_the_whole_page(client, knowledge):
    response = client.post(ASK, {"q": "転入届"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "港区に引っ越してきたときの手続きは何ですか。" in html
    assert 'href="/procedures/moving-in/"' in html
    log = QuestionLog.objects.get()
    assert log.answered and log.top_entry.key == "moving-in" and log.channel == "web"


def test_asking_with_htmx_renders_only_the_reply(client, knowledge):
    response = client.post(ASK, {"q": "転入届"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "faq-message--answer" in html


def test_an_unknown_question_offers_entries_and_the_office(client, knowledge):
    html = client.post(ASK, {"q": "区長の好きな食べ物は"}).content.decode()
    assert "faq-message--unknown" in html
    assert "03-3578-2111" in html
    assert "faq-message--answer" not in html
    assert QuestionLog.objects.get().answered is False


def test_english_pages(client, knowledge):
    client.cookies["django_language"] = "en"
    html = client.post(ASK, {"q": "lost my number card"}).content.decode()
    assert "I lost my My Number Card." in html
    html = client.get(reverse("faq:entry_detail", args=["moving-in"])).content.decode()
    assert "What do I need to do when I move into Minato City?" in html


@pytest.mark.parametrize("question", [
    "", "   \n\t ", "あ" * 100_000, "\x00\x01\x02binary\xff", "<script>alert('x')</script>住民票",
    "%00%ff", "😀" * 50, "' OR 1=1 --",
])
def test_bad_input_gets_a_polite_reply(client, knowledge, question):
    response = client.post(ASK, {"q": question})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    for log in QuestionLog.objects.all():
        assert len(log.text) <= 500
        assert "\x00" not in log.text


def test_html_in_a_question_is_escaped(client, knowledge):
    html = client.post(ASK, {"q": "<b>住民票</b><img src=x onerror=alert(1)>"}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;b&gt;住民票&lt;/b&gt;" in html


def test_a_binary_upload_as_question_is_answered_politely(client, knowledge):
    response = client.post(ASK, data=b"\x89PNG\r\n\x1a\n\x00\x00", content_type="image/png")
    assert response.status_code == 200


def test_feedback(client, knowledge):
    from cityhall.faq.views import feedback_token

    client.post(ASK, {"q": "転入届"})
    log = QuestionLog.objects.get()
    response = client.post(reverse("faq:feedback"), {"token": feedback_token(log.pk),
                                                     "helpful": "no"})
    assert response.status_code == 200
    log.refresh_from_db()
    assert log.helpful is False
    assert client.post(reverse("faq:feedback"), {"token": "forged", "helpful": "yes"}
                       ).status_code == 400
    log.refresh_from_db()
    assert log.helpful is False


def test_only_published_entries_have_pages(client, knowledge):
    assert client.get(reverse("faq:entry_detail", args=["bulky-waste-how"])).status_code == 200
    assert client.get(reverse("faq:entry_detail", args=["draft-secret"])).status_code == 404
    assert client.get(reverse("faq:category_detail", args=["garbage"])).status_code == 200
    assert client.get(reverse("faq:category_detail", args=["nope"])).status_code == 404


def test_the_chat_is_rate_limited(client, knowledge, settings):
    from cityhall.faq import chat

    for _ in range(chat.RATE_LIMIT):
        client.post(ASK, {"q": "転入届"})
    assert client.post(ASK, {"q": "転入届"}).status_code == 429


# --- staff ---------------------------------------------------------------------------------

STAFF_URLS = ["/faq/staff/", "/faq/staff/entries/bulky-waste-how/", "/faq/staff/synonyms/",
              "/faq/staff/questions/", "/faq/staff/export.csv?encoding=shift_jis"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, knowledge, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_residents_and_staff_without_the_role_are_refused(client, knowledge, hanako,
                                                          staff_with_roles, url):
    client.force_login(hanako.user)
    assert client.get(url).status_code == 403
    client.force_login(staff_with_roles("counter_clerk"))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", STAFF_URLS)
def test_faq_editors_see_the_back_office(client, knowledge, staff_with_roles, url):
    client.force_login(staff_with_roles("faq_editor"))
    assert client.get(url).status_code == 200


def test_an_editor_creates_edits_and_publishes(client, knowledge, staff_with_roles):
    client.force_login(staff_with_roles("faq_editor"))
    response = client.post(reverse("faq:staff_entry_create"), {
        "key": "library-hours", "category": "registration", "department": "koseki",
        "question_ja": "図書館の開館時間は？", "answer_ja": "<p>午前9時からです。</p>"})
    assert response.status_code == 302
    entry = Entry.objects.get(key="library-hours")
    assert entry.status == "draft"
    response = client.post(reverse("faq:staff_entry_edit", args=["library-hours"]), {
        "key": "library-hours", "category": "registration", "department": "koseki",
        "question_ja": "図書館は何時から？", "answer_ja": "<p>午前9時からです。</p>",
        "phrasings_ja": "図書館の開館時間\n図書館 何時", "revision": entry.revision})
    assert response.status_code == 302
    client.post(reverse("faq:staff_entry_status", args=["library-hours"]),
                {"status": "published"})
    entry.refresh_from_db()
    assert entry.status == "published"
    assert entry.phrasings_ja == ["図書館の開館時間", "図書館 何時"]
    assert [r.action for r in entry.revisions.order_by("number")] == [
        "create", "update", "publish"]
    html = client.get(reverse("faq:staff_entry_edit", args=["library-hours"])).content.decode()
    assert "publish" in html and "question_ja" in html  # the history table


def test_a_department_editor_cannot_change_another_department(client, knowledge,
                                                              staff_with_roles):
    client.force_login(staff_with_roles("faq_department_editor", department="koseki"))
    url = reverse("faq:staff_entry_edit", args=["bulky-waste-how"])
    assert client.get(url).status_code == 200  # may read
    response = client.post(url, {"key": "bulky-waste-how", "category": "garbage",
                                 "question_ja": "改ざん", "answer_ja": "<p>x</p>"})
    assert response.status_code == 403
    assert Entry.objects.get(key="bulky-waste-how").question_ja != "改ざん"
    assert client.post(reverse("faq:staff_entry_status", args=["bulky-waste-how"]),
                       {"status": "draft"}).status_code == 403


def test_csv_export_and_import_pages(client, knowledge, staff_with_roles):
    client.cookies["django_language"] = "en"
    client.force_login(staff_with_roles("faq_editor"))
    response = client.get("/faq/staff/export.csv?encoding=shift_jis")
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    data = response.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("faq:staff_import"), {
        "file": SimpleUploadedFile("faq.csv", data), "encoding": "shift_jis"}, follow=True)
    assert "0 new, 0 changed" in response.content.decode()
    bad = "key,category,question_ja,answer_ja\r\nx-1,nowhere,質問,<p>答え</p>\r\n".encode("cp932")
    response = client.post(reverse("faq:staff_import"), {
        "file": SimpleUploadedFile("faq.csv", bad), "encoding": "shift_jis"}, follow=True)
    assert "Row 2, column category" in response.content.decode()
    assert client.get("/faq/staff/export.csv?encoding=latin1").status_code == 400


def test_the_learning_loop_in_two_clicks(client, knowledge, staff_with_roles):
    client.cookies["django_language"] = "en"
    from cityhall.faq import services

    for question in ("図書館の開館時間", "図書館は何時に開館しますか", "図書館の開館時間を教えて"):
        services.question_log_record(text=question, language="ja", channel="web",
                                     top_entry_id=None, score=0.1, answered=False)
    client.force_login(staff_with_roles("faq_editor"))
    html = client.get(reverse("faq:staff_questions")).content.decode()
    assert "3 questions" in html
    ids = ",".join(str(pk) for pk in QuestionLog.objects.values_list("pk", flat=True))
    response = client.post(reverse("faq:staff_questions_new_entry"),
                           {"log_ids": ids, "category": "registration"})
    assert response.status_code == 302
    entry = Entry.objects.filter(status="draft").exclude(key="draft-secret").get()
    assert response["Location"] == reverse("faq:staff_entry_edit", args=[entry.key])
    assert entry.question_ja.startswith("図書館")
    assert "No open questions" in client.get(reverse("faq:staff_questions")).content.decode()


def test_synonyms_page(client, knowledge, staff_with_roles):
    client.force_login(staff_with_roles("faq_editor"))
    response = client.post(reverse("faq:staff_synonyms"), {"terms": "図書館, としょかん"})
    assert response.status_code == 302
    assert client.post(reverse("faq:staff_synonyms"), {"terms": "一つ"}).status_code == 400
