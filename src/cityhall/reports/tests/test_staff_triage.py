"""Triage services (取組13): the staff scope, the audited door, and each action with its
history, audit event and refusals that change nothing."""

import datetime

import pytest
from django.utils import timezone

from cityhall.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from cityhall.core.models import AuditEvent, Department, Town

from ..models import Report, ReportFollower, ReportPhoto, ReportUpdate
from ..services import triage
from ..services.reports import report_transition
from .factories import AZABU_JUBAN, MINATO_LIBRARY, jpeg_bytes, make_report, upload
from .staff_fixtures import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def shiba_report():
    """A pothole by みなと図書館: 芝地区, 芝地区総合支所 まちづくり課."""
    return make_report(place=MINATO_LIBRARY, contact_name="港 太郎",
                       contact_email="taro@example.jp", contact_phone="03-1234-5678")


@pytest.fixture
def azabu_report():
    return make_report(place=AZABU_JUBAN)


@pytest.fixture
def dumping_report():
    """Illegal dumping in 芝地区: みなとリサイクル清掃事務所 fixes it."""
    return make_report(code="illegal-dumping", place=MINATO_LIBRARY, attributes={})


# --- scope ----------------------------------------------------------------------------------

def test_each_officer_sees_their_department_and_their_branch_office_area(
        officer, azabu_officer, recycle_officer, manager, shiba_report, azabu_report,
        dumping_report):
    def seen(user):
        return set(triage.reports_for_staff(user).values_list("reference", flat=True))

    assert seen(officer) == {shiba_report.reference, dumping_report.reference}
    assert seen(azabu_officer) == {azabu_report.reference}
    assert seen(recycle_officer) == {dumping_report.reference}
    assert seen(manager) == {shiba_report.reference, azabu_report.reference,
                             dumping_report.reference}


def test_staff_without_the_permission_and_residents_see_nothing(shiba_clerk, hanako,
                                                                shiba_report):
    assert not triage.reports_for_staff(shiba_clerk).exists()
    assert not triage.reports_for_staff(hanako.user).exists()
    with pytest.raises(PermissionDeniedError):
        triage.access_report(shiba_clerk, shiba_report.reference)
    with pytest.raises(PermissionDeniedError):
        triage.access_report(hanako.user, shiba_report.reference)


def test_an_officer_without_a_department_sees_nothing(staff_member, shiba_report):
    from cityhall.core.tests.factories import StaffFactory

    nobody = StaffFactory(branch_office="shiba", department=None,
                          roles=("street_reports_officer",))
    assert not triage.reports_for_staff(nobody).exists()
    with pytest.raises(NotFoundError):
        triage.access_report(nobody, shiba_report.reference)


def test_reading_a_report_is_audited_and_out_of_scope_is_not_found(officer, azabu_officer,
                                                                   shiba_report):
    report = triage.access_report(officer, shiba_report.reference, purpose="triage")
    assert report.contact_email == "taro@example.jp"
    event = AuditEvent.objects.get(action="reports.report.read")
    assert (event.actor_id, event.target_id, event.purpose) == (
        officer.pk, str(shiba_report.pk), "triage")
    with pytest.raises(NotFoundError):
        triage.access_report(azabu_officer, shiba_report.reference)
    for odd in ("", "x" * 21, "2026-\x00", "nope"):
        with pytest.raises(NotFoundError):
            triage.access_report(officer, odd)
    assert AuditEvent.objects.filter(action="reports.report.read").count() == 1


def test_queue_filters(officer, manager, shiba_report, azabu_report, dumping_report):
    def refs(user, **filters):
        return [r.reference for r in triage.reports_for_staff(
            user, triage.QueueFilters(**filters))]

    shiba = shiba_report.branch_office
    assert set(refs(manager, branch_office=shiba)) == {shiba_report.reference,
                                                       dumping_report.reference}
    assert refs(manager, department=Department.objects.get(code="recycle-seiso")) == [
        dumping_report.reference]
    assert refs(manager, category=azabu_report.category, branch_office=azabu_report
                .branch_office) == [azabu_report.reference]
    report_transition(report=shiba_report, status=Report.Status.FIXED, actor=None)
    assert shiba_report.reference not in refs(officer)
    assert refs(officer, status="fixed") == [shiba_report.reference]
    assert set(refs(officer, status="all")) == {shiba_report.reference,
                                                dumping_report.reference}
    assert refs(officer, mine=True) == []
    later = timezone.now() + datetime.timedelta(hours=49)  # past every category's 48 hours
    assert set(refs(manager, overdue=True)) == set()
    assert {r.reference for r in triage.reports_for_staff(
        manager, triage.QueueFilters(overdue=True), now=later)} == {
        azabu_report.reference, dumping_report.reference}


