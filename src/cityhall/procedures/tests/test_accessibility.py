"""The procedures pages in a real browser: axe-core finds no WCAG 2.2 A/AA violation, the
navigator works without JavaScript, and a saved checklist is reachable when signed in."""

import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _assert_accessible,
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

NAVIGATOR_RESULT = ("/procedures/navigator/birth/?show=1&event_date=2026-04-01"
                    "&q_insurance=nhi&q_birth_weight_grams=")


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("path", [
    "/procedures/", "/procedures/?q=てんにゅう", "/procedures/?life_event=birth",
    "/procedures/moving-in-notification/", "/procedures/navigator/",
    "/procedures/navigator/birth/", NAVIGATOR_RESULT,
])
def test_procedure_pages_are_accessible(browser, demo_site, path, language):  # noqa: F811
    _assert_accessible(browser, demo_site, path, language=language)


def test_navigator_errors_are_accessible(browser, demo_site):  # noqa: F811
    _assert_accessible(browser, demo_site,
                       "/procedures/navigator/birth/?show=1&q_birth_weight_grams=heavy",
                       expect_status=400)


def test_navigator_works_without_javascript(browser, demo_site):  # noqa: F811
    context, page = _new_page(browser, language="en", javascript=False)
    try:
        page.goto(demo_site.url + "/procedures/navigator/birth/")
        page.fill("input[name=event_date]", "2026-04-01")
        page.check("input[name=q_insurance][value=employee]")
        page.click("form.navigator-form button[type=submit]")
        page.wait_for_load_state("load")
        text = page.inner_text("main")
        assert "Your checklist" in text
        assert "By April 14, 2026" in text
    finally:
        context.close()


def test_saved_checklist_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User
    from cityhall.procedures.models import LifeEvent
    from cityhall.procedures.services import checklist_save

    user = User.objects.get(email=RESIDENTS["hanako"].email)
    saved = checklist_save(user=user, life_event=LifeEvent.objects.get(code="birth"),
                           answers={"insurance": "nhi"}, event_date=None, actor=user)
    context, page = _signed_in_context(browser, demo_site, user)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("procedures:my_checklists"), False, 200),
            (reverse("procedures:my_checklist", args=[saved.pk]), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_application_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import RESIDENTS
    from cityhall.core.models import User
    from cityhall.procedures import services
    from cityhall.procedures.models import Procedure

    user = User.objects.get(email=RESIDENTS["hanako"].email)
    procedure = Procedure.objects.get(code="dog-registration")
    application = services.application_start(procedure=procedure, applicant=user, actor=user)
    context, page = _signed_in_context(browser, demo_site, user)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("procedures:procedure_detail", args=[procedure.code]), False, 200),
            (reverse("procedures:application_start", args=[procedure.code]), False, 200),
            (reverse("procedures:application_edit", args=[application.pk]), False, 200),
            # Continuing with nothing filled in shows every error, tied to its field.
            (reverse("procedures:application_edit", args=[application.pk]), True, 400),
        ])
        dog_name = page.locator("#id_dog_name")
        assert dog_name.get_attribute("aria-invalid") == "true"
        services.application_save_draft(application=application, data={
            "dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
            "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01",
            "rabies_vaccination": True}, actor=user)
        found += _check_pages(page, demo_site, [
            (reverse("procedures:application_confirm", args=[application.pk]), False, 200),
        ])
        services.application_submit(application=application, actor=user)
        found += _check_pages(page, demo_site, [
            (reverse("procedures:application_detail", args=[application.pk]), False, 200),
            (reverse("procedures:my_applications"), False, 200),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_review_pages_are_accessible(browser, demo_site):  # noqa: F811
    from cityhall.core.demo import RESIDENTS, STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor
    from cityhall.procedures import services
    from cityhall.procedures.models import Procedure

    resident = User.objects.get(email=RESIDENTS["hanako"].email)
    reviewer = User.objects.get(email=STAFF["eisei_reviewer"].email)
    give_second_factor(reviewer)
    procedure = Procedure.objects.get(code="dog-registration")
    application = services.application_start(procedure=procedure, applicant=resident,
                                             actor=resident)
    services.application_save_draft(application=application, data={
        "dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
        "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01",
        "rabies_vaccination": True}, actor=resident)
    services.application_submit(application=application, actor=resident)
    context, page = _signed_in_context(browser, demo_site, reviewer)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("procedures:review_queue"), False, 200),
            (reverse("procedures:review_detail", args=[application.pk]), False, 200),
            # Saving without choosing an action shows the error, tied to its field.
            (reverse("procedures:review_detail", args=[application.pk]), True, 400),
        ])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_counter_pages_are_accessible_and_work_without_javascript(
        browser, demo_site):  # noqa: F811
    """A clerk goes through a move-in with a resident with JavaScript off, then every counter
    page passes axe."""
    from cityhall.core.demo import RESIDENTS, STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor
    from cityhall.procedures.models import CounterSession, LifeEvent

    clerk = User.objects.get(email=STAFF["shiba_clerk"].email)
    give_second_factor(clerk)
    resident = User.objects.get(email=RESIDENTS["hanako"].email).resident_profile
    context, page = _signed_in_context(browser, demo_site, clerk, javascript=False)
    try:
        moving_in = LifeEvent.objects.get(code="moving_in")
        page.goto(demo_site.url + reverse("procedures:counter_home")
                  + f"?life_event={moving_in.pk}&q=ミナト")
        page.click(f"form:has(input[name=resident_id][value='{resident.pk}']) button")
        page.wait_for_load_state("load")
        visit = CounterSession.objects.get()
        page.fill("input[name=event_date]", "2026-11-20")
        page.check("input[name=q_insurance][value=nhi]")
        page.check("input[name=q_owns_dog][value=yes]")
        page.click("form:has(input[value=answers]) button[type=submit]")
        page.wait_for_load_state("load")
        page.fill("input[name=phone]", "03-3578-2111")
        page.click("form:has(input[value=facts]) button[type=submit]")
        page.wait_for_load_state("load")
        visit.refresh_from_db()
        assert visit.facts["phone"] == "03-3578-2111"
        assert "nhi-enrolment" in visit.procedure_codes
        with page.expect_download() as download:
            page.click(f"form[action$='{visit.pk}/forms.pdf'] button")
        assert download.value.suggested_filename.endswith(".pdf")
    finally:
        context.close()
    context, page = _signed_in_context(browser, demo_site, clerk)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("procedures:counter_home"), False, 200),
            (reverse("procedures:counter_home") + f"?life_event={moving_in.pk}&q=ミナト",
             False, 200),
            (reverse("procedures:counter_visit", args=[visit.pk]), False, 200),
            (reverse("procedures:counter_forms", args=[visit.pk]), False, 200),
        ])
        page.goto(demo_site.url + reverse("procedures:counter_visit", args=[visit.pk]))
        # A browser without date pickers lets any text through: the server must say why.
        page.evaluate("document.querySelector('input[name=date_of_birth]').type = 'text'")
        page.fill("input[name=date_of_birth]", "not a date")
        with page.expect_navigation():
            page.click("form:has(input[value=facts]) button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        found += [f"counter facts error:\n{_format_violations(violations)}"
                  for violations in [_axe_violations(page, demo_site)] if violations]
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)
