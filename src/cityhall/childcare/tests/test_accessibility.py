"""The staff pages of nursery admission in a real browser (取組7): axe-core finds no WCAG 2.2
A/AA violation on the rounds, on a round page while its run waits, runs, has failed and is
done, and on a child's page with the family form (empty and refused)."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _check_pages,
    _format_violations,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def test_round_and_family_pages_are_accessible(browser, demo_site):  # noqa: F811
    from django.db.models import Count

    from cityhall.childcare.models import AdmissionRound, Household, MatchingRun
    from cityhall.childcare.services import jobs, runs
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    officer = User.objects.get(email=STAFF["hoiku_officer"].email)
    give_second_factor(officer)
    round_ = AdmissionRound.objects.get(is_demo=True)
    runs.round_run(round=round_, actor=officer, time_limit=2)
    household = (Household.objects.filter(round=round_).annotate(n=Count("applications"))
                 .filter(n__gt=1).order_by("family_code").first())
    child = household.applications.order_by("number").first()
    round_page = reverse("childcare:round", args=[round_.pk])
    child_page = reverse("childcare:application", args=[child.pk])
    found = []
    for language in ("ja", "en"):
        context, page = _signed_in_context(browser, demo_site, officer, language=language)
        try:
            found += _check_pages(page, demo_site, [
                (reverse("childcare:rounds"), False, 200),
                (round_page, False, 200),
                (child_page, False, 200),
            ])
            # The family form sent without a reason: refused, with its error.
            with page.expect_navigation():
                page.click("form[action$='household-override/'] button[type=submit]")
            assert page.locator(".error-summary").count() == 1
            violations = _axe_violations(page, demo_site)
            if violations:
                found.append(f"{child_page} (family form refused):\n"
                             + _format_violations(violations))
        finally:
            context.close()
    run = jobs.matching_run_request(round=round_, actor=officer, enqueue=False)
    states = [
        ("queued", {}),
        ("running", {"state": MatchingRun.State.RUNNING, "attempts": 2,
                     "phase": MatchingRun.Phase.SOLVING}),
        ("failed", {"state": MatchingRun.State.FAILED, "error_code": "internal"}),
    ]
    for name, fields in states:
        MatchingRun.objects.filter(pk=run.pk).update(**fields)
        for language in ("ja", "en"):
            context, page = _signed_in_context(browser, demo_site, officer, language=language)
            try:
                found += [f"({name}) {text}" for text in _check_pages(
                    page, demo_site, [(round_page, False, 200)])]
            finally:
                context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
