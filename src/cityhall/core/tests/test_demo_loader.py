"""`manage.py load_minato_demo`: real reference data plus invented personas, idempotent."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from cityhall.core import demo
from cityhall.core.management.commands.load_minato_demo import DATA
from cityhall.core.models import (
    BranchOffice,
    Department,
    Facility,
    Municipality,
    ResidentProfile,
    StaffProfile,
    Town,
)
from cityhall.core.permissions import ROLES
from cityhall.core.services import GSI_SOURCE

MUNICIPALITY = json.loads((DATA / "municipality.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.django_db

User = get_user_model()


def counts():
    return {model.__name__: model.objects.count() for model in (
        Municipality, BranchOffice, Department, Town, Facility, User, ResidentProfile,
        StaffProfile, Group, EmailAddress)}


@pytest.fixture
def loaded(minato):
    call_command("load_minato_demo")
    return counts()


def facilities_of_installed_apps() -> int:
    """Facilities that installed apps add with their reference data (e.g. the bookings
    engine's library and community centres); core itself loads only shelters and sites."""
    return Facility.objects.exclude(
        kind__in=[Facility.Kind.SHELTER, Facility.Kind.EVACUATION_SITE]).count()


def test_loading_twice_changes_nothing(loaded, capsys):
    capsys.readouterr()
    call_command("load_minato_demo")
    out = capsys.readouterr().out
    assert "6 offices" in out
    assert "117 towns" in out
    assert "144 shelters and evacuation sites" in out
    assert counts() == loaded
    assert loaded == {
        "Municipality": 1, "BranchOffice": 6, "Department": len(MUNICIPALITY["departments"]),
        "Town": 117,
        "Facility": 144 + facilities_of_installed_apps(),
        "User": len(demo.STAFF) + len(demo.RESIDENTS),
        "ResidentProfile": len(demo.RESIDENTS), "StaffProfile": len(demo.STAFF),
        "Group": len(ROLES), "EmailAddress": len(demo.STAFF) + len(demo.RESIDENTS)}


def test_reference_data(loaded):
    check_facilities()
    check_sources()
    check_nanzan_elementary_school()


def test_demo_people(loaded):
    check_demo_people_are_marked_demo_and_can_sign_in()
    check_staff_personas()
    check_resident_personas()


def check_facilities():
    assert Facility.objects.filter(kind=Facility.Kind.SHELTER).count() == 83
    assert Facility.objects.filter(kind=Facility.Kind.EVACUATION_SITE).count() == 61
    assert not Facility.objects.filter(town__isnull=True).exists()
    assert not Facility.objects.filter(branch_office__isnull=True).exists()
    for facility in Facility.objects.select_related("town"):
        assert facility.branch_office_id == facility.town.branch_office_id
    # The reference facilities are real; an installed app's demo may add invented ones
    # (e.g. the childcare demo's nurseries), marked demo.
    assert not Facility.objects.filter(
        kind__in=[Facility.Kind.SHELTER, Facility.Kind.EVACUATION_SITE], is_demo=True).exists()


def check_sources():
    gsi = Facility.objects.filter(
        kind__in=[Facility.Kind.SHELTER, Facility.Kind.EVACUATION_SITE])
    assert set(gsi.values_list("source", flat=True)) == {GSI_SOURCE}
    assert GSI_SOURCE == "出典：国土地理院「指定緊急避難場所・指定避難所データ」"


def check_nanzan_elementary_school():
    """南山小学校 (元麻布3-8-15) is served by the Azabu branch office."""
    shelter = Facility.objects.select_related("town", "branch_office").get(
        kind=Facility.Kind.SHELTER, name="南山小学校")
    assert "元麻布3-8-15" in shelter.address
    assert shelter.town.label == "元麻布3丁目"
    assert shelter.branch_office.code == "azabu"
    site = Facility.objects.get(kind=Facility.Kind.EVACUATION_SITE, name="南山小学校")
    assert site.branch_office.code == "azabu"
    assert site.hazards


def check_demo_people_are_marked_demo_and_can_sign_in():
    assert set(User.objects.values_list("is_demo", flat=True)) == {True}
    assert set(ResidentProfile.objects.values_list("is_demo", flat=True)) == {True}
    assert all(email.endswith(f"@{demo.DEMO_DOMAIN}")
               for email in User.objects.values_list("email", flat=True))
    assert not EmailAddress.objects.filter(verified=False).exists()
    for persona in [*demo.STAFF.values(), *demo.RESIDENTS.values()]:
        assert authenticate(email=persona.email, password=demo.DEMO_PASSWORD) is not None


def check_staff_personas():
    for persona in demo.STAFF.values():
        profile = StaffProfile.objects.select_related("user", "branch_office").get(
            user__email=persona.email)
        assert profile.user.is_staff
        assert profile.user.is_superuser == persona.is_superuser
        assert profile.branch_office.code == persona.branch_office
        assert profile.display_name == persona.display_name
        assert sorted(profile.user.groups.values_list("name", flat=True)) == sorted(
            persona.roles)


def check_resident_personas():
    for persona in demo.RESIDENTS.values():
        profile = ResidentProfile.objects.select_related("town").get(user__email=persona.email)
        name, chome = persona.town
        assert (profile.town.name, profile.town.chome) == (name, chome)
        assert profile.full_name == f"{persona.family_name} {persona.given_name}"
        assert profile.accessibility_needs == list(persona.accessibility_needs)
    assert ResidentProfile.objects.get(
        user__email=demo.RESIDENTS["hanako"].email).town.branch_office.code == "shiba"
    assert ResidentProfile.objects.get(
        user__email=demo.RESIDENTS["taro"].email).town.branch_office.code == "azabu"

