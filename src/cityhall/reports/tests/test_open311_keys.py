"""Open311 API keys (取組13): issued once, stored as a hash, revoked, checked."""

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cityhall.core.errors import ConflictError, ValidationFailed
from cityhall.core.models import AuditEvent

from ..models import Open311Client
from ..services.open311 import (
    open311_client_authenticate,
    open311_client_issue,
    open311_client_revoke,
)

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_and_only_its_hash_is_stored(minato, shiba_clerk):
    client, raw_key = open311_client_issue(name="FixMyStreet", contact_email="ops@fms.example",
                                           actor=shiba_clerk)
    assert len(raw_key) >= 40
    assert client.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert client.key_prefix == raw_key[:8]
    assert client.created_by == shiba_clerk and client.is_active
    stored = Open311Client.objects.filter(pk=client.pk).values()[0]
    assert raw_key not in str(stored)
    event = AuditEvent.objects.get(action="reports.open311_client.issue")
    assert event.target_id == str(client.pk) and raw_key not in str(event.details)
    _second, second_key = open311_client_issue(name="FixMyStreet", actor=None)
    assert second_key != raw_key


@pytest.mark.parametrize(("name", "email", "code"), [
    ("", "", "no_name"), ("x" * 101, "", "bad_name"), ("App", "not-an-email", "bad_email"),
])
def test_bad_issues_are_refused_and_change_nothing(minato, name, email, code):
    with pytest.raises(ValidationFailed) as error:
        open311_client_issue(name=name, contact_email=email, actor=None)
    assert error.value.code == code
    assert not Open311Client.objects.exists()


def test_authenticate_finds_the_active_client_only(minato):
    client, raw_key = open311_client_issue(name="App", actor=None)
    assert open311_client_authenticate(raw_key) == client
    for wrong in (None, "", raw_key[:-1], raw_key + "x", "x" * 10_000, raw_key.upper()):
        assert open311_client_authenticate(wrong) is None
    open311_client_revoke(client=client, actor=None)
    assert open311_client_authenticate(raw_key) is None
    assert AuditEvent.objects.filter(action="reports.open311_client.revoke").count() == 1
    with pytest.raises(ConflictError):
        open311_client_revoke(client=client, actor=None)
    assert AuditEvent.objects.filter(action="reports.open311_client.revoke").count() == 1


def test_last_use_is_written_at_most_once_a_minute(minato, django_assert_num_queries):
    client, raw_key = open311_client_issue(name="App", actor=None)
    open311_client_authenticate(raw_key)
    first = Open311Client.objects.get(pk=client.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the lookup only, no write
        open311_client_authenticate(raw_key)
    assert Open311Client.objects.get(pk=client.pk).last_used_at == first
    Open311Client.objects.filter(pk=client.pk).update(
        last_used_at=timezone.now() - datetime.timedelta(minutes=2))
    open311_client_authenticate(raw_key)
    assert Open311Client.objects.get(pk=client.pk).last_used_at > first


def test_the_command_prints_the_key_once(minato):
    out = io.StringIO()
    call_command("open311_client_issue", "--name", "Contractor app", "--email",
                 "it@contractor.example", stdout=out)
    lines = out.getvalue().strip().splitlines()
    client = Open311Client.objects.get()
    assert client.name == "Contractor app" and client.contact_email == "it@contractor.example"
    assert open311_client_authenticate(lines[-1]) == client
    with pytest.raises(CommandError):
        call_command("open311_client_issue", "--name", "", stdout=io.StringIO())
