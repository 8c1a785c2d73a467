"""The shelters subject's data and services: Minato's real places as core loaded them, opening
and closing, crowding set directly or derived from a head count with the thresholds, history
and audit written with the change, who may update (assigned staff or a manager; everyone else
is refused and nothing changes), bad input refused and nothing changed, the cache version
replaced after commit, and the demo loader."""

import json

import pytest
from django.core.cache import cache

from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent, Facility
from cityhall.core.services import GSI_SOURCE
from cityhall.disaster import services
from cityhall.disaster.models import (
    Crowding,
    CrowdingThresholds,
    ShelterAssignment,
    ShelterStatus,
    ShelterStatusChange,
)
from cityhall.disaster.selectors import shelters as selectors
from cityhall.disaster.services.shelters import DATA, VERSION_KEY

from .shelters_fixtures import NANZAN_ES, NANZAN_SITE, ONARIMON_JHS, WELFARE, shelter, snapshot

pytestmark = pytest.mark.django_db

SHARED = "/work/shared/data/minato"


# --- the data core loaded -------------------------------------------------------------------

def test_minato_has_83_shelters_and_61_evacuation_sites_with_their_common_ids(minato):
    shelters = Facility.objects.filter(kind=Facility.Kind.SHELTER)
    sites = Facility.objects.filter(kind=Facility.Kind.EVACUATION_SITE)
    assert shelters.count() == 83
    assert sites.count() == 61
    from cityhall.core.management.commands.load_minato_demo import DATA as CORE_DATA

    for name, queryset in (("designated_shelters.geojson", shelters),
                           ("emergency_evacuation_sites.geojson", sites)):
        features = json.loads((CORE_DATA / name).read_text("utf-8"))["features"]
        assert sorted(f["properties"]["共通ID"] for f in features) == sorted(
            queryset.values_list("code", flat=True))
    assert set(Facility.objects.filter(kind__in=["shelter", "evacuation_site"])
               .values_list("source", flat=True)) == {GSI_SOURCE}
    assert "出典：国土地理院" in GSI_SOURCE


def test_the_project_copy_is_the_shared_data(minato):
    import filecmp
    import os

    from cityhall.core.management.commands.load_minato_demo import DATA as CORE_DATA

    if not os.path.isdir(SHARED):
        pytest.skip("the shared data folder is not on this machine")
    for name in ("designated_shelters.geojson", "emergency_evacuation_sites.geojson"):
        assert filecmp.cmp(CORE_DATA / name, f"{SHARED}/{name}", shallow=False)


def test_hazards_and_welfare_shelters_are_kept(minato):
    site = shelter(NANZAN_SITE)
    assert site.hazards == ["flood", "landslide", "storm_surge", "earthquake"]
    welfare_codes = [f.code for f in Facility.objects.filter(kind="shelter")
                     if "welfare_shelter" in f.accessibility]
    assert len(welfare_codes) == 24
    assert WELFARE in welfare_codes
    # A designated shelter has no hazards of its own; the public list gives it those of the
    # evacuation site at the same address.
    assert shelter(NANZAN_ES).hazards == []
    assert selectors.shelter_row(shelter(NANZAN_ES)).hazards == sorted(site.hazards)


# --- opening, crowding, closing --------------------------------------------------------------

def test_assigned_staff_open_a_shelter_with_history_and_audit(shelter_clerk, on_commit):
    facility = shelter()
    with on_commit():
        change = services.shelter_status_update(facility=facility, actor=shelter_clerk,
                                                is_open=True, pets_allowed=True,
                                                supplies="水、毛布", notes="体育館に入ってください")
    status = ShelterStatus.objects.get(facility=facility)
    assert (status.is_open, status.crowding, status.pets_allowed) == (True, "available", True)
    assert status.updated_by == shelter_clerk
    assert status.opened_at == status.updated_at == change.changed_at
    assert change.event == "opened"
    assert change.fields == ["is_open", "crowding", "pets_allowed", "supplies", "notes"]
    event = AuditEvent.objects.filter(action="shelter.status_update").get()
    assert event.actor == shelter_clerk
    assert event.target_id == str(facility.pk)
    assert event.details["change"] == change.pk
    assert event.details["event"] == "opened"


@pytest.mark.parametrize(("head_count", "expected"), [
    (0, Crowding.AVAILABLE), (29, Crowding.AVAILABLE), (30, Crowding.SOMEWHAT_CROWDED),
    (59, Crowding.SOMEWHAT_CROWDED), (60, Crowding.CROWDED), (79, Crowding.CROWDED),
    (80, Crowding.FULL), (100, Crowding.FULL), (150, Crowding.FULL),
])
def test_crowding_is_derived_from_head_count_with_the_default_thresholds(
        shelter_clerk, head_count, expected):
    facility = shelter()
    services.shelter_status_update(facility=facility, actor=shelter_clerk, is_open=True,
                                   capacity=100, head_count=head_count)
    status = ShelterStatus.objects.get(facility=facility)
    assert (status.head_count, status.crowding) == (head_count, expected)


