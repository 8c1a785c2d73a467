"""The pages of publishing a round's result and its letters (取組7) in a real browser:
axe-core finds no WCAG 2.2 A/AA violation on the round page with the publish button and the
letters, the publish confirmation, and the letters' progress page (printing and ready), in
Japanese and English; the progress page refreshes itself without JavaScript."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _format_violations,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _confirmed_demo_round():
    from cityhall.childcare import demo
    from cityhall.childcare.models import AdmissionRound
    from cityhall.childcare.services import runs
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    officer = User.objects.get(email=STAFF["hoiku_officer"].email)
    give_second_factor(officer)
    round_ = AdmissionRound.objects.get(name=demo.ROUND_NAME)
    runs.round_run(round=round_, actor=officer, time_limit=5.0)
    runs.round_confirm(round=round_, actor=officer)
    return round_, officer


def test_the_publishing_and_letters_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.childcare.models import LetterBatch

    round_, officer = _confirmed_demo_round()
    printing = LetterBatch.objects.create(round=round_, requested_by=officer,
                                          state="running", total=175, done=40)
    ready = LetterBatch.objects.create(round=round_, requested_by=officer, state="done",
                                       total=175, done=175, size=2_400_000)
    urls = [reverse("childcare:round", args=[round_.pk]),
            reverse("childcare:round_publish", args=[round_.pk]),
            reverse("childcare:letters_batch", args=[round_.pk, printing.pk]),
            reverse("childcare:letters_batch", args=[round_.pk, ready.pk])]
    for language in ("ja", "en"):
        context, page = _signed_in_context(browser, demo_site, officer, language=language)
        try:
            for url in urls:
                response = page.goto(demo_site.url + url)
                assert response.status == 200, url
                violations = _axe_violations(page, demo_site)
                assert not violations, f"{url}:\n" + _format_violations(violations)
        finally:
            context.close()


def test_the_progress_page_refreshes_without_javascript(browser, demo_site):  # noqa: F811
    from cityhall.childcare.models import LetterBatch

    round_, officer = _confirmed_demo_round()
    batch = LetterBatch.objects.create(round=round_, requested_by=officer, state="running",
                                       total=175, done=40)
    context, page = _signed_in_context(browser, demo_site, officer, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("childcare:letters_batch",
                                          args=[round_.pk, batch.pk]))
        assert "40 of 175 households printed" in page.inner_text("#letters-progress")
        LetterBatch.objects.filter(pk=batch.pk).update(done=175, state="done", size=1000)
        with page.expect_navigation(timeout=60000):  # the page's own refresh
            pass
        assert "175 of 175 households printed" in page.inner_text("#letters-progress")
        assert page.locator("#letters-progress a[download]").count() == 1
        # Publishing works without JavaScript: the confirmation page and its button.
        page.goto(demo_site.url + reverse("childcare:round", args=[round_.pk]))
        with page.expect_navigation():
            page.click("text=Publish the result…")
        with page.expect_navigation():
            page.click("form button[type=submit]:has-text('Publish the result')")
        round_.refresh_from_db()
        assert round_.state == "published"
    finally:
        context.close()
