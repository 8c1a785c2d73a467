"""The guardian's immunisation pages (取組23) and the staff read of a child's record: who may
open them (guardian only, 404 for anyone else; staff through the purpose and the audited
door), every page in Japanese and English, the forms with their refusals that change
nothing, the one-step reschedule on the plan page, and the engine's words on the page."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation

from cityhall.childcare.models import ChildProfile, DoseAppointment, DoseRecord
from cityhall.childcare.services import immunisation
from cityhall.core.models import AuditEvent
from cityhall.core.registry import portal_links
from cityhall.core.tests.factories import StaffFactory

from .immunisation_fixtures import add_infant, days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_language():
    """The pages activate the request's language; later tests expect the one before."""
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def child(mika, today):
    """The infant, 160 days old today (the pages use the real date)."""
    return add_infant(mika, today=today)


def signed_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def get(client, url, language="en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def child_urls(child):
    dose = child.doses.first()
    return [reverse("childcare:child", args=[child.pk]),
            reverse("childcare:child_edit", args=[child.pk]),
            reverse("childcare:child_delete", args=[child.pk]),
            reverse("childcare:child_print", args=[child.pk]),
            reverse("childcare:dose_new", args=[child.pk]),
            reverse("childcare:dose_remove", args=[child.pk, dose.pk])]


def reads():
    return AuditEvent.objects.filter(action__startswith="childcare.child.read").count()


def test_anonymous_visitors_are_sent_to_sign_in(client, child):
    for url in [reverse("childcare:children"), reverse("childcare:child_new"),
                *child_urls(child)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_another_resident_and_staff_get_not_found_on_the_guardians_pages(client, child, taro,
                                                                         yobou):
    for user in (taro.user, yobou):
        signed_in(client, user)
        for url in child_urls(child):
            assert client.get(url).status_code == 404, url
        response = client.post(reverse("childcare:plan_reschedule", args=[child.pk, "pcv"]),
                               {"pcv-what": "missed"})
        assert response.status_code == 404
        assert client.post(reverse("childcare:child_delete", args=[child.pk])).status_code == 404
    assert ChildProfile.objects.filter(pk=child.pk).exists()
    assert reads() == 0


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_guardian_page_renders(client, mika, child, language):
    signed_in(client, mika.user, language)
    for url in [reverse("childcare:children"), reverse("childcare:child_new"),
                *child_urls(child)]:
        response = get(client, url, language)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == language
    assert reads() == 0  # the guardian's reads are not audited


def test_the_plan_page_says_everything_in_words(client, mika, child, today):
    signed_in(client, mika.user)
    immunisation.plan_reschedule(child=child, actor=mika.user, series="pcv",
                                 new_date=today + days(7))
    text = get(client, reverse("childcare:child", args=[child.pk])).content.decode()
    for words in ("Hepatitis B", "5-in-1 (DPT-IPV-Hib)", "Overdue, still free", "Due now",
                  "Not due yet", "Complete", "Primary dose 3", "Booster", "Earliest valid date",
                  "Recommended period", "Free (routine) until", "Later doses",
                  "Planned date", "Missed it, or postponed?", "Rotarix",
                  "Pneumococcal conjugate (PCV): dose 2"):
        assert words in text, words
    assert text.count('<details class="plan-reschedule"') == 10  # all but rotavirus


def test_dates_are_in_japanese_style_in_japanese(client, mika, child):
    signed_in(client, mika.user, "ja")
    born = child.date_of_birth
    text = get(client, reverse("childcare:child", args=[child.pk]), "ja").content.decode()
    assert f"{born.year}年{born.month}月{born.day}日" in text


def test_the_list_shows_a_one_line_status(client, mika, child):
    signed_in(client, mika.user)
    text = get(client, reverse("childcare:children")).content.decode()
    assert "芝浦 ひなた" in text
    assert "1 overdue (still free); 2 due now" in text


def test_an_invalid_dose_is_flagged_with_the_reason(client, mika, today):
    child = add_infant(mika, today=today, doses=False)
    born = child.date_of_birth
    for after in (62, 72):
        immunisation.dose_add(child=child, actor=mika.user, vaccine="dpt_ipv_hib",
                              given_on=born + days(after))
    signed_in(client, mika.user)
    text = get(client, reverse("childcare:child", args=[child.pk])).content.decode()
    assert "A dose does not count" in text
    assert "Invalid:" in text
    assert "Given too soon after the previous dose" in text


def test_adding_a_child_through_the_form(client, mika, today):
    signed_in(client, mika.user)
    url = reverse("childcare:child_new")
    response = client.post(url, {"name": "芝浦 ひなた", "date_of_birth": (
        today + days(3)).isoformat(), "sex": "F", "reminders": "on"})
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not ChildProfile.objects.exists()
    response = client.post(url, {"name": "", "date_of_birth": "not a date"})
    assert response.status_code == 400 and not ChildProfile.objects.exists()
    response = client.post(url, {"name": "芝浦 ひなた", "date_of_birth": (
        today - days(30)).isoformat(), "sex": "F", "reminders": "on"})
    child = ChildProfile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("childcare:child", args=[child.pk])
    assert (child.guardian, child.branch_office.code, child.reminders) == (
        mika, "shibaura-konan", True)


def test_a_resident_without_details_is_told_to_fill_them_in(client, yobou):
    signed_in(client, yobou)
    response = client.get(reverse("childcare:children"))
    assert "please fill in your resident details first" in response.content.decode()
    response = client.post(reverse("childcare:child_new"), {
        "name": "x", "date_of_birth": "2026-01-01"})
    assert response.status_code == 400 and not ChildProfile.objects.exists()


def test_editing_and_deleting_a_child(client, mika, child):
    signed_in(client, mika.user)
    url = reverse("childcare:child_edit", args=[child.pk])
    response = client.post(url, {"name": "芝浦 陽向", "date_of_birth": child.date_of_birth,
                                 "sex": "F"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.name, child.reminders) == ("芝浦 陽向", False)
    response = client.post(reverse("childcare:child_delete", args=[child.pk]))
    assert response["Location"] == reverse("childcare:children")
    assert not ChildProfile.objects.exists()


def test_recording_a_dose_through_the_form(client, mika, child, today):
    signed_in(client, mika.user)
    url = reverse("childcare:dose_new", args=[child.pk])
    count = DoseRecord.objects.count()
    before_birth = (child.date_of_birth - days(1)).isoformat()
    response = client.post(url, {"vaccine": "bcg", "given_on": before_birth})
    assert response.status_code == 400
    assert "before the child&#x27;s date of birth" in response.content.decode()
    response = client.post(url, {"vaccine": "pcv", "given_on": today.isoformat()})
    assert response.status_code == 400
    assert "Please choose the product of this vaccine" in response.content.decode()
    assert DoseRecord.objects.count() == count
    response = client.post(url, {"vaccine": "bcg", "given_on": today.isoformat(),
                                 "clinic": "港南こどもクリニック", "another": "1"})
    assert response["Location"] == url
    assert DoseRecord.objects.filter(child=child, vaccine="bcg", source="guardian").exists()


def test_removing_a_dose(client, mika, child, yobou):
    signed_in(client, mika.user)
    own = child.doses.first()
    response = client.post(reverse("childcare:dose_remove", args=[child.pk, own.pk]))
    assert response.status_code == 302
    assert not DoseRecord.objects.filter(pk=own.pk).exists()
    register = immunisation.dose_add(child=child, actor=yobou, vaccine="bcg",
                                     given_on=timezone.localdate())
    response = client.post(reverse("childcare:dose_remove", args=[child.pk, register.pk]))
    assert response.status_code == 400
    assert "ask the health centre" in response.content.decode()
    assert DoseRecord.objects.filter(pk=register.pk).exists()


def test_the_one_step_reschedule_on_the_plan_page(client, mika, child, today):
    signed_in(client, mika.user)
    url = reverse("childcare:plan_reschedule", args=[child.pk, "dpt_ipv_hib"])
    new_date = today + days(14)
    response = client.post(url, {"dpt_ipv_hib-what": "new_date",
                                 "dpt_ipv_hib-new_date": new_date.isoformat()})
    assert response.status_code == 302
    assert response["Location"].endswith("#series-dpt_ipv_hib")
    assert DoseAppointment.objects.get(child=child).planned_on == new_date
    page = client.get(response["Location"]).content.decode()
    assert "is planned on" in page and "the dates below have been recalculated" in page
    response = client.post(url, {"dpt_ipv_hib-what": "missed"})
    assert response.status_code == 302
    assert not DoseAppointment.objects.exists()


def test_reschedule_refusals_are_shown_on_the_plan_and_change_nothing(client, mika, child,
                                                                      today):
    signed_in(client, mika.user)
    immunisation.plan_reschedule(child=child, actor=mika.user, series="hepb",
                                 new_date=immunisation.child_plan(
                                     child, today=today).series["hepb"].earliest)
    before = list(DoseAppointment.objects.values())
    url = reverse("childcare:plan_reschedule", args=[child.pk, "hepb"])
    response = client.post(url, {"hepb-what": "new_date",
                                 "hepb-new_date": (today + days(1)).isoformat()})
    assert response.status_code == 400
    text = response.content.decode()
    assert "cannot be given before" in text and "the earliest date allowed" in text
    assert '<details class="plan-reschedule" open>' in text
    response = client.post(url, {"hepb-what": "new_date"})
    assert response.status_code == 400 and "Please enter the new date." in \
        response.content.decode()
    response = client.post(reverse("childcare:plan_reschedule", args=[child.pk, "rota"]),
                           {"rota-what": "missed"})
    assert response.status_code == 400  # rotavirus is complete
    assert "There is no publicly funded dose left to plan" in response.content.decode()
    assert client.post(reverse("childcare:plan_reschedule", args=[child.pk, "nope"]),
                       {"nope-what": "missed"}).status_code == 404
    assert list(DoseAppointment.objects.values()) == before


def test_the_resident_portal_links_to_the_childrens_pages():
    link = next(link for link in portal_links("resident")
                if link.key == "childcare.immunisation")
    assert reverse(link.url_name) == "/childcare/children/"


# -- staff -------------------------------------------------------------------------------------

def test_staff_give_a_purpose_and_the_read_is_audited(client, yobou, child):
    signed_in(client, yobou)
    url = reverse("childcare:staff_child", args=[child.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"purpose": ""}).status_code == 400
    assert reads() == 0
    response = client.post(url, {"purpose": "接種歴の問い合わせ"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "芝浦 ひなた" in text and "Overdue, still free" in text
    assert "Record a dose from the immunisation register" in text
    event = AuditEvent.objects.get(action="childcare.child.read")
    assert (event.actor_id, event.target_id, event.purpose) == (yobou.pk, str(child.pk),
                                                               "接種歴の問い合わせ")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_staff_record_renders_in_both_languages(client, yobou, child, language):
    signed_in(client, yobou, language)
    response = client.post(reverse("childcare:staff_child", args=[child.pk]),
                           {"purpose": "接種歴の問い合わせ"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == language


def test_staff_out_of_the_branch_are_refused_and_the_refusal_audited(client, child):
    group, _created = Group.objects.get_or_create(name="test_branch_child_reader")
    group.permissions.add(Permission.objects.get(content_type__app_label="childcare",
                                                 codename="view_childprofile"))
    clerk = StaffFactory(branch_office="shiba", roles=["test_branch_child_reader"])
    signed_in(client, clerk)
    response = client.post(reverse("childcare:staff_child", args=[child.pk]),
                           {"purpose": "窓口での確認"})
    assert response.status_code == 403
    assert "芝浦 ひなた" not in response.content.decode()
    assert list(AuditEvent.objects.filter(action__startswith="childcare.child.read")
                .values_list("action", "actor_id")) == [("childcare.child.read_denied",
                                                          clerk.pk)]


def test_staff_without_the_permission_and_residents_cannot_open_the_staff_page(client, child,
                                                                               shiba_clerk,
                                                                               mika):
    url = reverse("childcare:staff_child", args=[child.pk])
    signed_in(client, shiba_clerk)
    assert client.post(url, {"purpose": "窓口での確認"}).status_code == 403
    signed_in(client, mika.user)
    assert client.post(url, {"purpose": "自分の子の確認"}).status_code == 403
    assert reads() == 0


def test_the_officer_records_a_dose_from_the_register(client, yobou, child, today):
    signed_in(client, yobou)
    url = reverse("childcare:staff_dose_new", args=[child.pk])
    count = DoseRecord.objects.count()
    response = client.post(url, {"dose-vaccine": "bcg",
                                 "dose-given_on": (today + days(1)).isoformat()})
    assert response.status_code == 400 and DoseRecord.objects.count() == count
    response = client.post(url, {"dose-vaccine": "bcg", "dose-given_on": today.isoformat(),
                                 "dose-lot_number": "KH-1"})
    assert response.status_code == 200
    assert "The dose was recorded (source: immunisation register)." in \
        response.content.decode()
    dose = DoseRecord.objects.get(child=child, vaccine="bcg")
    assert (dose.source, dose.recorded_by, dose.lot_number) == ("staff", yobou, "KH-1")
    assert AuditEvent.objects.filter(action="childcare.child.read",
                                     purpose="Immunisation register: record a dose").exists()
