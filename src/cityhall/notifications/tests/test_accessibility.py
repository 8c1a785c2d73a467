"""The notifications pages in a real browser (取組12, 17): axe-core finds no WCAG 2.2 A/AA
violation on the subscription page (four languages, anonymous and signed in), the settings,
unsubscribe and confirmation pages reached by token, the signage screen, the inbox and the
staff pages (messages, composer with and without errors, progress)."""

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


def test_signed_in_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User
    from cityhall.notifications import services
    from cityhall.notifications.models import Delivery, Topic

    hanako = User.objects.get(email=RESIDENTS["hanako"].email)
    subscription = services.subscription_for_user(hanako)
    subscription.topics.set([Topic.objects.get(key="disaster")])
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS,
                                       dedupe_key="a11y-inbox")
    services.message_expand(message_id=message.pk)
    row = Delivery.objects.get(message=message, subscription=subscription, channel="inbox")
    found = []
    for language in ("ja", "en"):
        # axe runs as a script, so these pages are checked with JavaScript on; the page
        # tests check that the forms work as plain HTML.
        context, page = _signed_in_context(browser, demo_site, hanako, language=language)
        try:
            found += _check_pages(page, demo_site, [
                (reverse("notifications:subscribe"), False, 200),
                (reverse("notifications:inbox"), False, 200),
                (reverse("notifications:inbox_item", args=[row.pk]), False, 200)])
        finally:
            context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_staff_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor
    from cityhall.notifications import services

    manager = User.objects.get(email=STAFF["shiba_manager"].email)
    give_second_factor(manager)
    message = services.message_publish(topic_keys=["disaster"], texts=TEXTS,
                                       dedupe_key="a11y-staff")
    found = []
    for language in ("ja", "en"):
        context, page = _signed_in_context(browser, demo_site, manager, language=language)
        try:
            found += _check_pages(page, demo_site, [
                (reverse("notifications:staff_home"), False, 200),
                (reverse("notifications:staff_compose"), False, 200),
                (reverse("notifications:staff_compose"), True, 400),
                (reverse("notifications:staff_message", args=[message.pk]), False, 200),
            ])
        finally:
            context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
