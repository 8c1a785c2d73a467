"""Request ids and client addresses recorded in the audit log, and app role permissions."""

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory, override_settings

from cityhall.core import registry, services
from cityhall.core.middleware import client_ip


@pytest.mark.parametrize(("proxies", "remote", "forwarded", "expected"), [
    (0, "10.0.0.5", "203.0.113.9", "10.0.0.5"),                 # no proxy: header ignored
    (1, "10.0.0.5", "203.0.113.9", "203.0.113.9"),
    (1, "10.0.0.5", "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # client-forged part skipped
    (2, "10.0.0.5", "198.51.100.1, 203.0.113.9", "198.51.100.1"),
    (2, "10.0.0.5", "203.0.113.9", "10.0.0.5"),                 # too few hops: no guessing
])
def test_client_ip_behind_trusted_proxies(proxies, remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


def test_request_id_is_returned_and_a_forged_one_is_replaced(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert response["X-Request-ID"] == "abcdef0123456789"
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32


def test_apps_add_permissions_to_core_roles(db, monkeypatch):
    monkeypatch.setattr(registry, "_role_permissions", {})
    registry.register_role_permissions("auditor", ["core.view_facility"])
    services.sync_roles()
    auditor = Group.objects.get(name="auditor")
    codenames = set(auditor.permissions.values_list("codename", flat=True))
    assert "view_facility" in codenames and "view_auditevent" in codenames
    clerk = Group.objects.get(name="counter_clerk")
    assert "view_facility" not in set(clerk.permissions.values_list("codename", flat=True))