def test_thresholds_set_by_a_manager_apply_to_the_next_head_count(shelter_clerk, manager):
    facility = shelter()
    services.shelter_status_update(facility=facility, actor=shelter_clerk, is_open=True,
                                   capacity=200, head_count=100)
    assert ShelterStatus.objects.get(facility=facility).crowding == Crowding.SOMEWHAT_CROWDED
    services.crowding_thresholds_set(somewhat_crowded_percent=10, crowded_percent=40,
                                     full_percent=50, actor=manager)
    assert ShelterStatus.objects.get(facility=facility).crowding == Crowding.SOMEWHAT_CROWDED
    change = services.shelter_status_update(facility=facility, actor=shelter_clerk,
                                            head_count=100)
    assert ShelterStatus.objects.get(facility=facility).crowding == Crowding.FULL
    assert change.event == "full"
    assert AuditEvent.objects.filter(action="shelter.thresholds_set").count() == 1


def test_crowding_set_directly_wins_over_the_head_count(shelter_clerk):
    facility = shelter()
    services.shelter_status_update(facility=facility, actor=shelter_clerk, is_open=True,
                                   capacity=100, head_count=10, crowding=Crowding.CROWDED)
    status = ShelterStatus.objects.get(facility=facility)
    assert (status.head_count, status.crowding) == (10, Crowding.CROWDED)


def test_events_opened_full_updated_closed(shelter_clerk):
    facility = shelter()
    events = []
    for kwargs in ({"is_open": True}, {"crowding": "crowded"}, {"crowding": "full"},
                   {"crowding": "full", "notes": "満員です"}, {"is_open": False}):
        events.append(services.shelter_status_update(facility=facility, actor=shelter_clerk,
                                                     **kwargs).event)
    assert events == ["opened", "updated", "full", "updated", "closed"]
    status = ShelterStatus.objects.get(facility=facility)
    assert (status.is_open, status.crowding, status.head_count) == (False, "", None)
    assert ShelterStatusChange.objects.filter(facility=facility).count() == 5


def test_an_update_that_changes_nothing_writes_nothing(shelter_clerk):
    facility = shelter()
    services.shelter_status_update(facility=facility, actor=shelter_clerk, is_open=True)
    before = snapshot()
    assert services.shelter_status_update(facility=facility, actor=shelter_clerk,
                                          is_open=True) is None
    assert snapshot() == before


# --- who may update -----------------------------------------------------------------------------

def test_a_manager_updates_any_shelter(manager):
    services.shelter_status_update(facility=shelter(NANZAN_ES), actor=manager, is_open=True)
    assert ShelterStatus.objects.get(facility__code=NANZAN_ES).is_open


@pytest.mark.parametrize("who", ["anonymous", "resident", "unassigned_staff", "other_shelter"])
def test_everyone_else_is_refused_and_nothing_changes(who, shelter_clerk, other_clerk, hanako):
    from django.contrib.auth.models import AnonymousUser

    actor = {"anonymous": AnonymousUser(), "resident": hanako.user,
             "unassigned_staff": other_clerk, "other_shelter": shelter_clerk}[who]
    facility = shelter(NANZAN_ES if who == "other_shelter" else ONARIMON_JHS)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.shelter_status_update(facility=facility, actor=actor, is_open=True)
    assert snapshot() == before


def test_only_a_manager_assigns_staff_and_sets_thresholds(shelter_clerk, other_clerk, manager):
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.shelter_assignment_add(facility=shelter(), staff=other_clerk,
                                        actor=shelter_clerk)
    with pytest.raises(PermissionDeniedError):
        services.crowding_thresholds_set(somewhat_crowded_percent=10, crowded_percent=20,
                                         full_percent=30, actor=other_clerk)
    assert snapshot() == before
    services.shelter_assignment_add(facility=shelter(), staff=other_clerk, actor=manager)
    services.shelter_assignment_add(facility=shelter(), staff=other_clerk, actor=manager)
    assert ShelterAssignment.objects.filter(staff=other_clerk).count() == 1
    assert services.shelter_assignment_remove(facility=shelter(), staff=other_clerk,
                                              actor=manager)
    assert not ShelterAssignment.objects.filter(staff=other_clerk).exists()