# --- status ---------------------------------------------------------------------------------

def test_acknowledging_with_a_public_and_an_internal_note(officer, shiba_report,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        update = triage.report_status_change(
            report=shiba_report, status=Report.Status.ACKNOWLEDGED, actor=officer,
            public_note="確認しました", internal_note="明日現地へ",
            expected_on=timezone.localdate() + datetime.timedelta(days=3))
    assert (update.kind, update.status_before, update.status_after) == (
        ReportUpdate.Kind.STATUS, "new", "acknowledged")
    assert (update.public_note, update.internal_note, update.actor) == (
        "確認しました", "明日現地へ", officer)
    shiba_report.refresh_from_db()
    assert shiba_report.acknowledged_at is not None
    assert timezone.localtime(shiba_report.expected_at).date() == (
        timezone.localdate() + datetime.timedelta(days=3))
    assert AuditEvent.objects.filter(action="reports.report.status", actor=officer).count() == 1
    assert len(callbacks) == 1  # the followers are told after commit


@pytest.mark.parametrize(("arguments", "error"), [
    ({"status": "bogus"}, ValidationFailed),
    ({"status": "new"}, ValidationFailed),  # nothing to record
    ({"status": "acknowledged", "public_note": "x" * 2001}, ValidationFailed),
    ({"status": "acknowledged",
      "expected_on": datetime.date(2000, 1, 1)}, ValidationFailed),
    ({"status": "duplicate"}, ConflictError),  # only by merging
])
def test_bad_status_changes_change_nothing(officer, shiba_report, arguments, error):
    before = snapshot(shiba_report)
    with pytest.raises(error):
        triage.report_status_change(report=shiba_report, actor=officer, **arguments)
    assert snapshot(shiba_report) == before


def test_actions_need_the_permission_and_the_scope(shiba_clerk, azabu_officer, officer,
                                                   shiba_report):
    before = snapshot(shiba_report)
    with pytest.raises(PermissionDeniedError):
        triage.report_status_change(report=shiba_report, status="acknowledged",
                                    actor=shiba_clerk)
    with pytest.raises(NotFoundError):
        triage.report_status_change(report=shiba_report, status="acknowledged",
                                    actor=azabu_officer)
    with pytest.raises(NotFoundError):
        triage.report_moderate(report=shiba_report, public_description="穴", is_public=True,
                               public_photo_ids=[], actor=azabu_officer)
    with pytest.raises(PermissionDeniedError):
        triage.report_file_for_caller(actor=shiba_clerk, category=shiba_report.category,
                                      description="穴", address="芝公園4-2-8")
    assert snapshot(shiba_report) == before


# --- assign ---------------------------------------------------------------------------------

def test_assigning_to_a_staff_member_of_the_department(officer, manager, staff_member,
                                                       shiba_report):
    colleague = staff_member("shiba", "shiba-machizukuri")
    assert {u.pk for u in triage.assignable_staff(shiba_report)} == {officer.pk, colleague.pk}
    update = triage.report_assign(report=shiba_report, assignee=colleague, actor=manager,
                                  internal_note="お願いします")
    shiba_report.refresh_from_db()
    assert shiba_report.assigned_to == colleague
    assert (update.kind, update.details) == (ReportUpdate.Kind.ASSIGNED,
                                             {"before": None, "after": colleague.pk})
    assert not update.is_public
    assert AuditEvent.objects.filter(action="reports.report.assign").count() == 1
    triage.report_assign(report=shiba_report, assignee=None, actor=officer)
    shiba_report.refresh_from_db()
    assert shiba_report.assigned_to is None


def test_assigning_to_someone_outside_the_department_is_refused(officer, azabu_officer,
                                                                shiba_report):
    before = snapshot(shiba_report)
    with pytest.raises(ValidationFailed) as error:
        triage.report_assign(report=shiba_report, assignee=azabu_officer, actor=officer)
    assert error.value.code == "bad_assignee"
    with pytest.raises(ValidationFailed) as error:
        triage.report_assign(report=shiba_report, assignee=None, actor=officer)
    assert error.value.code == "nothing_changed"
    assert snapshot(shiba_report) == before


# --- hand off -------------------------------------------------------------------------------

def test_handing_off_moves_the_report_out_of_the_previous_departments_queue(
        staff_member, manager):
    doboku = staff_member("main", "doboku")
    bicycles = staff_member("main", "doboku-kanri")
    report = make_report(code="graffiti", place=MINATO_LIBRARY, attributes={})
    triage.report_hand_off(report=report, department=Department.objects.get(code="doboku"),
                           actor=manager, internal_note="本庁で対応")
    report.refresh_from_db()
    assert report.department.code == "doboku"
    triage.access_report(doboku, report.reference)
    triage.report_assign(report=report, assignee=doboku, actor=doboku)

    update = triage.report_hand_off(
        report=report, department=Department.objects.get(code="doboku-kanri"), actor=doboku,
        internal_note="放置自転車の担当へ")
    report.refresh_from_db()
    assert (report.department.code, report.assigned_to) == ("doboku-kanri", None)
    assert (update.kind, update.details) == (ReportUpdate.Kind.HANDED_OFF,
                                             {"from": "doboku", "to": "doboku-kanri"})
    assert not update.is_public
    assert AuditEvent.objects.filter(action="reports.report.hand_off").count() == 2
    with pytest.raises(NotFoundError):
        triage.access_report(doboku, report.reference)
    assert not triage.reports_for_staff(doboku).exists()
    assert triage.access_report(bicycles, report.reference) == report
    assert triage.access_report(manager, report.reference) == report  # view_all_reports


def test_a_branch_offices_department_keeps_seeing_its_area_after_a_hand_off(
        officer, recycle_officer, shiba_report):
    triage.report_hand_off(report=shiba_report,
                           department=Department.objects.get(code="recycle-seiso"),
                           actor=officer)
    assert triage.access_report(recycle_officer, shiba_report.reference) == shiba_report
    assert triage.access_report(officer, shiba_report.reference) == shiba_report


def test_bad_hand_offs_change_nothing(officer, shiba_report):
    before = snapshot(shiba_report)
    with pytest.raises(ValidationFailed):
        triage.report_hand_off(report=shiba_report, department=shiba_report.department,
                               actor=officer)
    with pytest.raises(ValidationFailed):
        triage.report_hand_off(report=shiba_report, department=None, actor=officer)
    assert snapshot(shiba_report) == before
    report_transition(report=shiba_report, status=Report.Status.FIXED, actor=None)
    before = snapshot(shiba_report)
    with pytest.raises(ConflictError):
        triage.report_hand_off(report=shiba_report,
                               department=Department.objects.get(code="doboku"), actor=officer)
    assert snapshot(shiba_report) == before


# --- merge ----------------------------------------------------------------------------------

def test_merging_moves_followers_and_keeps_photos(officer, hanako,
                                                  django_capture_on_commit_callbacks):
    original = make_report(place=MINATO_LIBRARY, contact_email="first@example.jp")
    duplicate = make_report(place=MINATO_LIBRARY, contact_email="taro@example.jp",
                            reporter=hanako.user, photos=[upload(jpeg_bytes())])
    # taro@example.jp already follows the original too: not copied twice.
    ReportFollower.objects.create(report=original, email="taro@example.jp")
    with django_capture_on_commit_callbacks() as callbacks:
        update = triage.report_merge(report=duplicate, into=original, actor=officer,
                                     public_note="同じ穴の報告と一つにしました")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of) == (Report.Status.DUPLICATE, original)
    assert duplicate.closed_at is not None and duplicate.acknowledged_at is not None
    assert (update.kind, update.details) == (ReportUpdate.Kind.MERGED,
                                             {"into": original.reference})
    assert update.is_public and len(callbacks) == 1
    followers = ReportFollower.objects.filter(report=original)
    assert {(f.user_id, f.email) for f in followers} == {
        (None, "first@example.jp"), (None, "taro@example.jp"), (hanako.user.pk, "")}
    assert duplicate.photos.count() == 1
    assert ReportPhoto.objects.filter(report=original).count() == 0
    note = original.updates.get(kind=ReportUpdate.Kind.NOTE)
    assert note.details == {"merged": duplicate.reference, "followers": 1}
    assert not note.is_public
    assert AuditEvent.objects.filter(action="reports.report.merge").count() == 1


