"""The guardian's immunisation records (取組23): the services (children, doses, the one-step
reschedule) with their refusals that change nothing, the engine's flags for impossible
histories, and who may read a child's record (`access_child`) with its audit trail."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.utils import translation

from cityhall.childcare import demo
from cityhall.childcare.immunisation import dates as legal
from cityhall.childcare.immunisation.engine import schedule
from cityhall.childcare.models import ChildProfile, DoseAppointment, DoseRecord
from cityhall.childcare.permissions import access_child, own_child
from cityhall.childcare.services import immunisation
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent, BranchOffice
from cityhall.core.tests.factories import StaffFactory

from .immunisation_fixtures import INFANT_AGE_DAYS, TODAY, add_infant, days

pytestmark = pytest.mark.django_db


def snapshot():
    return (list(ChildProfile.objects.values()), list(DoseRecord.objects.values()),
            list(DoseAppointment.objects.values()), AuditEvent.objects.count())


def events(prefix="childcare."):
    return list(AuditEvent.objects.filter(action__startswith=prefix).order_by("sequence")
                .values_list("action", "actor_label", "target_id", "purpose"))


def plan(child, today=TODAY):
    return immunisation.child_plan(child, today=today)


# -- children ----------------------------------------------------------------------------------

def test_a_guardian_adds_a_child_served_by_the_branch_office_of_her_town(mika):
    child = immunisation.child_add(actor=mika.user, name=" 芝浦 ひなた ", sex="F",
                                   date_of_birth=TODAY - days(10), today=TODAY)
    child.refresh_from_db()
    assert (child.guardian, child.name, child.sex, child.reminders) == (mika, "芝浦 ひなた",
                                                                        "F", True)
    assert child.branch_office == BranchOffice.objects.get(code="shibaura-konan")
    event = AuditEvent.objects.get(action="childcare.child.add")
    assert (event.actor_id, event.target_id) == (mika.user_id, str(child.pk))
    assert "芝浦" not in str(event.details)  # no names in the audit details


@pytest.mark.parametrize(("arguments", "field", "message"), [
    ({"date_of_birth": TODAY + days(1)}, "date_of_birth",
     "The date of birth cannot be in the future."),
    ({"date_of_birth": datetime.date(2006, 11, 26)}, "date_of_birth",
     "under 20: please enter a date of birth on or after Nov. 27, 2006"),
    ({"date_of_birth": "2026-01-01"}, "date_of_birth", "Please enter the date of birth."),
    ({"name": "   "}, "name", "Please enter the child's name."),
    ({"name": "あ" * 101}, "name", "at most 100 characters"),
    ({"sex": "X"}, "sex", "Please choose one of the options."),
])
def test_bad_child_details_are_refused_and_change_nothing(mika, arguments, field, message):
    before = snapshot()
    values = {"name": "芝浦 ひなた", "date_of_birth": TODAY - days(10), **arguments}
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        immunisation.child_add(actor=mika.user, today=TODAY, **values)
    assert refused.value.field == field
    assert message in str(refused.value.message)
    assert snapshot() == before


def test_twenty_years_ago_is_still_accepted(mika):
    child = immunisation.child_add(actor=mika.user, name="芝浦 大地",
                                   date_of_birth=datetime.date(2006, 11, 27), today=TODAY)
    assert child.pk


def test_someone_without_resident_details_cannot_add_a_child(yobou):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        immunisation.child_add(actor=yobou, name="x", date_of_birth=TODAY, today=TODAY)
    assert refused.value.code == "no_profile"
    assert snapshot() == before


def test_the_guardian_corrects_a_child_and_only_she_may(infant, mika, taro):
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        immunisation.child_update(child=infant, actor=taro.user, name="x",
                                  date_of_birth=infant.date_of_birth, today=TODAY)
    assert snapshot() == before
    immunisation.child_update(child=infant, actor=mika.user, name="芝浦 陽向",
                              date_of_birth=infant.date_of_birth, sex="F", reminders=False,
                              today=TODAY)
    infant.refresh_from_db()
    assert (infant.name, infant.reminders) == ("芝浦 陽向", False)
    update = AuditEvent.objects.get(action="childcare.child.update")
    assert update.details == {"changed": ["name", "name_kana", "reminders"]}


def test_deleting_a_child_deletes_its_doses_and_plans(infant, mika, taro):
    immunisation.plan_reschedule(child=infant, actor=mika.user, series="pcv",
                                 new_date=TODAY + days(3), today=TODAY)
    with pytest.raises(PermissionDeniedError):
        immunisation.child_delete(child=infant, actor=taro.user)
    immunisation.child_delete(child=infant, actor=mika.user)
    assert not ChildProfile.objects.exists()
    assert not DoseRecord.objects.exists() and not DoseAppointment.objects.exists()
    assert AuditEvent.objects.get(action="childcare.child.delete").details == {"doses": 8}


# -- doses -------------------------------------------------------------------------------------

def test_the_guardian_records_a_dose(infant, mika):
    dose = immunisation.dose_add(child=infant, actor=mika.user, vaccine="bcg",
                                 given_on=TODAY, clinic=" 港南こどもクリニック ",
                                 lot_number="KH123", today=TODAY)
    dose.refresh_from_db()
    assert (dose.source, dose.recorded_by, dose.clinic, dose.product) == (
        "guardian", mika.user, "港南こどもクリニック", "")
    event = AuditEvent.objects.filter(action="childcare.dose.add").order_by("sequence").last()
    assert event.details == {"child": infant.pk, "vaccine": "bcg", "source": "guardian"}
    assert plan(infant).series["bcg"].status == "complete"


@pytest.mark.parametrize(("vaccine", "product", "field", "message"), [
    ("rota", "", "product", "Please choose the product of this vaccine"),
    ("pcv", "", "product", "PCV13, PCV15, PCV20"),
    ("hpv", "rota1", "product", "not a product of the vaccine chosen"),
    ("hepb", "pcv20", "product", "has no product to choose"),
    ("yellow_fever", "", "vaccine", "Please choose the vaccine."),
])
def test_product_rules(infant, mika, vaccine, product, field, message):
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        immunisation.dose_add(child=infant, actor=mika.user, vaccine=vaccine,
                              product=product, given_on=TODAY, today=TODAY)
    assert (refused.value.field, message in str(refused.value.message)) == (field, True)
    assert snapshot() == before


@pytest.mark.parametrize(("given_on", "message"), [
    (TODAY + days(1), "cannot be in the future"),
    (TODAY - days(INFANT_AGE_DAYS + 1), "before the child's date of birth (June 20, 2026)"),
])
def test_a_dose_in_the_future_or_before_birth_is_refused(infant, mika, given_on, message):
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        immunisation.dose_add(child=infant, actor=mika.user, vaccine="bcg",
                              given_on=given_on, today=TODAY)
    assert refused.value.field == "given_on"
    assert message in str(refused.value.message)
    assert snapshot() == before


def test_impossible_histories_are_kept_and_flagged_by_the_plan(mika):
    child = add_infant(mika, doses=False)
    born = child.date_of_birth
    # 5種混合 twice ten days apart (20日以上 needed), ロタ 1価 then 5価 (no switch allowed).
    for vaccine, product, after in (("dpt_ipv_hib", "", 62), ("dpt_ipv_hib", "", 72),
                                    ("rota", "rota1", 62), ("rota", "rota5", 92),
                                    ("bcg", "", 10)):
        immunisation.dose_add(child=child, actor=mika.user, vaccine=vaccine, product=product,
                              given_on=born + days(after), today=TODAY)
    assert DoseRecord.objects.filter(child=child).count() == 5
    result = plan(child)
    dpt = result.series["dpt_ipv_hib"]
    assert dpt.status == "invalid_dose"
    assert [(d.valid, d.reason) for d in dpt.doses] == [(True, None),
                                                        (False, "interval_too_short")]
    assert result.series["rota"].doses[1].reason == "product_mix"
    assert result.series["bcg"].status == "complete"  # BCG from birth is fine


def test_staff_of_the_health_centre_record_doses_from_the_register(infant, yobou, shiba_clerk):
    dose = immunisation.dose_add(child=infant, actor=yobou, vaccine="bcg", given_on=TODAY,
                                 today=TODAY)
    assert (dose.source, dose.recorded_by) == ("staff", yobou)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        immunisation.dose_add(child=infant, actor=shiba_clerk, vaccine="bcg",
                              given_on=TODAY, today=TODAY)
    assert snapshot() == before


def test_the_guardian_removes_her_own_entries_but_not_the_registers(infant, mika, yobou, taro):
    own = infant.doses.first()
    register = immunisation.dose_add(child=infant, actor=yobou, vaccine="bcg",
                                     given_on=TODAY, today=TODAY)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        immunisation.dose_remove(dose=register, actor=mika.user)
    assert refused.value.code == "not_own_entry"
    with pytest.raises(PermissionDeniedError):
        immunisation.dose_remove(dose=own, actor=taro.user)
    assert snapshot() == before
    immunisation.dose_remove(dose=own, actor=mika.user)
    assert not DoseRecord.objects.filter(pk=own.pk).exists()
    assert AuditEvent.objects.filter(action="childcare.dose.remove").count() == 1


# -- the one-step reschedule -------------------------------------------------------------------

def test_postponed_moves_the_dose_and_the_later_doses(infant, mika):
    before = plan(infant).series["dpt_ipv_hib"]
    assert before.status == "overdue"
    assert [p.label for p in before.projected] == ["initial3", "booster"]
    new_date = TODAY + days(30)
    after = immunisation.plan_reschedule(child=infant, actor=mika.user, series="dpt_ipv_hib",
                                         new_date=new_date, today=TODAY)
    dpt = after.series["dpt_ipv_hib"]
    assert dpt.projected[0].date == new_date
    assert dpt.projected[1].date == legal.after_months_interval(new_date, 6)
    assert dpt.projected[1].date > before.projected[1].date
    assert DoseAppointment.objects.get(child=infant, series="dpt_ipv_hib").planned_on == new_date
    # What was returned is what the page shows afterwards.
    assert plan(infant) == after
    event = AuditEvent.objects.get(action="childcare.appointment.reschedule")
    assert event.details == {"series": "dpt_ipv_hib", "missed": False}


def test_missed_drops_the_planned_date_and_plans_from_today(infant, mika):
    immunisation.plan_reschedule(child=infant, actor=mika.user, series="pcv",
                                 new_date=TODAY + days(5), today=TODAY)
    later = TODAY + days(10)  # the planned day has passed
    assert any(w.code == "appointment_missed" for w in plan(infant, later).warnings)
    after = immunisation.plan_reschedule(child=infant, actor=mika.user, series="pcv",
                                         today=later)
    assert not DoseAppointment.objects.filter(child=infant).exists()
    assert after.series["pcv"].projected[0].date == later
    assert not after.warnings
    assert after == schedule(immunisation.child_record_for_engine(infant), today=later)


def test_a_date_before_the_earliest_legal_date_is_refused_with_that_date(infant, mika):
    born = infant.date_of_birth
    earliest = legal.after_days_interval(born + days(62), 139)  # B型肝炎 3回目
    assert plan(infant).series["hepb"].earliest == earliest
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        immunisation.plan_reschedule(child=infant, actor=mika.user, series="hepb",
                                     new_date=earliest - days(1), today=TODAY)
    assert refused.value.field == "new_date"
    assert "cannot be given before Jan. 8, 2027" in str(refused.value.message)
    assert earliest == datetime.date(2027, 1, 8)
    assert snapshot() == before
    immunisation.plan_reschedule(child=infant, actor=mika.user, series="hepb",
                                 new_date=earliest, today=TODAY)


@pytest.mark.parametrize(("series", "new_date", "field", "message"), [
    ("pcv", TODAY - days(1), "new_date", "in the past"),
    ("pcv", datetime.date(9999, 12, 31), "new_date", "Please choose a date before"),
    ("rota", TODAY + days(1), "series", "no publicly funded dose left"),  # complete
    ("hpv2", TODAY + days(1), "series", "not in the child's plan"),
])
def test_reschedule_refusals_change_nothing(infant, mika, series, new_date, field, message):
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        immunisation.plan_reschedule(child=infant, actor=mika.user, series=series,
                                     new_date=new_date, today=TODAY)
    assert refused.value.field == field
    assert message in str(refused.value.message)
    assert snapshot() == before


def test_only_the_guardian_reschedules(infant, taro, yobou):
    for user in (taro.user, yobou):
        with pytest.raises(PermissionDeniedError):
            immunisation.plan_reschedule(child=infant, actor=user, series="pcv", today=TODAY)


# -- who may read a child's record -------------------------------------------------------------

def test_anonymous_and_another_resident_find_nothing_and_are_not_audited(infant, taro):
    for user in (AnonymousUser(), taro.user):
        with pytest.raises(NotFoundError):
            access_child(user, infant.pk, purpose="x")
        with pytest.raises(NotFoundError):
            own_child(user, infant.pk)
    assert events("childcare.child.read") == []


def test_the_guardian_reads_her_child_without_an_audit_event(infant, mika):
    assert access_child(mika.user, infant.pk, purpose="") == infant
    assert own_child(mika.user, infant.pk) == infant
    assert events("childcare.child.read") == []


def test_the_immunisation_officer_reads_any_child_and_is_audited(infant, yobou):
    assert access_child(yobou, infant.pk, purpose="接種歴の確認") == infant
    assert events("childcare.child.read") == [
        ("childcare.child.read", yobou.email, str(infant.pk), "接種歴の確認")]
    with pytest.raises(NotFoundError):
        own_child(yobou, infant.pk)  # the guardian's pages stay the guardian's


def _branch_reader(branch_code):
    group, _created = Group.objects.get_or_create(name="test_branch_child_reader")
    group.permissions.add(Permission.objects.get(content_type__app_label="childcare",
                                                 codename="view_childprofile"))
    return StaffFactory(branch_office=branch_code, roles=["test_branch_child_reader"])


def test_branch_staff_read_only_the_children_of_their_branch(infant):
    outside, inside = _branch_reader("shiba"), _branch_reader("shibaura-konan")
    with pytest.raises(PermissionDeniedError):
        access_child(outside, infant.pk, purpose="窓口での確認")
    assert events("childcare.child.read") == [
        ("childcare.child.read_denied", outside.email, str(infant.pk), "窓口での確認")]
    assert access_child(inside, infant.pk, purpose="窓口での確認") == infant
    assert events("childcare.child.read")[-1] == (
        "childcare.child.read", inside.email, str(infant.pk), "窓口での確認")


def test_the_role_carries_the_immunisation_permissions(yobou):
    for codename in ("view_childprofile", "view_all_children", "view_coverage",
                     "view_doserecord", "add_doserecord"):
        assert yobou.has_perm(f"childcare.{codename}")
    assert not yobou.has_perm("childcare.view_application")


# -- the demo ----------------------------------------------------------------------------------

def test_the_demo_guardian_has_two_children_in_the_promised_situations(mika):
    assert demo.immunisation_demo_load() == "2 demo children with their immunisation records"
    assert demo.immunisation_demo_load() == "immunisation demo already loaded"
    infant, elder = ChildProfile.objects.filter(guardian=mika).order_by("-date_of_birth")
    assert infant.is_demo and elder.is_demo
    from django.utils import timezone

    today = timezone.localdate()
    infant_plan, elder_plan = plan(infant, today), plan(elder, today)
    assert infant_plan.series["dpt_ipv_hib"].status == "overdue"
    assert infant.appointments.get().series == "pcv"
    assert infant_plan.series["pcv"].projected[0].date == today + days(7)
    assert not any(s.status == "invalid_dose" for s in elder_plan.series.values())
    assert {code for code, s in elder_plan.series.items() if s.status == "complete"} >= {
        "hepb", "rota", "dpt_ipv", "hib", "pcv", "bcg", "mr1", "varicella"}
