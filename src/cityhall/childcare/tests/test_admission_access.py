"""Who may read nursery applications (取組7), the audit of every read, the audited
configuration services, the back office and the demo round."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from cityhall.childcare import demo
from cityhall.childcare.models import (
    AdmissionRound,
    Application,
    Household,
    Nursery,
    PointsItem,
    TieBreakRule,
)
from cityhall.childcare.permissions import access_application, applications_visible_to
from cityhall.childcare.services import config, imports
from cityhall.childcare.services.instance import instance_for_round
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.core.tests.factories import StaffFactory

from .admission_fixtures import (
    STANDARD_ROWS,
    applications_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications(admission_round, officer):
    imports.applications_import(round=admission_round, actor=officer,
                                raw=applications_csv(STANDARD_ROWS))
    return {a.number: a for a in Application.objects.filter(round=admission_round)}


def reads():
    return list(AuditEvent.objects.filter(action__startswith="childcare.application.")
                .values_list("action", "actor_label", "target_id", "purpose"))


def test_officer_reads_any_application_and_the_read_is_audited(applications, officer):
    a003 = applications["A003"]
    got = access_application(officer, a003.pk, purpose="選考結果の確認")
    assert got == a003
    assert reads() == [("childcare.application.read", officer.email, str(a003.pk),
                        "選考結果の確認")]
    assert applications_visible_to(officer).count() == 5


def test_anonymous_and_resident_are_refused_without_an_audit_event(applications, hanako):
    for user in (AnonymousUser(), hanako.user):
        with pytest.raises(PermissionDeniedError):
            access_application(user, applications["A001"].pk, purpose="x")
        assert applications_visible_to(user).count() == 0
    assert reads() == []


def test_a_resident_reads_their_own_online_application(applications, hanako):
    own = applications["A001"]
    own.resident = hanako
    own.save()
    assert access_application(hanako.user, own.pk, purpose="") == own
    assert reads() == []


def test_clerk_without_the_role_is_refused_and_the_refusal_audited(applications, shiba_clerk):
    with pytest.raises(PermissionDeniedError):
        access_application(shiba_clerk, applications["A003"].pk, purpose="窓口")
    assert reads() == [("childcare.application.read_denied", shiba_clerk.email,
                        str(applications["A003"].pk), "窓口")]


def test_branch_scope_for_a_role_with_view_application_only(applications, minato):
    group = Group.objects.create(name="test_branch_nursery_clerk")
    group.permissions.add(Permission.objects.get(content_type__app_label="childcare",
                                                 codename="view_application"))
    clerk = StaffFactory(roles=("counter_clerk",), branch_office="shiba")
    clerk.groups.add(group)
    # A003's household is in the shiba branch office's area; A002's in azabu's.
    assert access_application(clerk, applications["A003"].pk, purpose="窓口") == \
        applications["A003"]
    with pytest.raises(PermissionDeniedError):
        access_application(clerk, applications["A002"].pk, purpose="窓口")
    assert [a.number for a in applications_visible_to(clerk)] == ["A003"]


@pytest.mark.parametrize("bad_id", [999_999, "abc", None, 10**30])
def test_unknown_application(applications, officer, bad_id):
    with pytest.raises(NotFoundError):
        access_application(officer, bad_id, purpose="x")


def test_role_carries_the_permissions(officer, shiba_clerk):
    for permission in ("childcare.import_round", "childcare.run_matching",
                       "childcare.view_all_applications", "childcare.change_tiebreakrule"):
        assert officer.has_perm(permission)
        assert not shiba_clerk.has_perm(permission)


def test_configuration_saves_are_audited_and_checked(points_table, nurseries, officer,
                                                     shiba_clerk):
    rule = TieBreakRule(table=points_table, position=9, kind="value_descending",
                        field="basic_points", label="基準指数の高い世帯")
    config.tie_break_rule_save(rule=rule, actor=officer)
    item = PointsItem(table=points_table, kind="adjustment", code="twins", label="多胎児",
                      points=1)
    config.points_item_save(item=item, actor=officer)
    assert list(AuditEvent.objects.filter(action__in=[
        "childcare.tie_break_rule.save", "childcare.points_item.save"]).order_by(
        "sequence").values_list(
        "action", flat=True)) == ["childcare.tie_break_rule.save", "childcare.points_item.save"]
    with pytest.raises(PermissionDeniedError):
        config.points_item_save(item=PointsItem(table=points_table, kind="basic", code="z",
                                                label="z", points=1), actor=shiba_clerk)
    with pytest.raises(ValidationFailed):
        config.tie_break_rule_save(rule=TieBreakRule(
            table=points_table, position=10, kind="flag_true_first", field="resident_tax"),
            actor=officer)
    with pytest.raises(ValidationFailed):
        config.points_item_save(item=PointsItem(table=points_table, kind="basic", code="neg",
                                                label="neg", points=-3), actor=officer)
    with pytest.raises(ValidationFailed) as caught:
        config.round_save(round=AdmissionRound(name="x", admission_date=datetime.date(
            2027, 4, 2), points_table=points_table), actor=officer)
    assert caught.value.code == "bad_date"
    round_ = config.round_save(round=AdmissionRound(
        name="2027年5月入所", admission_date=datetime.date(2027, 5, 1),
        points_table=points_table, state="published"), actor=officer)
    assert (round_.state, round_.created_by) == ("draft", officer)
    with pytest.raises(ValidationFailed):
        nursery = Nursery(facility=nurseries[0].facility, code="bad")
        nursery.facility.kind = "library"
        config.nursery_save(nursery=nursery, actor=officer)


def test_matched_table_keeps_its_rules(admission_round, points_table, officer):
    admission_round.state = AdmissionRound.State.MATCHED
    admission_round.save()
    rule = points_table.tie_break_rules.get(position=1)
    rule.kind = TieBreakRule.Kind.LOTTERY
    with pytest.raises(ValidationFailed) as caught:
        config.tie_break_rule_save(rule=rule, actor=officer)
    assert caught.value.code == "table_in_use"
    admission_round.lottery_seed = 99
    with pytest.raises(ValidationFailed):
        config.round_save(round=admission_round, actor=officer)


def test_back_office_pages(client, admission_round, officer, shiba_clerk):
    client.force_login(officer)
    home = client.get("/staff/").content.decode()
    assert 'href="/childcare/staff/rounds/"' in home
    for url in ("/admin/childcare/admissionround/", "/admin/childcare/pointstable/",
                f"/admin/childcare/pointstable/{admission_round.points_table_id}/change/",
                "/admin/childcare/tiebreakrule/", "/admin/childcare/nursery/",
                f"/admin/childcare/admissionround/{admission_round.pk}/change/"):
        assert client.get(url).status_code == 200, url
    response = client.post(f"/admin/childcare/admissionround/{admission_round.pk}/change/", {
        "name": "2027年4月入所 一次（改）", "admission_date": "2027-04-01",
        "points_table": admission_round.points_table_id, "lottery_seed": "8"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="childcare.round.save").count() == 1
    client.force_login(shiba_clerk)
    assert client.get("/admin/childcare/admissionround/").status_code == 403
    assert "/admin/childcare/" not in client.get("/staff/").content.decode()


def test_demo_round(minato, staff_persona):
    staff_persona("hoiku_officer")
    assert demo.admissions_demo_load() == \
        "20 demo nurseries, 1 demo admission round with 200 applications"
    assert demo.admissions_demo_load() == "childcare admissions demo already loaded"
    round_ = AdmissionRound.objects.get(is_demo=True)
    assert round_.state == AdmissionRound.State.IMPORTED
    assert Application.objects.filter(round=round_, is_demo=False).count() == 0
    instance = instance_for_round(round_)
    assert len(instance.facilities) == 20
    assert len(instance.children) == 200
    siblings = [family for family in instance.families if len(family.child_ids) > 1]
    assert len(siblings) == Household.objects.filter(round=round_).exclude(
        sibling_rule="independent").count() > 10
    assert sum(1 for child in instance.children if child.current_facility) > 5
    assert any(facility.pools for facility in instance.facilities)
