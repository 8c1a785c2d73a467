"""Fixtures of the opendata tests: an open data officer (all organizations), an editor of the
disaster office (防災危機管理室) only, and a counter clerk who may publish nothing."""

import pytest

from .factories import opendata_staff
from .live_helpers import private_storage  # noqa: F401


@pytest.fixture(autouse=True)
def _private_storage(request):
    """Every opendata test writes its files into its own temporary folder."""
    request.getfixturevalue("private_storage")


@pytest.fixture
def officer(minato):
    return opendata_staff(email="opendata1@test.cityhall.example")


@pytest.fixture
def disaster_editor(minato):
    return opendata_staff(roles=("opendata_department_editor",),
                          department="disaster-management",
                          email="bousai.od@test.cityhall.example")


@pytest.fixture
def clerk(minato):
    return opendata_staff(roles=("counter_clerk",), department="shiba-residents",
                          email="clerk.od@test.cityhall.example")