def test_merging_a_report_that_has_duplicates_moves_them_too(officer, shiba_report):
    second = make_report(place=MINATO_LIBRARY)
    third = make_report(place=MINATO_LIBRARY)
    triage.report_merge(report=third, into=second, actor=officer)
    triage.report_merge(report=second, into=shiba_report, actor=officer)
    third.refresh_from_db()
    assert third.duplicate_of == shiba_report
    assert not Report.objects.filter(duplicate_of__status=Report.Status.DUPLICATE).exists()


def test_merges_that_would_make_a_cycle_or_a_chain_are_refused(officer, azabu_officer,
                                                               shiba_report, azabu_report):
    second = make_report(place=MINATO_LIBRARY)
    triage.report_merge(report=second, into=shiba_report, actor=officer)
    before = snapshot(shiba_report), snapshot(second)
    with pytest.raises(ValidationFailed) as error:  # into a duplicate (a chain)
        triage.report_merge(report=shiba_report, into=second, actor=officer)
    assert error.value.code == "merge_into_duplicate"
    with pytest.raises(ConflictError):  # a duplicate again (the reverse: a cycle)
        triage.report_merge(report=second, into=shiba_report, actor=officer)
    with pytest.raises(ValidationFailed) as error:
        triage.report_merge(report=shiba_report, into=shiba_report, actor=officer)
    assert error.value.code == "merge_into_itself"
    with pytest.raises(ValidationFailed) as error:  # a report the officer cannot see
        triage.report_merge(report=shiba_report, into=azabu_report, actor=officer)
    assert error.value.code == "bad_target"
    with pytest.raises(ValidationFailed):
        triage.report_merge(report=shiba_report, into=None, actor=officer)
    assert (snapshot(shiba_report), snapshot(second)) == before


