"""Fixtures of the FAQ tests: the development knowledge (tests/fixtures/) loaded through the
same loader as the demo, and a fresh per-process index for every test."""

import pytest

from cityhall.faq import engine
from cityhall.faq.evaluation import FIXTURES_DIR
from cityhall.faq.loaders import load_knowledge


@pytest.fixture(autouse=True)
def _fresh_index():
    engine.reset()
    yield
    engine.reset()


@pytest.fixture
def knowledge(minato):
    load_knowledge(FIXTURES_DIR)
    return minato


@pytest.fixture
def staff_with_roles(minato):
    from cityhall.core.tests.factories import StaffFactory

    def make(*roles, department=None, email=None):
        return StaffFactory(roles=roles, department=department,
                            email=email or f"faq-{'-'.join(roles) or 'none'}-"
                                           f"{department or 'all'}@city.example")

    return make
