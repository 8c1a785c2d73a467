"""The online nursery application (取組7) in a real browser: axe-core finds no WCAG 2.2 A/AA
violation on the residents' pages (open rounds, start, a child with and without errors, the
wishes, the family's situation, the check page, the application, withdrawal, my
applications, the documents with and without errors and with one attached in the browser)
nor on the staff pages with the online section, the check and the return; and a resident
applies from start to end without JavaScript."""

import datetime
import os

import pytest
from django.urls import reverse
from django.utils import timezone

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


@pytest.fixture(autouse=True)
def _documents_leave_no_files():
    """The live server stores attached documents in the site's own storage: take them away
    after each test."""
    yield
    from cityhall.childcare.models import OnlineDocument

    for document in OnlineDocument.objects.all():
        document.file.storage.delete(document.file.name)


def _demo_round_open():
    from cityhall.childcare import demo
    from cityhall.childcare.models import AdmissionRound

    round_ = AdmissionRound.objects.get(name=demo.ROUND_NAME)
    now = timezone.now()
    round_.applications_open_from = now - datetime.timedelta(days=1)
    round_.applications_close_at = now + datetime.timedelta(days=7)
    round_.save()
    return round_


def _user(key):
    from cityhall.core.demo import RESIDENTS, STAFF
    from cityhall.core.models import User

    persona = RESIDENTS.get(key) or STAFF[key]
    return User.objects.get(email=persona.email)


def _filled_in(round_, user):
    """An application with one 0歳児 child, two wishes and the family's situation."""
    from cityhall.childcare.services import online

    household = online.online_application_start(round=round_, actor=user)
    application = online.online_child_save(
        household=household, child_name="港 一郎", child_name_kana="ミナト イチロウ",
        date_of_birth=datetime.date(2026, 5, 10), current_nursery=None, actor=user)
    online.online_wishes_save(application=application,
                              nurseries=online.eligible_nurseries(round_, 0)[:2], actor=user)
    online.online_family_save(
        household=household, parent1="work-20d-40h", parent2="work-48h",
        adjustments=["leave-return"], sibling_rule="independent", single_parent=False,
        public_assistance=False, disability=False, sibling_enrolled=False,
        resident_tax=120_000, actor=user)
    return household, application


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_residents_pages_are_accessible(browser, demo_site, language):  # noqa: F811
    from cityhall.childcare.services import immunisation

    round_ = _demo_round_open()
    hanako = _user("hanako")
    _household, application = _filled_in(round_, hanako)
    # A child of her immunisation records, offered on the "add a child" page.
    immunisation.child_add(actor=hanako, name="港 二郎", name_kana="みなと じろう", sex="",
                           date_of_birth=datetime.date(2025, 9, 1))
    mine = reverse("childcare:my_application", args=[round_.pk])
    context, page = _signed_in_context(browser, demo_site, hanako, language=language)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("childcare:apply"), False, 200),
            (mine, False, 200),
            (mine + "children/new/", False, 200),  # with "from your records"
            (mine + "children/new/", True, 400),  # sent empty: every error on its field
            (mine + f"children/{application.pk}/", False, 200),
            (mine + f"children/{application.pk}/wishes/", False, 200),
            (mine + "family/", False, 200),
            (mine + "check/", False, 200),
            (mine + "withdraw/", False, 200),
            (reverse("childcare:my_applications"), False, 200),
            (mine + "documents/", False, 200),
            (mine + "documents/", True, 400),  # sent without a file: errors on the fields
        ])
        # A document attached in the browser, without JavaScript: listed with its remove
        # button, and on the application.
        page.goto(demo_site.url + mine + "documents/")
        page.select_option("#id_kind", "employment")
        page.select_option("#id_parent", "1")
        page.set_input_files("#id_file", files=[{
            "name": "shuro.pdf", "mimeType": "application/pdf",
            "buffer": b"%PDF-1.7\n%%EOF\n"}])
        with page.expect_navigation():
            page.click("main form[enctype='multipart/form-data'] button[type=submit]")
        assert page.locator("main table a", has_text="shuro.pdf").count() == 1
        violations = _axe_violations(page, demo_site)
        if violations:
            found.append("documents (one attached):\n" + _format_violations(violations))
        page.goto(demo_site.url + mine)
        assert page.locator("main a", has_text="shuro.pdf").count() == 1
        # Wishes with the same nursery twice: the error is tied to the line.
        page.goto(demo_site.url + mine + f"children/{application.pk}/wishes/")
        first = page.locator("#id_wish_1").input_value()
        page.select_option("#id_wish_2", first)
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert page.locator("#id_wish_2").get_attribute("aria-invalid") == "true"
        violations = _axe_violations(page, demo_site)
        if violations:
            found.append("wishes (twice):\n" + _format_violations(violations))
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_the_start_page_is_accessible(browser, demo_site):  # noqa: F811
    round_ = _demo_round_open()
    context, page = _signed_in_context(browser, demo_site, _user("taro"), language="en")
    try:
        found = _check_pages(page, demo_site, [
            (reverse("childcare:apply_start", args=[round_.pk]), False, 200)])
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_the_staff_pages_with_online_applications_are_accessible(
        browser, demo_site):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityhall.childcare.services import online, online_documents
    from cityhall.core.tests.factories import give_second_factor

    round_ = _demo_round_open()
    hanako = _user("hanako")
    household, application = _filled_in(round_, hanako)
    online_documents.online_document_add(
        household=household, kind="employment", parent=1, actor=hanako,
        uploaded_file=SimpleUploadedFile("shuro.pdf", b"%PDF-1.7\n%%EOF\n"))
    online.online_application_submit(household=household, actor=hanako)
    officer = _user("hoiku_officer")
    give_second_factor(officer)
    staff_page = reverse("childcare:application", args=[application.pk])
    context, page = _signed_in_context(browser, demo_site, officer)
    try:
        found = _check_pages(page, demo_site, [
            (reverse("childcare:round", args=[round_.pk]), False, 200),
            (reverse("childcare:round", args=[round_.pk]) + "?o-online=submitted", False, 200),
            (staff_page, False, 200),
        ])
        page.goto(demo_site.url + staff_page)
        assert page.locator("main a", has_text="shuro.pdf").count() == 1
        # Returned without a reason: the error is announced and tied to the field.
        page.goto(demo_site.url + staff_page)
        with page.expect_navigation():
            page.click("main form[action$='/online/return/'] button[type=submit]")
        assert page.locator("#id_reason").get_attribute("aria-invalid") == "true"
        violations = _axe_violations(page, demo_site)
        if violations:
            found.append("return (no reason):\n" + _format_violations(violations))
    finally:
        context.close()
    assert not found, "axe found WCAG violations:\n" + "\n".join(found)