def test_a_closed_report_is_not_merged(officer, shiba_report):
    other = make_report(place=MINATO_LIBRARY)
    report_transition(report=other, status=Report.Status.FIXED, actor=None)
    before = snapshot(other)
    with pytest.raises(ConflictError):
        triage.report_merge(report=other, into=shiba_report, actor=officer)
    assert snapshot(other) == before


def test_merging_across_categories_is_allowed(officer, shiba_report, dumping_report):
    triage.report_merge(report=dumping_report, into=shiba_report, actor=officer)
    dumping_report.refresh_from_db()
    assert dumping_report.duplicate_of == shiba_report


# --- relocate -------------------------------------------------------------------------------

def test_correcting_the_town_moves_the_report_to_that_branch_offices_department(
        officer, manager, azabu_officer, shiba_report):
    town = Town.objects.get(name="元麻布", chome=3)
    update = triage.report_relocate(report=shiba_report, town=town, actor=officer,
                                    internal_note="電話で確認")
    shiba_report.refresh_from_db()
    assert (shiba_report.town, shiba_report.town_source) == (town, Report.TownSource.STAFF)
    assert shiba_report.branch_office.code == "azabu"
    assert shiba_report.department.code == "azabu-machizukuri"
    assert update.kind == ReportUpdate.Kind.ROUTED
    assert update.details["after"]["town"] == town.pk
    assert AuditEvent.objects.filter(action="reports.report.relocate").count() == 1
    assert triage.access_report(azabu_officer, shiba_report.reference) == shiba_report
    with pytest.raises(NotFoundError):
        triage.access_report(officer, shiba_report.reference)


def test_a_new_address_finds_its_town_and_a_handed_off_department_stays(
        manager, dumping_report):
    triage.report_relocate(report=dumping_report, address="東京都港区元麻布3-8-15",
                           actor=manager)
    dumping_report.refresh_from_db()
    assert (dumping_report.town.name, dumping_report.branch_office.code) == ("元麻布", "azabu")
    assert dumping_report.town_source == Report.TownSource.ADDRESS
    assert dumping_report.department.code == "recycle-seiso"


@pytest.mark.parametrize("arguments", [
    {},
    {"latitude": "35.658034", "longitude": "139.701636"},  # Shibuya
    {"latitude": "abc", "longitude": "139.7"},
    {"address": "東京都渋谷区道玄坂1-1"},
    {"town": "芝公園"},
])
def test_bad_places_change_nothing(officer, shiba_report, arguments):
    before = snapshot(shiba_report)
    with pytest.raises(ValidationFailed):
        triage.report_relocate(report=shiba_report, actor=officer, **arguments)
    assert snapshot(shiba_report) == before


