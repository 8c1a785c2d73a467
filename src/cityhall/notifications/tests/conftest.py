"""Fixtures of the notifications tests: channels pointed at the local fake servers."""

import pytest

from cityhall.notifications.keys import vapid_key_pair

from .fakes import FakeLine, FakePush

LINE_SECRET = "test-channel-secret"
LINE_TOKEN = "test-access-token"


@pytest.fixture
def line_api(settings):
    with FakeLine(token=LINE_TOKEN) as fake:
        settings.LINE_API_BASE = fake.url
        settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
        settings.LINE_CHANNEL_SECRET = LINE_SECRET
        yield fake


@pytest.fixture
def push_service(settings):
    private, public = vapid_key_pair()
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_SUBJECT = "mailto:bousai@city.minato.example"
    settings.WEBPUSH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBPUSH_ALLOW_HTTP = True
    with FakePush(public) as fake:
        yield fake


@pytest.fixture
def topics(minato):
    from cityhall.notifications.models import Topic

    return {topic.key: topic for topic in Topic.objects.all()}


def line_user(n: int) -> str:
    return "U" + f"{n:032x}"
