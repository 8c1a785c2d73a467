"""The append-only, hash-chained audit log: chaining, verification, tamper detection, the
database trigger and the read-only admin."""

from contextlib import contextmanager
from itertools import pairwise

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from cityhall.core.audit import GENESIS_HASH, audit_record, audit_verify, compute_hash
from cityhall.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

TRIGGER = "core_auditevent_append_only"
SQLITE_TRIGGER_SQL = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON core_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""


@pytest.fixture(autouse=True)
def _empty_audit_log(db):
    """Each test starts from an empty log. The reference data loaded for the session (e.g.
    an app's catalogue import) leaves events behind; they are removed inside the test's
    transaction, which is rolled back afterwards (TRUNCATE is not a row-level DELETE, so the
    append-only trigger does not fire on PostgreSQL; SQLite has no DELETE trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE core_auditevent")
        else:
            cursor.execute("DELETE FROM core_auditevent")
    AuditChainHead.objects.all().delete()


@contextmanager
def append_only_trigger_disabled():
    """Switch off the database's refusal, as an attacker with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE core_auditevent DISABLE TRIGGER {TRIGGER}")
        else:
            cursor.execute(f"DROP TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE core_auditevent ENABLE TRIGGER {TRIGGER}")
            else:
                cursor.execute(SQLITE_TRIGGER_SQL)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def record_events(count, actor=None):
    return [audit_record(actor=actor, action="test.event", target_type="test.thing",
                         target_id=str(n), purpose=f"purpose {n}", details={"n": n})
            for n in range(1, count + 1)]


def test_events_are_chained_in_sequence(minato, auditor):
    start = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    events = record_events(5, actor=auditor)
    assert [e.sequence for e in events] == list(range(start + 1, start + 6))
    for before, after in pairwise(events):
        assert after.previous_hash == before.entry_hash
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.entry_hash == compute_hash(stored) == event.entry_hash
        assert stored.actor_id == auditor.pk
        assert stored.actor_label == auditor.email
    head = AuditChainHead.objects.get(pk=1)
    assert head.sequence == events[-1].sequence
    assert head.last_hash == events[-1].entry_hash


def test_first_event_links_to_genesis():
    assert not AuditEvent.objects.exists()
    first, second = record_events(2)
    assert first.sequence == 1
    assert first.previous_hash == GENESIS_HASH
    assert first.actor_id is None
    assert first.actor_label == "system"
    assert second.sequence == 2
    assert second.previous_hash == first.entry_hash


def test_verify_accepts_an_intact_chain():
    record_events(6)
    report = audit_verify()
    assert report.ok
    assert report.checked == 6
    assert report.broken_at is None


def test_verify_accepts_an_empty_log():
    report = audit_verify()
    assert report.ok
    assert report.checked == 0


def test_verify_detects_a_changed_row_at_exactly_that_sequence():
    record_events(5)
    with append_only_trigger_disabled():
        raw("UPDATE core_auditevent SET purpose = %s WHERE sequence = %s", ["forged", 3])
    report = audit_verify()
    assert not report.ok
    assert report.broken_at == 3
    assert report.checked == 2
    assert report.reason == "its content was changed"


def test_verify_detects_a_rewritten_link():
    events = record_events(4)
    with append_only_trigger_disabled():
        raw("UPDATE core_auditevent SET previous_hash = %s WHERE sequence = %s",
            [events[0].previous_hash, 2])
    report = audit_verify()
    assert report.broken_at == 2
    assert report.reason == "its link to the previous event does not match"


def test_verify_detects_a_deleted_middle_row_as_missing():
    record_events(5)
    with append_only_trigger_disabled():
        raw("DELETE FROM core_auditevent WHERE sequence = %s", [3])
    report = audit_verify()
    assert not report.ok
    assert report.broken_at == 3
    assert report.checked == 2
    assert report.reason == "event #3 is missing"


def test_verify_detects_deleted_last_rows():
    record_events(4)
    with append_only_trigger_disabled():
        raw("DELETE FROM core_auditevent WHERE sequence = %s", [4])
    report = audit_verify()
    assert report.broken_at == 4
    assert report.checked == 3
    assert "4 events were written" in report.reason


def test_orm_cannot_change_or_delete_events():
    event = record_events(1)[0]
    original = AuditEvent.objects.get(pk=event.pk)
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(purpose="forged")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    event.purpose = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.purpose == original.purpose == "purpose 1"
    assert AuditEvent.objects.count() == 1
    assert audit_verify().ok


def test_database_refuses_a_raw_update():
    record_events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE core_auditevent SET purpose = %s WHERE sequence = %s", ["forged", 1])
    assert AuditEvent.objects.get(sequence=1).purpose == "purpose 1"
    assert audit_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite keeps DELETE possible (migration 0002)")
def test_postgresql_refuses_a_raw_delete():
    record_events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("DELETE FROM core_auditevent WHERE sequence = %s", [1])
    assert AuditEvent.objects.count() == 2
    assert audit_verify().ok


def test_audit_verify_command_succeeds_on_an_intact_chain(capsys):
    record_events(3)
    call_command("audit_verify")
    assert "Audit chain intact: 3 events." in capsys.readouterr().out


def test_audit_verify_command_fails_on_a_broken_chain():
    record_events(3)
    with append_only_trigger_disabled():
        raw("UPDATE core_auditevent SET details = %s WHERE sequence = %s", ['{"n": 99}', 2])
    with pytest.raises(CommandError, match=r"broken at event #2: its content was changed"):
        call_command("audit_verify")


# --- the admin ---------------------------------------------------------------------------

def test_admin_is_read_only_even_for_a_superuser(client, system_admin):
    event = record_events(1)[0]
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = system_admin
    assert system_admin.is_superuser
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.get_actions(request) == {}

    client.force_login(system_admin)
    before = AuditEvent.objects.count()
    delete_url = reverse("admin:core_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    change_url = reverse("admin:core_auditevent_change", args=[event.pk])
    assert client.post(change_url, {"purpose": "forged"}).status_code == 403
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    changelist = reverse("admin:core_auditevent_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert AuditEvent.objects.count() == before
    assert AuditEvent.objects.get(pk=event.pk).purpose == "purpose 1"
    assert audit_verify().ok


def test_auditor_can_view_the_audit_log(client, auditor):
    event = record_events(1)[0]
    client.force_login(auditor)
    response = client.get(reverse("admin:core_auditevent_changelist"))
    assert response.status_code == 200
    assert event in response.context["cl"].result_list
    assert client.get(reverse("admin:core_auditevent_change", args=[event.pk])).status_code \
        == 200
    assert client.post(reverse("admin:core_auditevent_delete", args=[event.pk]),
                       {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_counter_clerk_cannot_view_the_audit_log(client, shiba_clerk):
    record_events(1)
    client.force_login(shiba_clerk)
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 403


def test_resident_cannot_reach_the_admin(client, hanako):
    client.force_login(hanako.user)
    response = client.get(reverse("admin:core_auditevent_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    # The admin's own login form is replaced by allauth's, where the second factor is enforced.
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith(reverse("account_login"))
