"""The JSON API and the LINE handler answer with the same engine and rules."""

import pytest
from django.apps import apps

from cityhall.faq.line import answer_line_text
from cityhall.faq.models import QuestionLog
from cityhall.notifications.tests.conftest import line_api, line_user  # noqa: F401

pytestmark = pytest.mark.django_db


def test_ask_answers(client, knowledge):
    response = client.post("/api/v1/faq/ask", {"question": "転入届", "language": "ja"},
                           content_type="application/json")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "answer"
    assert body["answer"]["key"] == "moving-in"
    assert body["answer"]["url"] == "/faq/moving-in/"
    assert QuestionLog.objects.get().channel == "api"


def test_ask_does_not_know(client, knowledge):
    body = client.post("/api/v1/faq/ask", {"question": "今日の天気は"},
                       content_type="application/json").json()
    assert body["status"] == "unknown"
    assert body["answer"] is None
    assert len(body["suggestions"]) <= 3
    assert body["contact"]["phone"] == "03-3578-2111"


def test_ask_in_english(client, knowledge):
    body = client.post("/api/v1/faq/ask", {"question": "daycare application",
                                           "language": "en"},
                       content_type="application/json").json()
    assert body["answer"]["key"] == "nursery-apply"
    assert body["answer"]["language"] == "en"


@pytest.mark.parametrize("payload", [
    {"question": ""}, {"question": "x" * 5000}, {"question": "\x00\x01"}, {},
    {"question": "<script>alert(1)</script>"},
])
def test_ask_bad_input_is_polite(client, knowledge, payload):
    response = client.post("/api/v1/faq/ask", payload, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] in ("empty", "too_long", "unreadable", "unknown")


def test_ask_schema_errors_use_the_error_shape(client, knowledge):
    response = client.post("/api/v1/faq/ask", b"\xff\xfe", content_type="application/json")
    assert response.status_code in (400, 422)
    response = client.post("/api/v1/faq/ask", {"question": 5}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    response = client.post("/api/v1/faq/ask", {"question": "x" * 100_001},
                           content_type="application/json")
    assert response.status_code == 422


def test_entries_list_only_published(client, knowledge):
    body = client.get("/api/v1/faq/entries?limit=100").json()
    keys = {item["key"] for item in body["items"]}
    assert "moving-in" in keys and "draft-secret" not in keys
    english = client.get("/api/v1/faq/entries?language=en&category=garbage").json()["items"]
    assert {item["language"] for item in english} == {"en"}


def test_line_handler_answers_with_the_same_engine(knowledge):
    reply = answer_line_text("U123", "転入届", "ja")
    assert reply.startswith("港区に引っ越してきたときの手続きは何ですか。")
    assert "<p>" not in reply
    assert QuestionLog.objects.get().channel == "line"
    unknown = answer_line_text("U123", "今日の天気は", "ja")
    assert "03-3578-2111" in unknown
    assert answer_line_text("U123", "", "en").startswith("Please type your question")


def test_the_api_is_rate_limited(client, knowledge):
    from cityhall.faq import chat

    for _ in range(chat.RATE_LIMIT):
        client.post("/api/v1/faq/ask", {"question": "転入届"}, content_type="application/json")
    response = client.post("/api/v1/faq/ask", {"question": "転入届"},
                           content_type="application/json")
    assert response.status_code == 429
    assert response.json()["status"] == "rate_limited"


def test_a_question_sent_to_the_line_account_is_answered_through_the_webhook(
        client, knowledge, line_api):  # noqa: F811
    from cityhall.notifications.tests.test_line import event, payload, post, sign

    def send(text):
        body = payload(event("message", line_user(31), replyToken="r" * 32,
                             message={"id": "1", "type": "text", "text": text,
                                      "quoteToken": "q"}))
        assert post(client, body, sign(body)).status_code == 200

    send("転入届")
    send("ご意見 図書館をもっと遅くまで開けてほしい")
    answer, opinion_receipt = [reply["messages"][0]["text"] for reply in line_api.replies]
    assert answer.startswith("港区に引っ越してきたときの手続きは何ですか。")
    # An opinion is the feedback app's, when it is installed: the bot does not answer it.
    assert QuestionLog.objects.filter(channel="line").count() == 1
    if apps.is_installed("cityhall.feedback"):
        assert "港区に引っ越して" not in opinion_receipt
