"""Opinions sent to the LINE official account (取組11), through the real webhook view with a
correctly signed body and the notifications tests' fake LINE server."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from cityhall.feedback.line import opinion_text
from cityhall.feedback.models import Opinion
from cityhall.notifications.tests.conftest import line_api, line_user  # noqa: F401
from cityhall.notifications.tests.test_line import event, payload, post, sign

pytestmark = pytest.mark.django_db


def send(client, user, text, token="f" * 32):
    body = payload(event("message", user, replyToken=token,
                         message={"id": "1", "type": "text", "text": text, "quoteToken": "q"}))
    assert post(client, body, sign(body)).status_code == 200


def replies(line_api):  # noqa: F811
    return [reply["messages"][0]["text"] for reply in line_api.replies]


@pytest.mark.parametrize(("text", "expected"), [
    ("意見 公園にベンチを", "公園にベンチを"), ("ご意見：駐輪場を増やして", "駐輪場を増やして"),
    ("Opinion: more benches", "more benches"), ("opinion\nline two", "line two"),
    ("意見", ""), ("意見箱はどこですか", None), ("避難所はどこ", None), ("", None)])
def test_the_keyword(text, expected):
    assert opinion_text(text) == expected


def test_a_line_opinion_is_recorded_and_acknowledged(client, minato, line_api):  # noqa: F811
    user = line_user(21)
    send(client, user, "ご意見 図書館の開館時間を延ばしてほしい")
    opinion = Opinion.objects.get()
    assert opinion.channel == "line" and opinion.line_user_id == user
    assert opinion.text == "図書館の開館時間を延ばしてほしい"
    assert opinion.topic.code == "general" and not opinion.wants_reply
    assert opinion.sender is None and opinion.contact_email == ""
    [text] = replies(line_api)
    assert opinion.reference in text
    # Other texts still get the help reply and store nothing.
    send(client, user, "こんにちは")
    assert Opinion.objects.count() == 1
    # (answered by the next handler — the FAQ chatbot where installed — or the help reply)
    assert len(replies(line_api)) == 2 and opinion.reference not in replies(line_api)[1]


def test_a_keyword_alone_gets_instructions_and_stores_nothing(client, minato,
                                                              line_api):  # noqa: F811
    send(client, line_user(22), "意見")
    assert not Opinion.objects.exists()
    assert "意見" in replies(line_api)[0]


def test_too_long_is_refused_with_a_message(client, minato, line_api):  # noqa: F811
    send(client, line_user(23), "意見 " + "あ" * 2001)
    assert not Opinion.objects.exists()
    assert "2000" in replies(line_api)[0]


def test_the_line_rate_limit(client, minato, line_api, settings):  # noqa: F811
    settings.FEEDBACK_RATE_LIMIT_PER_HOUR = 2
    user = line_user(24)
    for n in range(3):
        send(client, user, f"意見 その{n}")
    assert Opinion.objects.count() == 2
    with translation.override("ja"):
        limited = gettext("You have sent many opinions in a short time. Please wait an hour "
                          "and send it again.")
    assert replies(line_api)[2] == limited
    assert Opinion.objects.filter(text="その2").count() == 0
    # Another LINE user is not limited by the first one.
    send(client, line_user(25), "意見 別の人")
    assert Opinion.objects.count() == 3
