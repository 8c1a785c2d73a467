"""The public notifications pages in a real browser (取組12, 17): axe-core finds no WCAG 2.2
A/AA violation on the subscription page (four languages), the settings, unsubscribe and
confirmation pages reached by token, and the signage screen."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
    _check_pages,
    _new_page,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

TEXTS = {"ja": {"subject": "防災訓練", "body": "10月1日に防災訓練を行います。"},
         "en": {"subject": "Disaster drill", "body": "A disaster drill on 1 October."},
         "zh-hans": {"subject": "防灾演练", "body": "10月1日举行防灾演练。"},
         "ko": {"subject": "방재 훈련", "body": "10월 1일에 방재 훈련을 합니다."}}


@pytest.mark.parametrize("language", ["ja", "en", "zh-hans", "ko"])
def test_the_subscription_page_is_accessible(browser, demo_site, language):  # noqa: F811
    _assert_accessible(browser, demo_site, reverse("notifications:subscribe"),
                       language=language)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_signage_screen_is_accessible(browser, demo_site, language):  # noqa: F811
    from cityhall.notifications import services

    services.message_publish(topic_keys=["disaster"], texts=TEXTS, dedupe_key=f"a11y-{language}")
    _assert_accessible(browser, demo_site, reverse("notifications:signage") + f"?lang={language}",
                       language=language)


def test_pages_by_token_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.notifications.models import Subscription

    subscription = Subscription.objects.create(email="a11y@example.jp", via_email=True,
                                               confirmed=False)
    for name in ("manage", "unsubscribe", "confirm"):
        for language in ("ja", "en"):
            _assert_accessible(browser, demo_site,
                               reverse(f"notifications:{name}", args=[subscription.token]),
                               language=language)