def test_a_resident_applies_without_javascript(browser, demo_site):  # noqa: F811
    from cityhall.childcare.models import Household, OnlineStatus

    round_ = _demo_round_open()
    emily = _user("emily")
    context, page = _signed_in_context(browser, demo_site, emily, language="en",
                                       javascript=False)
    try:
        page.goto(demo_site.url + reverse("childcare:apply"))
        with page.expect_navigation():
            page.click(f"main a[href='{reverse('childcare:apply_start', args=[round_.pk])}']")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        page.fill("#id_child_name", "高輪 エマ")
        page.fill("#id_child_name_kana", "タカナワ エマ")
        page.fill("#id_date_of_birth", "2025-08-20")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert "/wishes/" in page.url
        options = page.locator("#id_wish_1 option").all()
        page.select_option("#id_wish_1", options[1].get_attribute("value"))
        page.select_option("#id_wish_3", options[2].get_attribute("value"))
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        with page.expect_navigation():
            page.click("main a[href$='/family/']")
        page.select_option("#id_parent1", "work-20d-40h")
        page.select_option("#id_parent2", "absent")
        page.check("input[name=adjustments][value=single-parent]")
        page.check("#id_single_parent")
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert page.url.endswith("/check/")
        text = page.inner_text("main")
        assert "checks every claim against your documents" in text
        assert "43" in text  # 20 + 20 + 3
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        assert "Sent, waiting for the city's check" in page.inner_text("main")
    finally:
        context.close()
    household = Household.objects.get(round=round_, resident__user=emily)
    assert household.online_status == OnlineStatus.SUBMITTED and household.single_parent
    application = household.applications.get()
    assert application.score == 43 and application.age_class == 1
    assert len(application.wish_codes()) == 2
