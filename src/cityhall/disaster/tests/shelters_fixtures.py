"""Fixtures and helpers shared by the shelters tests (import them explicitly)."""

import pytest

from cityhall.core.models import AuditEvent, Facility
from cityhall.disaster import services
from cityhall.disaster.models import (
    CrowdingThresholds,
    ShelterAssignment,
    ShelterStatus,
    ShelterStatusChange,
)

# Real places from the GSI data (出典：国土地理院).
ONARIMON_JHS = "E1310300033111"  # 御成門中学校, 西新橋3丁目 (shiba): a designated shelter
NANZAN_ES = "E1310300001111"  # 南山小学校, 元麻布3-8-15 (azabu): a designated shelter
NANZAN_SITE = "E1310300001201"  # 南山小学校 as an emergency evacuation site
WELFARE = "E1310300032123"  # 新橋はつらつ太陽: a welfare shelter (要支援者)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def shelter(code=ONARIMON_JHS) -> Facility:
    return Facility.objects.get(code=code)


def snapshot():
    """What a refused request must leave as it was."""
    return (list(ShelterStatus.objects.order_by("pk").values_list(
                "pk", "is_open", "crowding", "head_count", "capacity", "pets_allowed",
                "supplies", "notes", "updated_at")),
            ShelterStatusChange.objects.count(),
            list(ShelterAssignment.objects.order_by("pk").values_list("pk", "facility",
                                                                       "staff")),
            list(CrowdingThresholds.objects.values_list(
                "somewhat_crowded_percent", "crowded_percent", "full_percent")),
            AuditEvent.objects.filter(action__startswith="shelter.").count())


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit work (cache version, notifications) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def manager(staff_persona):
    """芝 支所長: a branch manager, who may update any shelter and assign staff."""
    return staff_persona("shiba_manager")


@pytest.fixture
def shelter_clerk(staff_persona, manager):
    """芝 窓口太郎, assigned by the manager to 御成門中学校 only."""
    clerk = staff_persona("shiba_clerk")
    services.shelter_assignment_add(facility=shelter(), staff=clerk, actor=manager)
    return clerk


@pytest.fixture
def other_clerk(staff_persona):
    """麻布 窓口花子: staff, but assigned to no shelter."""
    return staff_persona("azabu_clerk")
