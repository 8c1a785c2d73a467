"""The staff child page of nursery admission (取組7) in a real browser, on the demo round after
a run: axe-core finds no WCAG 2.2 A/AA violation on the page of a child with an adjustment at
one nursery (施設別加点: the extra table and the "score here" column) and of a child of a
household under a staggered sibling rule (別月入所可)."""

import os

import pytest
from django.urls import reverse

from cityhall.childcare.models import AdmissionRound, Application, Household
from cityhall.childcare.services import runs
from cityhall.core.tests.factories import StaffFactory
from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _format_violations,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["ja", "en"])
def test_child_pages_with_bonus_and_staggered_rule_are_accessible(browser, demo_site,  # noqa: F811
                                                                  language):
    # A factory officer (the demo persona would be sent to its second factor first).
    officer = StaffFactory(roles=("nursery_admissions_officer",), department="hoiku",
                           branch_office="main", email=f"hoiku-axe-{language}@city.example")
    round_ = AdmissionRound.objects.get(is_demo=True)
    runs.round_run(round=round_, actor=officer)
    with_bonus = Application.objects.filter(round=round_, points__nursery__isnull=False)[0]
    staggered = Application.objects.filter(
        round=round_, household__in=Household.objects.filter(
            round=round_, sibling_rule__startswith="staggered_"))[0]
    context, page = _signed_in_context(browser, demo_site, officer, language=language)
    try:
        for application in (with_bonus, staggered):
            url = reverse("childcare:application", args=[application.pk])
            response = page.goto(demo_site.url + url)
            assert response.status == 200, url
            violations = _axe_violations(page, demo_site)
            assert not violations, f"{url}\n" + _format_violations(violations)
            if application == with_bonus:  # score, points at one nursery, wishes
                assert page.locator("table").count() == 3
    finally:
        context.close()
