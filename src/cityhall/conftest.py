"""Fixtures shared by every app's tests.

The reference data of Minato City (municipality, branch offices, departments, towns, GSI
shelters and evacuation sites) and the staff role groups are loaded once per test session
into the test database; each test then runs in a transaction on top of it. Named demo
personas (`cityhall.core.demo`) are created per test through the factories, so that the tests
and the demo portal speak of the same people.
"""

import json

import pytest
from django.core.cache import cache
from django.test.utils import override_settings

from cityhall.core import demo, services
from cityhall.core.management.commands.load_minato_demo import DATA as MINATO_DATA
from cityhall.core.models import BranchOffice, Municipality

FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_minato_reference_data() -> Municipality:
    """The real (not invented) data of Minato City and the role groups; idempotent."""
    municipality = services.municipality_import(
        data=json.loads((MINATO_DATA / "municipality.json").read_text(encoding="utf-8")))
    services.shelters_import(
        municipality=municipality,
        shelters=json.loads(
            (MINATO_DATA / "designated_shelters.geojson").read_text(encoding="utf-8")),
        evacuation_sites=json.loads(
            (MINATO_DATA / "emergency_evacuation_sites.geojson").read_text(encoding="utf-8")))
    services.sync_roles()
    # The installed apps' own reference data (e.g. the procedure catalogue).
    from cityhall.core.registry import reference_loaders

    # The open data catalogue would publish its live datasets here; every test starts from
    # an empty catalogue instead (opendata's own tests publish them when they need to).
    with override_settings(OPENDATA_LIVE_PUBLISH_ON_LOAD=False):
        for _name, loader in reference_loaders():
            loader()
    return municipality


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    # Hashing with the production hasher costs ~0.3 s a user; tests check behaviour only.
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_minato_reference_data()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits (allauth) and used TOTP codes live in the cache; no test sees another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def minato(db) -> Municipality:
    """Minato City with its 6 branch offices, 117 towns and 144 shelters/sites, and the role
    groups. Loaded once per session; loaded again here after a transactional test emptied
    the database."""
    if not BranchOffice.objects.exists():
        return load_minato_reference_data()
    return Municipality.objects.get(code="131032")


# --- personas --------------------------------------------------------------------------------

@pytest.fixture
def staff_persona(minato):
    """Create a demo staff persona by key, with a second factor: `staff_persona("auditor")`."""
    from cityhall.core.tests.factories import StaffFactory

    def make(key: str, *, mfa: bool = True):
        return StaffFactory.from_persona(demo.STAFF[key], mfa=mfa)

    return make


@pytest.fixture
def resident_persona(minato):
    """Create a demo resident persona by key: `resident_persona("hanako")`."""
    from cityhall.core.tests.factories import ResidentFactory

    def make(key: str):
        return ResidentFactory.from_persona(demo.RESIDENTS[key])

    return make


@pytest.fixture
def hanako(resident_persona):
    """港 花子, lives in 芝公園2丁目 (branch office: shiba)."""
    return resident_persona("hanako")


@pytest.fixture
def taro(resident_persona):
    """麻布 太郎, lives in 元麻布3丁目 (branch office: azabu)."""
    return resident_persona("taro")


@pytest.fixture
def emily(resident_persona):
    """Emily Takanawa, lives in 高輪2丁目 (branch office: takanawa), prefers English."""
    return resident_persona("emily")


@pytest.fixture
def shiba_clerk(staff_persona):
    return staff_persona("shiba_clerk")


@pytest.fixture
def azabu_clerk(staff_persona):
    return staff_persona("azabu_clerk")


@pytest.fixture
def shiba_manager(staff_persona):
    """芝 支所長, branch manager of the shiba branch office: approves refunds and sees the
    payments reconciliation."""
    return staff_persona("shiba_manager")


@pytest.fixture
def records_supervisor(staff_persona):
    return staff_persona("records_supervisor")


@pytest.fixture
def reviewer(staff_persona):
    """衛生 審査子, application reviewer in 生活衛生課 (which runs 犬の登録)."""
    return staff_persona("eisei_reviewer")


@pytest.fixture
def second_reviewer(staff_persona):
    """A second reviewer of 生活衛生課, for two-person approval."""
    return staff_persona("eisei_reviewer_2")


@pytest.fixture
def auditor(staff_persona):
    return staff_persona("auditor")


@pytest.fixture
def system_admin(staff_persona):
    """The demo system administrator (a superuser), with a second factor."""
    return staff_persona("admin")
