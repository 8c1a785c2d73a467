"""The immunisation pages (取組23) in a real browser: axe-core finds no WCAG 2.2 A/AA violation
on the guardian's list of children, a child's plan (also with a refused reschedule), the
forms with and without errors, the printable plan and the staff read; and the one-step
reschedule works without JavaScript."""

import datetime
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _check_pages,
    _format_violations,
    _new_page,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _guardian():
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User

    return User.objects.get(email=RESIDENTS["mika"].email)


def _infant(user):
    from cityhall.childcare.models import ChildProfile

    return ChildProfile.objects.filter(guardian__user=user).order_by("-date_of_birth").first()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_guardians_pages_are_accessible(browser, demo_site, language):  # noqa: F811
    user = _guardian()
    infant = _infant(user)
    dose = infant.doses.first()
    context, page = _signed_in_context(browser, demo_site, user, language=language)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("childcare:children"), False, 200),
            (reverse("childcare:child", args=[infant.pk]), False, 200),
            (reverse("childcare:child_print", args=[infant.pk]), False, 200),
            (reverse("childcare:child_new"), False, 200),
            (reverse("childcare:child_new"), True, 400),
            (reverse("childcare:child_edit", args=[infant.pk]), False, 200),
            (reverse("childcare:child_delete", args=[infant.pk]), False, 200),
            (reverse("childcare:dose_remove", args=[infant.pk, dose.pk]), False, 200),
            (reverse("childcare:dose_new", args=[infant.pk]), False, 200),
            (reverse("childcare:dose_new", args=[infant.pk]), True, 400),
        ])
        # The errors of the dose form are tied to their fields.
        vaccine = page.locator("#id_vaccine")
        assert vaccine.get_attribute("aria-invalid") == "true"
        assert "id_vaccine_error" in vaccine.get_attribute("aria-describedby")
        # A refused reschedule: the plan again, with the form open and its error.
        page.goto(demo_site.url + reverse("childcare:child", args=[infant.pk]))
        page.click("#series-hepb summary")
        page.check("#id_hepb-what_1")
        page.fill("#id_hepb-new_date",
                  (timezone.localdate() + datetime.timedelta(days=1)).isoformat())
        with page.expect_navigation():
            page.click("#series-hepb button[type=submit]")
        assert page.locator("#series-hepb .error-summary").count() == 1
        assert page.locator("#id_hepb-new_date").get_attribute("aria-invalid") == "true"
        violations = _axe_violations(page, demo_site)
        if violations:
            found.append("plan (refused reschedule):\n" + _format_violations(violations))
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_the_reschedule_works_without_javascript(browser, demo_site):  # noqa: F811
    from cityhall.childcare.models import DoseAppointment

    user = _guardian()
    infant = _infant(user)
    new_date = timezone.localdate() + datetime.timedelta(days=10)
    context, page = _signed_in_context(browser, demo_site, user, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("childcare:child", args=[infant.pk]))
        page.click("#series-dpt_ipv_hib summary")
        page.check("#id_dpt_ipv_hib-what_1")
        page.fill("#id_dpt_ipv_hib-new_date", new_date.isoformat())
        with page.expect_navigation():
            page.click("#series-dpt_ipv_hib button[type=submit]")
        assert "the dates below have been recalculated" in page.inner_text("main")
    finally:
        context.close()
    assert DoseAppointment.objects.get(child=infant, series="dpt_ipv_hib").planned_on == \
        new_date


def test_the_staff_record_is_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    officer = User.objects.get(email=STAFF["yobou_officer"].email)
    give_second_factor(officer)
    infant = _infant(_guardian())
    url = reverse("childcare:staff_child", args=[infant.pk])
    context, page = _signed_in_context(browser, demo_site, officer)
    try:
        found = _check_pages(page, demo_site, [(url, False, 200), (url, True, 400)])
        page.fill("#id_purpose", "接種歴の問い合わせへの回答")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert page.locator("main h1").count() == 1
        assert page.locator("#id_dose-vaccine").count() == 1
        violations = _axe_violations(page, demo_site)
        if violations:
            found.append(f"{url} (record):\n" + _format_violations(violations))
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