def test_a_resident_cannot_be_assigned(manager, hanako):
    with pytest.raises(ValidationFailed):
        services.shelter_assignment_add(facility=shelter(), staff=hanako.user, actor=manager)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "field"), [
    ({"is_open": True, "head_count": -1, "capacity": 100}, "head_count"),
    ({"is_open": True, "head_count": "12a", "capacity": 100}, "head_count"),
    ({"is_open": True, "head_count": 1.5, "capacity": 100}, "head_count"),
    ({"is_open": True, "head_count": 100_001, "capacity": 100}, "head_count"),
    ({"is_open": True, "head_count": True, "capacity": 100}, "head_count"),
    ({"is_open": True, "head_count": 10}, "head_count"),  # no capacity known
    ({"is_open": True, "capacity": 0}, "capacity"),
    ({"is_open": True, "crowding": "packed"}, "crowding"),
    ({"is_open": False, "crowding": "full"}, "is_open"),
    ({"is_open": False, "head_count": 3}, "is_open"),
    ({"is_open": True, "notes": "x" * 1001}, "notes"),
    ({"is_open": True, "supplies": "x" * 301}, "supplies"),
])
def test_bad_input_is_refused_and_changes_nothing(shelter_clerk, kwargs, field):
    before = snapshot()
    with pytest.raises(ValidationFailed) as error:
        services.shelter_status_update(facility=shelter(), actor=shelter_clerk, **kwargs)
    assert error.value.field == field
    assert str(error.value.message)
    assert snapshot() == before


@pytest.mark.parametrize("values", [(0, 60, 80), (60, 30, 80), (30, 60, 101), (30, 30, 80),
                                    ("a", 60, 80), (None, 60, 80), (True, 60, 80)])
def test_bad_thresholds_are_refused(manager, values):
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.crowding_thresholds_set(somewhat_crowded_percent=values[0],
                                         crowded_percent=values[1], full_percent=values[2],
                                         actor=manager)
    assert snapshot() == before
    assert not CrowdingThresholds.objects.exists()


@pytest.mark.parametrize("code", ["E0000000000000", "", None, "x" * 500, "1"])
def test_an_unknown_shelter_is_not_found(code, minato):
    with pytest.raises(NotFoundError):
        services.shelter_get(code)


def test_a_facility_that_is_no_shelter_cannot_be_updated(manager):
    office = Facility.objects.exclude(kind__in=["shelter", "evacuation_site"]).first() or \
        Facility.objects.create(municipality=shelter().municipality, code="test-library",
                                name="図書館", kind="library", address="東京都港区芝公園3-2-25")
    with pytest.raises(NotFoundError):
        services.shelter_status_update(facility=office, actor=manager, is_open=True)


# --- cache version ----------------------------------------------------------------------------

def test_the_cache_version_changes_after_commit_only(shelter_clerk,
                                                     django_capture_on_commit_callbacks):
    first = services.shelters_cache_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.shelter_status_update(facility=shelter(), actor=shelter_clerk, is_open=True)
    # Not committed yet: the cached version still stands.
    assert cache.get(VERSION_KEY) == first
    for callback in callbacks:
        callback()
    second = services.shelters_cache_version()
    assert second["token"] != first["token"]
    assert second["modified"] == ShelterStatus.objects.get(facility=shelter()).updated_at


def test_the_version_is_read_from_the_database_when_the_cache_is_empty(shelter_clerk):
    services.shelter_status_update(facility=shelter(), actor=shelter_clerk, is_open=True)
    cache.delete(VERSION_KEY)
    version = services.shelters_cache_version()
    assert version["modified"] == ShelterStatus.objects.get(facility=shelter()).updated_at


def test_without_the_notifications_engine_nothing_is_published(shelter_clerk, on_commit,
                                                               settings):
    from django.apps import apps

    if apps.is_installed("cityhall.notifications"):
        pytest.skip("the notifications engine is installed here")
    with on_commit():
        change = services.shelter_status_update(facility=shelter(), actor=shelter_clerk,
                                                is_open=True)
    assert change.event == "opened"
    assert services.shelter_topics_ensure() == 0


# --- demo -------------------------------------------------------------------------------------

def test_demo_capacities_are_marked_invented(minato):
    data = json.loads((DATA / "shelter_capacities_demo.json").read_text("utf-8"))
    assert "INVENTED" in data["note"]
    assert len(data["capacities"]) == 83
    assert set(data["capacities"]) == set(
        Facility.objects.filter(kind="shelter").values_list("code", flat=True))


def test_the_demo_loader_assigns_the_demo_clerk_and_opens_two_shelters(staff_persona):
    from cityhall.core.registry import demo_loaders

    clerk = staff_persona("shiba_clerk")
    loaders = dict(demo_loaders())
    assert "disaster.shelters" in loaders
    loaders["disaster.shelters"]()
    loaders["disaster.shelters"]()  # idempotent
    assert set(ShelterAssignment.objects.filter(staff=clerk).values_list(
        "facility__code", flat=True)) == {ONARIMON_JHS, "E1310300030111", WELFARE}
    opened = ShelterStatus.objects.filter(is_open=True)
    assert opened.count() == 2
    assert all(status.is_demo and status.capacity_is_demo for status in opened)
    assert ShelterStatus.objects.filter(capacity__isnull=False).count() == 83
    # A capacity that staff entered is never overwritten by the demo file.
    status = ShelterStatus.objects.get(facility__code=NANZAN_ES)
    ShelterStatus.objects.filter(pk=status.pk).update(capacity=999, capacity_is_demo=False)
    loaders["disaster.shelters"]()
    assert ShelterStatus.objects.get(pk=status.pk).capacity == 999
