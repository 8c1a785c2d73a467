"""The staff coverage page of the immunisation schedule (取組23) in a real browser: axe-core
finds no WCAG 2.2 A/AA violation, in Japanese and English, with figures (hidden cells
included), with a bad filter (400), and for a branch-scoped 支所長."""

import datetime
import os

import pytest

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _format_violations,
    _signed_in_context,
    browser,
    demo_site,
)

from .imm_ops_fixtures import make_child, staff_with

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

URL = "/childcare/staff/immunisation/coverage/"


def _population():
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import ResidentProfile

    guardian = ResidentProfile.objects.get(user__email=RESIDENTS["hanako"].email)
    today = datetime.date.today()
    born = today.replace(day=1) - datetime.timedelta(days=400)
    for i in range(12):
        make_child(guardian, born, branch="shiba" if i < 8 else "azabu",
                   doses=[("bcg", None, born + datetime.timedelta(days=170))] if i % 3 else [])


def test_the_coverage_page_is_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User

    _population()
    officer = staff_with("view_coverage", "view_all_children", branch="main")
    manager = User.objects.get(email=STAFF["shiba_manager"].email)
    found = []
    for user, language, query, status in [
            (officer, "ja", "", 200), (officer, "en", "?series=bcg", 200),
            (officer, "en", "?cohort=abc", 400), (manager, "ja", "", 200)]:
        context, page = _signed_in_context(browser, demo_site, user, language=language)
        try:
            response = page.goto(demo_site.url + URL + query)
            assert response.status == status, (language, query, response.status)
            assert page.get_attribute("html", "lang") == language
            violations = _axe_violations(page, demo_site)
            if violations:
                found.append(f"{URL}{query} ({language}):\n" + _format_violations(violations))
        finally:
            context.close()
    assert not found, "\n".join(found)
