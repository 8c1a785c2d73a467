"""Who may read a resident's record: anonymous / resident / staff of another branch office /
staff of the resident's branch office / staff with every branch office, and the audit trail
every staff read leaves."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from cityhall.core.errors import NotFoundError, PermissionDeniedError
from cityhall.core.models import AuditEvent
from cityhall.core.permissions import (
    access_resident_profile,
    can,
    can_view_resident,
    residents_visible_to,
)
from cityhall.core.tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db

PURPOSE = "転入届の窓口相談のため"


def detail_url(resident):
    return reverse("core:staff_resident_detail", args=[resident.pk])


def reads(resident=None):
    events = AuditEvent.objects.filter(action="resident.read")
    if resident is not None:
        events = events.filter(target_type="core.residentprofile", target_id=str(resident.pk))
    return events


# --- anonymous -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["core:my_profile", "core:my_profile_edit", "core:my_consents",
                                  "core:my_data_download", "core:my_account_delete",
                                  "core:staff_resident_list"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_anonymous_cannot_open_a_resident_record(client, hanako):
    before = AuditEvent.objects.count()
    response = client.post(detail_url(hanako), {"purpose": PURPOSE})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert AuditEvent.objects.count() == before


# --- residents -------------------------------------------------------------------------------

def test_resident_sees_only_their_own_data(client, hanako, taro):
    client.force_login(hanako.user)
    response = client.get(reverse("core:my_profile"))
    assert response.status_code == 200
    assert response.context["profile"] == hanako
    content = response.content.decode()
    assert taro.family_name_kana not in content
    assert taro.block_number not in content
    # A resident reading their own profile is not a staff read.
    assert not reads().exists()


def test_resident_cannot_reach_staff_resident_pages(client, hanako, taro):
    client.force_login(hanako.user)
    before = AuditEvent.objects.count()
    assert client.get(reverse("core:staff_resident_list")).status_code == 403
    assert client.get(detail_url(taro)).status_code == 403
    assert client.post(detail_url(taro), {"purpose": PURPOSE}).status_code == 403
    assert AuditEvent.objects.count() == before


def test_resident_gets_no_staff_listing(hanako, taro):
    assert list(residents_visible_to(hanako.user)) == []
    assert can_view_resident(hanako.user, hanako)
    assert not can_view_resident(hanako.user, taro)


def test_resident_reading_own_profile_through_the_door_is_not_audited(hanako):
    before = AuditEvent.objects.count()
    assert access_resident_profile(hanako.user, hanako.pk, purpose="") == hanako
    assert AuditEvent.objects.count() == before


def test_resident_reading_someone_else_is_refused_without_audit(hanako, taro):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        access_resident_profile(hanako.user, taro.pk, purpose=PURPOSE)
    assert AuditEvent.objects.count() == before


# --- staff of one branch office --------------------------------------------------------------

def test_staff_detail_asks_for_a_purpose_first(client, shiba_clerk, hanako):
    client.force_login(shiba_clerk)
    response = client.get(detail_url(hanako))
    assert response.status_code == 200
    assert "resident" not in response.context
    assert response.context["resident_id"] == hanako.pk
    assert not reads().exists()


def test_staff_detail_without_purpose_is_refused_and_not_audited(client, shiba_clerk, hanako):
    client.force_login(shiba_clerk)
    before = AuditEvent.objects.count()
    response = client.post(detail_url(hanako), {"purpose": ""})
    assert response.status_code == 400
    assert "purpose" in response.context["form"].errors
    response = client.post(detail_url(hanako), {"purpose": "x"})
    assert response.status_code == 400
    assert AuditEvent.objects.count() == before


def test_shiba_clerk_reads_a_shiba_resident_and_the_read_is_audited(client, shiba_clerk,
                                                                     hanako):
    client.force_login(shiba_clerk)
    response = client.post(detail_url(hanako), {"purpose": PURPOSE})
    assert response.status_code == 200
    assert response.context["resident"] == hanako
    events = list(reads())
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == shiba_clerk.pk
    assert event.actor_label == shiba_clerk.email
    assert event.target_type == "core.residentprofile"
    assert event.target_id == str(hanako.pk)
    assert event.purpose == PURPOSE
    assert event.request_id == response["X-Request-ID"]
    assert not AuditEvent.objects.filter(action="resident.read_denied").exists()


def test_each_staff_read_writes_exactly_one_event(client, shiba_clerk, hanako):
    client.force_login(shiba_clerk)
    for expected in (1, 2, 3):
        assert client.post(detail_url(hanako), {"purpose": PURPOSE}).status_code == 200
        assert reads(hanako).count() == expected


def test_shiba_clerk_is_refused_an_azabu_resident_and_the_attempt_is_audited(
        client, shiba_clerk, taro):
    client.force_login(shiba_clerk)
    response = client.post(detail_url(taro), {"purpose": PURPOSE})
    assert response.status_code == 403
    assert "resident" not in (response.context or {})
    assert not reads().exists()
    denied = list(AuditEvent.objects.filter(action="resident.read_denied"))
    assert len(denied) == 1
    assert denied[0].actor_id == shiba_clerk.pk
    assert denied[0].target_id == str(taro.pk)
    assert denied[0].purpose == PURPOSE


def test_azabu_clerk_reads_azabu_but_not_shiba(azabu_clerk, hanako, taro):
    assert access_resident_profile(azabu_clerk, taro.pk, purpose=PURPOSE) == taro
    with pytest.raises(PermissionDeniedError):
        access_resident_profile(azabu_clerk, hanako.pk, purpose=PURPOSE)
    assert reads(taro).count() == 1
    assert not reads(hanako).exists()


def test_staff_list_shows_only_own_branch_residents(client, shiba_clerk, hanako, taro, emily):
    other_shiba = ResidentFactory(town=("芝公園", 4))
    client.force_login(shiba_clerk)
    response = client.get(reverse("core:staff_resident_list"))
    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert sorted(r.pk for r in listed) == sorted([hanako.pk, other_shiba.pk])
    # A list shows names, not records: no read event, but one list event that records the
    # search and how many were shown, never who.
    assert not reads().exists()
    listing = AuditEvent.objects.get(action="resident.list")
    assert listing.actor_id == shiba_clerk.pk
    assert listing.details == {"query": "", "page": 1, "shown": 2}


def test_staff_list_search_stays_within_the_branch(client, shiba_clerk, hanako, taro):
    client.force_login(shiba_clerk)
    response = client.get(reverse("core:staff_resident_list"), {"q": "アザブ"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    response = client.get(reverse("core:staff_resident_list"), {"q": "ミナト"})
    assert list(response.context["page"].object_list) == [hanako]


def test_staff_without_resident_permission_is_refused(client, auditor, hanako):
    client.force_login(auditor)
    before = AuditEvent.objects.count()
    assert client.get(reverse("core:staff_resident_list")).status_code == 403
    assert client.post(detail_url(hanako), {"purpose": PURPOSE}).status_code == 403
    assert AuditEvent.objects.count() == before


# --- staff of every branch office -------------------------------------------------------------

def test_records_supervisor_reads_residents_of_every_branch(client, records_supervisor, hanako,
                                                             taro, emily):
    client.force_login(records_supervisor)
    for resident in (hanako, taro, emily):
        response = client.post(detail_url(resident), {"purpose": PURPOSE})
        assert response.status_code == 200
        assert response.context["resident"] == resident
        assert reads(resident).count() == 1
        assert reads(resident).get().actor_id == records_supervisor.pk
    assert reads().count() == 3
    listed = client.get(reverse("core:staff_resident_list")).context["page"].object_list
    assert sorted(r.pk for r in listed) == sorted([hanako.pk, taro.pk, emily.pk])


# --- second factor ----------------------------------------------------------------------------

def test_staff_without_second_factor_are_sent_to_mfa_setup(client, staff_persona, hanako):
    clerk = staff_persona("shiba_clerk", mfa=False)
    client.force_login(clerk)
    before = AuditEvent.objects.count()
    for response in (client.get(reverse("core:staff_resident_list")),
                     client.post(detail_url(hanako), {"purpose": PURPOSE}),
                     client.get(reverse("core:home"))):
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_index")
    assert AuditEvent.objects.count() == before
    # Setting up the second factor stays reachable.
    assert client.get(reverse("mfa_index")).status_code == 200


# --- the door itself -------------------------------------------------------------------------

@pytest.mark.parametrize("bad_id", [0, 999_999_999, "abc", None])
def test_access_resident_profile_with_a_bad_id_is_not_found(shiba_clerk, bad_id):
    before = AuditEvent.objects.count()
    with pytest.raises(NotFoundError):
        access_resident_profile(shiba_clerk, bad_id, purpose=PURPOSE)
    assert AuditEvent.objects.count() == before


def test_staff_detail_of_a_missing_resident_is_404(client, records_supervisor):
    client.force_login(records_supervisor)
    response = client.post(reverse("core:staff_resident_detail", args=[999_999_999]),
                           {"purpose": PURPOSE})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="resident.read").exists()


def test_can_is_false_for_anonymous_residents_and_inactive_staff(minato, hanako):
    active = StaffFactory(roles=["counter_clerk"])
    inactive = StaffFactory(roles=["counter_clerk"], is_active=False)
    assert can(active, "core.view_residentprofile")
    assert not can(inactive, "core.view_residentprofile")
    assert not can(AnonymousUser(), "core.view_residentprofile")
    assert not can(hanako.user, "core.view_residentprofile")
    assert not can(active, "core.view_residents_all_branches")


def test_inactive_staff_cannot_read_residents(minato, hanako):
    inactive = StaffFactory(roles=["records_supervisor"], is_active=False)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        access_resident_profile(inactive, hanako.pk, purpose=PURPOSE)
    assert not reads().exists()
    assert list(residents_visible_to(inactive)) == []
    # An inactive account is not a staff member: its refused attempt is not attributed to it.
    assert AuditEvent.objects.count() == before
