"""Fixtures shared by every app's tests.

The reference data of Minato City (municipality, branch offices, departments, towns, GSI
shelters and evacuation sites) and the staff role groups are loaded once per test session
into the test database; each test then runs in a transaction on top of it. Named demo
personas (`cityhall.core.demo`) are created per test through the factories, so that the tests
and the demo portal speak of the same people.

The browser tests need the whole Minato demo (`load_minato_demo`, 10-20 s) committed in the
database behind a live server. The fixture `minato_demo` loads it once per loading context
and keeps a snapshot of the whole database; every later test gets an exact copy of that
snapshot back (a fraction of a second), so tests stay isolated from each other while the demo
is not loaded again for each of them. See `minato_demo` for what "loading context" means.
"""

import hashlib
import json
import sqlite3

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
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


# --- the Minato demo, loaded once and restored per test ------------------------------------

def _demo_context_key() -> str:
    """What `load_minato_demo` could depend on besides the code: the database, today's date
    (the demo speaks of "3 days ago"), every setting (a test module's conftest may e.g. run
    tasks at once, which changes what loading leaves behind) and where each file field
    stores its files (the demo writes files, and some tests use a temporary folder)."""
    from django.apps import apps
    from django.conf import settings
    from django.db.models import FileField
    from django.utils import timezone

    parts = [connection.vendor, connection.settings_dict["NAME"], str(timezone.localdate())]
    parts += [f"{name}={getattr(settings, name)!r}" for name in sorted(dir(settings))
              if name.isupper()]
    for model in apps.get_models():
        for field in model._meta.fields:
            if isinstance(field, FileField):
                storage = field.storage
                parts.append(f"{model._meta.label}.{field.name}:{type(storage).__name__}:"
                             f"{getattr(storage, 'location', '')}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _database_snapshot():
    """An exact copy of every table (and, on PostgreSQL, every sequence) of the database."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(copy)  # page by page: schema, rows, sqlite_sequence
        return copy
    if connection.vendor == "postgresql":
        tables = {}
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor, include_views=False):
                with cursor.cursor.copy(f"COPY {_quote(table)} TO STDOUT (FORMAT binary)") as cp:
                    data = b"".join(bytes(chunk) for chunk in cp)
                # An empty table needs no COPY back (-1: the driver did not say).
                tables[table] = None if cursor.cursor.rowcount == 0 else data
            cursor.execute("SELECT sequencename, last_value, start_value FROM pg_sequences"
                           " WHERE schemaname = current_schema()")
            sequences = cursor.fetchall()
        return tables, sequences
    raise NotImplementedError(f"no database snapshot for {connection.vendor}")


def _database_restore(snapshot) -> None:
    """Puts the database back exactly as it was when `snapshot` was taken."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        snapshot.backup(connection.connection)
    else:
        tables, sequences = snapshot
        with transaction.atomic(), connection.cursor() as cursor:
            # Only the tables that hold rows are emptied: TRUNCATE costs about the same for an
            # empty table, and after the previous test's flush most are empty (all ~200 take
            # seconds, the few non-empty ones a fraction). CASCADE adds the tables that refer
            # to them. Row triggers do not fire on TRUNCATE; the audit log's append-only
            # trigger refuses UPDATE and DELETE, not INSERT.
            # Names from introspection, quoted.
            probe = " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {_quote(table)})"  # noqa: S608
                for table in tables)
            cursor.execute(probe, list(tables))
            filled = [table for (table,) in cursor.fetchall()]
            if filled:
                cursor.execute("TRUNCATE " + ", ".join(_quote(table) for table in filled)
                               + " CASCADE")
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit, when
            # every table is back.
            for table, data in tables.items():
                if data is not None:
                    with cursor.cursor.copy(
                            f"COPY {_quote(table)} FROM STDIN (FORMAT binary)") as cp:
                        cp.write(data)
            if sequences:  # one statement: ~200 sequences
                cursor.execute("SELECT " + ", ".join(["setval(%s, %s, %s)"] * len(sequences)),
                               [value for name, last_value, start_value in sequences
                                for value in (_quote(name),
                                              start_value if last_value is None else last_value,
                                              last_value is not None)])
    # Process caches that hold primary keys of rows that were just replaced.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


class _DemoSnapshots:
    """The snapshots of this test session by context key. Only a few are kept (each is a
    copy of the database); the least used goes first, so that the contexts of single tests
    (e.g. a test with its own temporary storage folder) do not push out a shared one."""

    kept = 4

    def __init__(self):
        self.snapshots, self.uses = {}, {}

    def get(self, key):
        if key in self.snapshots:
            self.uses[key] += 1
        return self.snapshots.get(key)

    def add(self, key, snapshot) -> None:
        if len(self.snapshots) >= self.kept:
            least = min(self.snapshots, key=lambda k: self.uses[k])  # oldest among equals
            self.close(self.snapshots.pop(least))
        self.snapshots[key], self.uses[key] = snapshot, 1

    @staticmethod
    def close(snapshot) -> None:
        if isinstance(snapshot, sqlite3.Connection):
            snapshot.close()


@pytest.fixture(scope="session")
def _demo_snapshots():
    snapshots = _DemoSnapshots()
    yield snapshots
    for snapshot in snapshots.snapshots.values():
        snapshots.close(snapshot)


@pytest.fixture
def minato_demo(transactional_db, _demo_snapshots):
    """The whole Minato demo (`load_minato_demo` on an empty database), committed, for tests
    that need it behind a live server (the browser tests).

    The first test in a loading context empties the database, loads the demo and keeps a
    snapshot; the next ones get the snapshot back instead of loading again. The context
    (`_demo_context_key`) covers the settings, the file storages and the date, so a test
    module whose conftest changes any of them gets its own load. Like any transactional test,
    the database is emptied after the test."""
    key = _demo_context_key()
    snapshot = _demo_snapshots.get(key)
    if snapshot is not None:
        _database_restore(snapshot)
        return
    call_command("flush", verbosity=0, interactive=False)
    call_command("load_minato_demo", verbosity=0)
    _demo_snapshots.add(key, _database_snapshot())


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