def test_the_same_place_again_is_refused(officer, shiba_report):
    triage.report_relocate(report=shiba_report, town=shiba_report.town, actor=officer)
    shiba_report.refresh_from_db()
    assert shiba_report.town_source == Report.TownSource.STAFF  # confirmed by staff
    before = snapshot(shiba_report)
    with pytest.raises(ValidationFailed) as error:
        triage.report_relocate(report=shiba_report, town=shiba_report.town, actor=officer)
    assert error.value.code == "nothing_changed"
    assert snapshot(shiba_report) == before


# --- moderation -----------------------------------------------------------------------------

def test_moderation_publishes_the_description_and_chosen_photos(officer):
    report = make_report(place=MINATO_LIBRARY, photos=[upload(jpeg_bytes()),
                                                       upload(jpeg_bytes(color=(0, 0, 200)))])
    first, second = report.photos.order_by("pk")
    update = triage.report_moderate(report=report, public_description="車道に穴があります",
                                    is_public=True, public_photo_ids=[str(second.pk)],
                                    actor=officer)
    report.refresh_from_db()
    assert (report.public_description, report.is_public) == ("車道に穴があります", True)
    assert list(report.photos.order_by("pk").values_list("is_public", flat=True)) == [
        False, True]
    assert update.kind == ReportUpdate.Kind.MODERATED and not update.is_public
    assert update.details["after"] == {"is_public": True, "photos": [second.pk],
                                       "description_changed": True}
    assert AuditEvent.objects.filter(action="reports.report.moderate").count() == 1
    triage.report_moderate(report=report, public_description="車道に穴があります",
                           is_public=False, public_photo_ids=[], actor=officer)
    report.refresh_from_db()
    assert not report.is_public and not report.photos.filter(is_public=True).exists()
    assert first.pk


@pytest.mark.parametrize(("arguments", "code"), [
    ({"public_description": "", "is_public": True, "public_photo_ids": []},
     "no_public_description"),
    ({"public_description": "x" * 4001, "is_public": True, "public_photo_ids": []},
     "description_too_long"),
    ({"public_description": "穴", "is_public": True, "public_photo_ids": ["abc"]},
     "bad_photos"),
    ({"public_description": "穴", "is_public": True, "public_photo_ids": [999999]},
     "bad_photos"),
    ({"public_description": "", "is_public": False, "public_photo_ids": []},
     "nothing_changed"),
])
def test_bad_moderation_changes_nothing(officer, shiba_report, arguments, code):
    before = snapshot(shiba_report)
    with pytest.raises(ValidationFailed) as error:
        triage.report_moderate(report=shiba_report, actor=officer, **arguments)
    assert error.value.code == code
    assert snapshot(shiba_report) == before


def test_photos_of_another_report_cannot_be_published(officer, shiba_report):
    other = make_report(place=MINATO_LIBRARY, photos=[upload(jpeg_bytes())])
    before = snapshot(shiba_report), snapshot(other)
    with pytest.raises(ValidationFailed):
        triage.report_moderate(report=shiba_report, public_description="穴", is_public=True,
                               public_photo_ids=[other.photos.get().pk], actor=officer)
    assert (snapshot(shiba_report), snapshot(other)) == before


# --- filing for a caller --------------------------------------------------------------------

def test_staff_file_a_report_for_a_caller(officer):
    from .factories import category

    report = triage.report_file_for_caller(
        actor=officer, category=category("streetlight"), description="街灯が消えている",
        address="東京都港区芝公園4-2-8", attributes={"state": "dark"},
        contact_name="電話 太郎", contact_phone="03-0000-0000", source=Report.Source.WEB)
    assert report.source == Report.Source.STAFF
    assert report.updates.get().actor == officer
    assert report.department.code == "shiba-machizukuri"


# --- categories -----------------------------------------------------------------------------

def test_managers_save_categories_and_officers_may_not(officer, manager):
    from .factories import category

    graffiti = category("graffiti")
    graffiti.fix_within_days = 20
    triage.category_save(category=graffiti, actor=manager)
    graffiti.refresh_from_db()
    assert graffiti.fix_within_days == 20
    event = AuditEvent.objects.get(action="reports.category.save")
    assert event.details["fix_within_days"] == 20
    graffiti.fix_within_days = 5
    with pytest.raises(PermissionDeniedError):
        triage.category_save(category=graffiti, actor=officer)
    graffiti.acknowledge_within_hours = 0
    with pytest.raises(ValidationFailed):
        triage.category_save(category=graffiti, actor=manager)
    graffiti.refresh_from_db()
    assert (graffiti.fix_within_days, graffiti.acknowledge_within_hours) == (20, 72)
